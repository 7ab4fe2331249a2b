import { createServerClient } from '@supabase/ssr';
import { redirect, type Handle, type RequestEvent } from '@sveltejs/kit';
import { sequence } from '@sveltejs/kit/hooks';
import type { Database } from '$lib/database.types';
import { publicSettings, serverRealtime } from '$lib/env';
import { securityHeaders } from '$lib/server/headers';

function forwardedFor(event: RequestEvent): Record<string, string> {
	try {
		return { 'X-Forwarded-For': event.getClientAddress() };
	} catch {
		return {}; // prerendering: there is no client
	}
}

/** A Supabase client per request, reading and writing the auth cookies. */
const supabase: Handle = async ({ event, resolve }) => {
	const { url, key } = publicSettings();
	event.locals.supabase = createServerClient<Database>(url, key, {
		realtime: serverRealtime,
		// Sign-ins run here, so Supabase would see this server's address for everyone: name the real
		// client, as a proxy does, so auth rate limits key on the person (honoured from trusted proxies).
		global: { headers: forwardedFor(event) },
		cookies: {
			getAll: () => event.cookies.getAll(),
			setAll: (cookiesToSet, headers) => {
				for (const { name, value, options } of cookiesToSet) {
					event.cookies.set(name, value, { ...options, path: '/' });
				}
				event.setHeaders(headers);
			}
		}
	});

	// The cookie alone is not proof: getUser() asks the auth server to validate the token.
	event.locals.safeGetSession = async () => {
		const {
			data: { session }
		} = await event.locals.supabase.auth.getSession();
		if (!session) return { session: null, user: null };
		const {
			data: { user },
			error
		} = await event.locals.supabase.auth.getUser();
		if (error || !user) return { session: null, user: null };
		// Rebuild the session around the validated user, so nothing reads the cookie's copy of it.
		const { access_token, refresh_token, expires_at, expires_in, token_type } = session;
		return { session: { access_token, refresh_token, expires_at, expires_in, token_type, user }, user };
	};

	return resolve(event, {
		filterSerializedResponseHeaders: (name) => name === 'content-range' || name === 'x-supabase-api-version'
	});
};

const PUBLIC_PATHS = ['/login', '/signup'];

/** Signed-out visitors go to /login (and come back afterwards); signed-in ones skip it. */
const authGuard: Handle = async ({ event, resolve }) => {
	const { session, user } = await event.locals.safeGetSession();
	event.locals.session = session;
	event.locals.user = user;

	const path = event.url.pathname;
	const isPublic = PUBLIC_PATHS.includes(path);
	if (!user && !isPublic && path !== '/logout') {
		const back = path + event.url.search;
		redirect(303, back === '/' ? '/login' : `/login?redirectTo=${encodeURIComponent(back)}`);
	}
	if (user && isPublic && event.request.method === 'GET') {
		redirect(303, '/');
	}
	return resolve(event);
};

export const handle = sequence(securityHeaders, supabase, authGuard);
