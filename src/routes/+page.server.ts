import { error } from '@sveltejs/kit';
import { countUnread, fetchPage, viewFromParams } from '$lib/inbox/query';
import { hiddenCategories } from '$lib/preferences/decide';
import { loadSettings } from '$lib/preferences/load';
import type { PageServerLoad } from './$types';

/** The first page is rendered on the server; the browser takes over live from there. */
export const load: PageServerLoad = async ({ locals, url, untrack }) => {
	const { supabase, user } = locals;
	if (!user) error(401, 'Sign in to see your notifications.');
	// The query string picks the first view only: later changes of view are the inbox's own fetches
	// (see view-url.svelte.ts), so they must not run this load again.
	const view = untrack(() => viewFromParams(url.searchParams));
	const hourAgo = new Date(Date.now() - 3600_000).toISOString();

	// Categories the reader turned off are never listed nor counted, from the first render on.
	const preferences = await loadSettings(supabase, user.id).catch(() => null);
	const hidden = preferences ? hiddenCategories(preferences) : [];
	try {
		const [page, unread, profiles, recent] = await Promise.all([
			fetchPage(supabase, user.id, view, null, undefined, hidden),
			countUnread(supabase, user.id, hidden),
			supabase.from('profiles').select('id,display_name,avatar_url').order('display_name').limit(500),
			supabase
				.from('notifications')
				.select('created_at')
				.eq('user_id', user.id)
				.gte('created_at', hourAgo)
				.limit(2000)
		]);
		return {
			inbox: { ...page, unread, view, hidden },
			preferences,
			profiles: profiles.data ?? [],
			recent: (recent.data ?? []).map((r) => r.created_at),
			loadError: null
		};
	} catch (e) {
		// Render the page anyway: the live inbox retries when it connects.
		const message = e instanceof Error ? e.message : String((e as { message?: string })?.message ?? e);
		return {
			inbox: { rows: [], hasMore: false, unread: 0, view, hidden },
			preferences,
			profiles: [],
			recent: [] as string[],
			loadError: message
		};
	}
};
