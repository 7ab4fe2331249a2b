import type { SupabaseClient } from '@supabase/supabase-js';
import type { Database } from '$lib/database.types';
import { fromRow, type Settings } from './decide';

export const PREFERENCE_COLUMNS =
	'muted_categories,off_categories,quiet_hours,quiet_start,quiet_end,time_zone';

/** The signed-in reader's stored settings, or the defaults when they have none yet. Shared by SSR and the browser. */
export async function loadSettings(supabase: SupabaseClient<Database>, userId: string): Promise<Settings> {
	const { data, error } = await supabase
		.from('notification_preferences')
		.select(PREFERENCE_COLUMNS)
		.eq('user_id', userId)
		.maybeSingle();
	if (error) throw error;
	return fromRow(data);
}
