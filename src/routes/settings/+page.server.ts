import { error } from '@sveltejs/kit';
import { loadSettings } from '$lib/preferences/load';
import type { PageServerLoad } from './$types';

/** The reader's stored preferences (RLS: only their own row), rendered on the server. */
export const load: PageServerLoad = async ({ locals }) => {
	const { supabase, user } = locals;
	if (!user) error(401, 'Sign in to change your notification settings.');
	try {
		return { preferences: await loadSettings(supabase, user.id), loadError: null };
	} catch (e) {
		const message = e instanceof Error ? e.message : String((e as { message?: string })?.message ?? e);
		return { preferences: null, loadError: message };
	}
};
