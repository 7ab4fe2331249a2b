import type { SupabaseClient } from '@supabase/supabase-js';
import type { Database } from '$lib/database.types';
import {
	CATEGORIES,
	NOTIFICATION_COLUMNS,
	PAGE_SIZE,
	type Category,
	type InboxView,
	type Notification
} from '$lib/types';
import { notSnoozed, olderThan, type Cursor } from './cursor';

/**
 * The rows of one view, newest first, optionally after a keyset cursor. Shared by SSR and the browser.
 * `hidden`: categories the reader turned off in their preferences (src/lib/preferences), never listed.
 */
export function viewQuery(
	supabase: SupabaseClient<Database>,
	userId: string,
	view: InboxView,
	hidden: readonly Category[] = []
) {
	// Snoozed rows stay out of every view until they come back.
	let q = supabase
		.from('notifications')
		.select(NOTIFICATION_COLUMNS)
		.eq('user_id', userId)
		.or(notSnoozed(new Date()));
	if (hidden.length) q = q.not('category', 'in', `(${hidden.join(',')})`);
	if (view.tab === 'archived') q = q.not('archived_at', 'is', null);
	else q = q.is('archived_at', null);
	if (view.tab === 'unread') q = q.is('read_at', null);
	if (view.category) q = q.eq('category', view.category);
	if (view.query.trim())
		q = q.textSearch('search', view.query.trim(), { type: 'websearch', config: 'english' });
	return q;
}

export interface Page {
	rows: Notification[];
	hasMore: boolean;
}

/** One page of a view: asks for one extra row to know whether there is more. */
export async function fetchPage(
	supabase: SupabaseClient<Database>,
	userId: string,
	view: InboxView,
	after: Cursor | null = null,
	size = PAGE_SIZE,
	hidden: readonly Category[] = []
): Promise<Page> {
	let q = viewQuery(supabase, userId, view, hidden);
	if (after) q = q.or(olderThan(after));
	const { data, error } = await q
		.order('created_at', { ascending: false })
		.order('id', { ascending: false })
		.limit(size + 1);
	if (error) throw error;
	return { rows: data.slice(0, size), hasMore: data.length > size };
}

/** How many unread, unarchived notifications the user has (outside the `hidden` categories; snoozed ones count once they are back). */
export async function countUnread(
	supabase: SupabaseClient<Database>,
	userId: string,
	hidden: readonly Category[] = []
): Promise<number> {
	let q = supabase
		.from('notifications')
		.select('id', { count: 'exact', head: true })
		.eq('user_id', userId)
		.is('read_at', null)
		.is('archived_at', null)
		.or(notSnoozed(new Date()));
	if (hidden.length) q = q.not('category', 'in', `(${hidden.join(',')})`);
	const { count, error } = await q;
	if (error) throw error;
	return count ?? 0;
}

/** Read the view from its query string (?tab=unread&category=mention&q=deploy). */
export function viewFromParams(params: URLSearchParams): InboxView {
	const tab = params.get('tab');
	return {
		tab: tab === 'unread' || tab === 'archived' ? tab : 'all',
		category: CATEGORIES.find((c) => c === params.get('category')) ?? null,
		query: params.get('q') ?? ''
	};
}

export function viewToSearch(view: InboxView): string {
	const p = new URLSearchParams();
	if (view.tab !== 'all') p.set('tab', view.tab);
	if (view.category) p.set('category', view.category);
	if (view.query) p.set('q', view.query);
	const s = p.toString();
	return s ? `?${s}` : '';
}
