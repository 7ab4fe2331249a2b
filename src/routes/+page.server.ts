import { error } from '@sveltejs/kit';
import { countUnread, fetchPage, viewFromParams } from '$lib/inbox/query';
import type { Profile } from '$lib/types';
import type { PageServerLoad } from './$types';

/** The first page is rendered on the server; the browser takes over live from there. */
export const load: PageServerLoad = async ({ locals, url, untrack }) => {
	const { supabase, user } = locals;
	if (!user) error(401, 'Sign in to see your notifications.');
	// The query string picks the first view only: later changes of view are the inbox's own fetches
	// (see view-url.svelte.ts), so they must not run this load again.
	const view = untrack(() => viewFromParams(url.searchParams));
	const hourAgo = new Date(Date.now() - 3600_000).toISOString();

	try {
		const [page, unread, profiles, recent] = await Promise.all([
			fetchPage(supabase, user.id, view),
			countUnread(supabase, user.id),
			supabase.from('profiles').select('id,display_name,avatar_url').order('display_name').limit(500),
			supabase
				.from('notifications')
				.select('created_at')
				.eq('user_id', user.id)
				.gte('created_at', hourAgo)
				.limit(2000)
		]);
		return {
			inbox: { ...page, unread, view },
			profiles: (profiles.data ?? []) as Profile[],
			recent: (recent.data ?? []).map((r: { created_at: string }) => r.created_at),
			loadError: null
		};
	} catch (e) {
		// Render the page anyway: the live inbox retries when it connects.
		const message = e instanceof Error ? e.message : String((e as { message?: string })?.message ?? e);
		return {
			inbox: { rows: [], hasMore: false, unread: 0, view },
			profiles: [] as Profile[],
			recent: [] as string[],
			loadError: message
		};
	}
};
