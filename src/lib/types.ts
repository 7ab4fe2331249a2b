import { Constants, type Enums, type Tables } from './database.types';

// Row types come from the generated `Database` (npm run gen:types), the only copy of the schema.
/** A row of public.notifications as PostgREST and Realtime return it (without `search`). */
export type Notification = Omit<Tables<'notifications'>, 'search'>;

export type Category = Enums<'notification_category'>;
export type Priority = Enums<'notification_priority'>;

/** What the dashboard reads of a profile. */
export type Profile = Pick<Tables<'profiles'>, 'id' | 'display_name' | 'avatar_url'>;

/** The columns the dashboard reads; `search` (tsvector) is never selected. */
export const NOTIFICATION_COLUMNS =
	'id,user_id,actor_id,category,priority,title,body,url,read_at,archived_at,created_at,updated_at,actions,action_taken,action_taken_at,snoozed_until,group_key,subject';

export type InboxTab = 'all' | 'unread' | 'archived';

export interface InboxView {
	tab: InboxTab;
	category: Category | null;
	query: string;
}

export const PAGE_SIZE = 30;

/** The categories and priorities the schema allows, in the enum's order. */
export const CATEGORIES: readonly Category[] = Constants.public.Enums.notification_category;
export const PRIORITIES: readonly Priority[] = Constants.public.Enums.notification_priority;
/** Limits from the schema's check constraints. */
export const TITLE_MAX = 200;
export const BODY_MAX = 2000;
