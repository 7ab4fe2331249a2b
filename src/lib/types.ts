/** A row of public.notifications as PostgREST and Realtime return it. */
export interface Notification {
	id: string;
	user_id: string;
	actor_id: string | null;
	category: string;
	priority: Priority;
	title: string;
	body: string | null;
	url: string | null;
	read_at: string | null;
	archived_at: string | null;
	created_at: string;
	updated_at: string;
}

export type Priority = 'low' | 'normal' | 'high' | 'urgent';

export interface Profile {
	id: string;
	display_name: string | null;
	avatar_url: string | null;
}

/** The columns the dashboard reads; `search` (tsvector) is never selected. */
export const NOTIFICATION_COLUMNS =
	'id,user_id,actor_id,category,priority,title,body,url,read_at,archived_at,created_at,updated_at';

export type InboxTab = 'all' | 'unread' | 'archived';

export interface InboxView {
	tab: InboxTab;
	category: string | null;
	query: string;
}

export const PAGE_SIZE = 30;

/** The categories the schema allows (notifications_category_check). */
export const CATEGORIES = [
	'message',
	'mention',
	'comment',
	'deploy',
	'security',
	'billing',
	'system'
] as const;
export const PRIORITIES: readonly Priority[] = ['low', 'normal', 'high', 'urgent'];
/** Limits from the schema's check constraints. */
export const TITLE_MAX = 200;
export const BODY_MAX = 2000;
