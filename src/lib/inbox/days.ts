import { timeKey } from '$lib/time';

export type DayLabel = 'Today' | 'Yesterday' | 'This week' | 'Older';

export interface DayGroup<T> {
	label: DayLabel;
	rows: T[];
}

/** Local midnight of the day `ms` falls in. */
function startOfDay(ms: number): number {
	const d = new Date(ms);
	d.setHours(0, 0, 0, 0);
	return d.getTime();
}

/** Which heading a time falls under, counted in local calendar days before `now`. */
export function dayLabel(ts: string, now: number): DayLabel {
	const today = startOfDay(now);
	const at = timeKey(ts) / 1000;
	if (at >= today) return 'Today';
	const yesterday = startOfDay(today - 1);
	if (at >= yesterday) return 'Yesterday';
	if (at >= startOfDay(today - 6 * 24 * 3600_000)) return 'This week';
	return 'Older';
}

/**
 * Rows (newest first, as the inbox holds them) cut into day groups, keeping their order. A row
 * that arrives out of order still lands under its own heading: groups are never repeated.
 */
export function groupByDay<T extends { created_at: string }>(rows: readonly T[], now: number): DayGroup<T>[] {
	const groups: DayGroup<T>[] = [];
	const byLabel = new Map<DayLabel, DayGroup<T>>();
	for (const row of rows) {
		const label = dayLabel(row.created_at, now);
		let group = byLabel.get(label);
		if (!group) {
			group = { label, rows: [] };
			byLabel.set(label, group);
			groups.push(group);
		}
		group.rows.push(row);
	}
	return groups;
}
