import type { Category, Notification } from '$lib/types';

/** What the inbox list shows: a notification, or several about the same subject collapsed into one. */
export type InboxItem =
	| { kind: 'row'; key: string; created_at: string; row: Notification }
	| { kind: 'group'; key: string; created_at: string; rows: Notification[] };

/**
 * Rows (newest first) with the same `group_key` collapse into one item where the newest of them
 * stands; a key seen once stays a plain row. Order is kept.
 */
export function groupRows(rows: readonly Notification[]): InboxItem[] {
	const byKey = new Map<string, Notification[]>();
	for (const row of rows) {
		if (row.group_key === null) continue;
		const members = byKey.get(row.group_key);
		if (members) members.push(row);
		else byKey.set(row.group_key, [row]);
	}
	const items: InboxItem[] = [];
	const placed = new Set<string>();
	for (const row of rows) {
		const members = row.group_key === null ? undefined : byKey.get(row.group_key);
		if (!members || members.length < 2) {
			items.push({ kind: 'row', key: row.id, created_at: row.created_at, row });
		} else if (!placed.has(row.group_key!)) {
			placed.add(row.group_key!);
			items.push({ kind: 'group', key: `group:${row.group_key}`, created_at: row.created_at, rows: members });
		}
	}
	return items;
}

const VERBS: Partial<Record<Category, string>> = {
	comment: 'commented on',
	mention: 'mentioned you in',
	deploy: 'deployed'
};

/** "Bob", "Bob and Carol", "Bob and 2 others": distinct senders, newest first, named by `nameOf`. */
export function senders(rows: readonly Notification[], nameOf: (id: string | null) => string): string {
	const ids: (string | null)[] = [];
	for (const row of rows) if (!ids.includes(row.actor_id)) ids.push(row.actor_id);
	const [first, second] = ids.map(nameOf);
	if (ids.length === 1) return first;
	if (ids.length === 2) return `${first} and ${second}`;
	return `${first} and ${ids.length - 1} others`;
}

/** "Bob and 2 others commented on Q3 roadmap" (the newest row's category and subject). */
export function groupSummary(rows: readonly Notification[], nameOf: (id: string | null) => string): string {
	const newest = rows[0];
	const who = senders(rows, nameOf);
	if (!newest.subject) return `${who}: ${newest.title}`;
	return `${who} ${VERBS[newest.category] ?? 'wrote about'} ${newest.subject}`;
}
