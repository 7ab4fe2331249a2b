import { createBrowserClient, createServerClient, isBrowser } from '@supabase/ssr';
import type { Database } from '$lib/database.types';
import { publicSettings, serverRealtime } from '$lib/env';
import type { LayoutLoad } from './$types';

export const load: LayoutLoad = async ({ data, depends, fetch }) => {
	// Re-run when the session changes (see onAuthStateChange in +layout.svelte).
	depends('supabase:auth');
	const { url, key, local } = publicSettings();

	const supabase = isBrowser()
		? createBrowserClient<Database>(url, key, {
				global: { fetch },
				// Heartbeats from a worker keep running in background tabs, where timers are throttled.
				realtime: { worker: true }
			})
		: createServerClient<Database>(url, key, {
				global: { fetch },
				realtime: serverRealtime,
				cookies: { getAll: () => data.cookies }
			});

	// On the server the session was verified in hooks (getClaims); in the browser, read it from the cookie.
	const session = isBrowser() ? (await supabase.auth.getSession()).data.session : data.session;

	return { supabase, session, user: data.user, local };
};
