import { timeKey } from '$lib/time';
import type { InboxView, Notification } from '$lib/types';
import { isSnoozed } from './snooze';

/** Keyset position of a row in newest-first order: (created_at desc, id desc). */
export interface Cursor {
	created_at: string;
	id: string;
}

export function cursorOf(row: Pick<Notification, 'created_at' | 'id'>): Cursor {
	return { created_at: row.created_at, id: row.id };
}

/** Negative when `a` sorts before `b` (is newer), positive when after, 0 for the same row. */
export function compareNewestFirst(a: Cursor, b: Cursor): number {
	const ta = timeKey(a.created_at);
	const tb = timeKey(b.created_at);
	if (ta !== tb) return tb - ta;
	return a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
}

// Values in PostgREST logic trees are double-quoted: timestamps carry reserved characters (: . +).
const quote = (v: string) => `"${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;

/** PostgREST `or` filter for rows strictly older than the cursor (the next page). */
export function olderThan(c: Cursor): string {
	const t = quote(c.created_at);
	return `created_at.lt.${t},and(created_at.eq.${t},id.lt.${quote(c.id)})`;
}

/** PostgREST `or` filter for rows strictly newer than the cursor (catch-up). */
export function newerThan(c: Cursor): string {
	const t = quote(c.created_at);
	return `created_at.gt.${t},and(created_at.eq.${t},id.gt.${quote(c.id)})`;
}

/** PostgREST `or` filter for rows not snoozed at `now` (the reader's clock decides when they come back). */
export function notSnoozed(now: Date): string {
	return `snoozed_until.is.null,snoozed_until.lte.${quote(now.toISOString())}`;
}

/** Whether a row belongs in a view, evaluated locally for live events (search is approximated by words). */
export function matchesView(row: Notification, view: InboxView, now = Date.now()): boolean {
	if (isSnoozed(row, now)) return false;
	if (view.tab === 'archived' ? row.archived_at === null : row.archived_at !== null) return false;
	if (view.tab === 'unread' && row.read_at !== null) return false;
	if (view.category && row.category !== view.category) return false;
	const words = searchWords(view.query);
	if (words.length > 0) {
		const text = `${row.title} ${row.body ?? ''}`.toLowerCase();
		return words.every((w) => text.includes(w));
	}
	return true;
}

function searchWords(query: string): string[] {
	return query
		.toLowerCase()
		.split(/\s+/)
		.map((w) => w.replace(/^[-"]+|["]+$/g, ''))
		.filter((w) => w !== '' && w !== 'or' && w !== 'and');
}
