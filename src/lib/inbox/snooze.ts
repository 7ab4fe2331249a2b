/** Snooze choices, computed from the reader's clock (local time). */
export interface SnoozeOption {
	label: string;
	/** When the notification comes back, as an ISO timestamp. */
	until: string;
}

const at = (d: Date, hours: number) => {
	const next = new Date(d);
	next.setHours(hours, 0, 0, 0);
	return next;
};

/**
 * Later today (three hours on, to the quarter hour; only while that is still today), tomorrow at
 * 9:00, and next week (Monday 9:00).
 */
export function snoozeOptions(now: Date): SnoozeOption[] {
	const options: SnoozeOption[] = [];
	const later = new Date(now.getTime() + 3 * 3600_000);
	later.setMinutes(Math.ceil(later.getMinutes() / 15) * 15, 0, 0);
	if (later.getDate() === now.getDate() && later.getMonth() === now.getMonth())
		options.push({ label: 'Later today', until: later.toISOString() });
	const tomorrow = at(now, 9);
	tomorrow.setDate(tomorrow.getDate() + 1);
	options.push({ label: 'Tomorrow', until: tomorrow.toISOString() });
	const monday = at(now, 9);
	// Days to next Monday: 1..7 (on a Monday, a week on).
	monday.setDate(monday.getDate() + ((8 - monday.getDay()) % 7 || 7));
	options.push({ label: 'Next week', until: monday.toISOString() });
	return options;
}

/** Whether a row is snoozed at `now` (ms). */
export function isSnoozed(row: { snoozed_until: string | null }, now = Date.now()): boolean {
	return row.snoozed_until !== null && Date.parse(row.snoozed_until) > now;
}
