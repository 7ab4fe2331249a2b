const TIMESTAMP = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}:\d{2})(?:\.(\d+))?(Z|[+-]\d{2}(?::?\d{2})?)?$/;

/**
 * Microseconds since the epoch for a Postgres timestamptz as PostgREST ("2026-01-02T03:04:05.123456+00:00")
 * or Realtime ("2026-01-02 03:04:05.123456+00") spell it. Date.parse alone keeps only milliseconds, and two
 * rows inserted in the same millisecond must still order.
 */
export function timeKey(ts: string): number {
	const m = TIMESTAMP.exec(ts);
	if (!m) {
		const ms = Date.parse(ts);
		return Number.isNaN(ms) ? 0 : ms * 1000;
	}
	const [, date, clock, fraction = '', zone = 'Z'] = m;
	const offset =
		zone === 'Z' ? 'Z' : zone.length === 3 ? `${zone}:00` : zone.replace(/^([+-]\d{2})(\d{2})$/, '$1:$2');
	const ms = Date.parse(`${date}T${clock}${offset}`);
	const micros = Number((fraction + '000000').slice(0, 6));
	return ms * 1000 + micros;
}

const UNITS: [Intl.RelativeTimeFormatUnit, number][] = [
	['year', 365 * 24 * 3600],
	['month', 30 * 24 * 3600],
	['week', 7 * 24 * 3600],
	['day', 24 * 3600],
	['hour', 3600],
	['minute', 60]
];

// Formatters are costly to build (each one loads locale data) and every row's time uses one:
// built once per locale. (A toLocaleString with options builds a new one on every call.)
const relativeFormats = new Map<string, Intl.RelativeTimeFormat>();
const exactFormats = new Map<string | undefined, Intl.DateTimeFormat>();
function cached<K, V>(cache: Map<K, V>, key: K, make: () => V): V {
	let value = cache.get(key);
	if (value === undefined) cache.set(key, (value = make()));
	return value;
}

/** "just now", "5 min. ago", "yesterday", ... relative to `now`. */
export function relativeTime(ts: string, now: number, locale = 'en'): string {
	const seconds = Math.round((timeKey(ts) / 1000 - now) / 1000);
	const abs = Math.abs(seconds);
	if (abs < 45) return 'just now';
	const format = cached(
		relativeFormats,
		locale,
		() => new Intl.RelativeTimeFormat(locale, { numeric: 'auto', style: 'short' })
	);
	for (const [unit, size] of UNITS) {
		if (abs >= size * 0.9 || unit === 'minute') {
			return format.format(Math.round(seconds / size), unit);
		}
	}
	return 'just now';
}

/** The exact local time, for a tooltip. */
export function exactTime(ts: string, locale?: string): string {
	const format = cached(
		exactFormats,
		locale,
		() => new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'medium' })
	);
	return format.format(new Date(timeKey(ts) / 1000));
}

/** How long to wait before a relative time label can change. */
export function nextTickIn(ts: string, now: number): number {
	const age = Math.abs(now - timeKey(ts) / 1000);
	if (age < 3600_000) return 15_000;
	if (age < 24 * 3600_000) return 60_000;
	return 15 * 60_000;
}
