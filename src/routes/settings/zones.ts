// Settings-page helpers, kept out of the dashboard's bundle.

/** The time zones to offer: UTC first, then by name; the stored one is kept even if Intl lacks it. */
export function timeZones(current: string): string[] {
	const known = typeof Intl.supportedValuesOf === 'function' ? Intl.supportedValuesOf('timeZone') : [];
	const all = new Set(['UTC', ...known]);
	all.add(current);
	return [...all].sort((a, b) => (a === 'UTC' ? -1 : b === 'UTC' ? 1 : a.localeCompare(b)));
}

/** The browser's own time zone (for a reader who has not chosen one). */
export function browserTimeZone(): string {
	try {
		return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
	} catch {
		return 'UTC';
	}
}
