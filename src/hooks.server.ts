import { createServerClient } from '@supabase/ssr';
import type { JwtPayload, User } from '@supabase/supabase-js';
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

	// The cookie alone is not proof: getClaims() verifies the access token's signature against the
	// project's published keys (JWKS, cached), as Supabase's SSR guide recommends, so a page load
	// costs no round trip to the auth server. (With a symmetric HS256 key it falls back to getUser().)
	event.locals.safeGetSession = async () => {
		const {
			data: { session }
		} = await event.locals.supabase.auth.getSession();
		if (!session) return { session: null, user: null };
		const { data, error } = await event.locals.supabase.auth.getClaims(session.access_token);
		if (error || !data) return { session: null, user: null };
		// Rebuild the session around the verified claims, so nothing reads the cookie's copy of the user.
		const user = userFromClaims(data.claims);
		const { access_token, refresh_token, expires_at, expires_in, token_type } = session;
		return { session: { access_token, refresh_token, expires_at, expires_in, token_type, user }, user };
	};

	return resolve(event, {
		filterSerializedResponseHeaders: (name) => name === 'content-range' || name === 'x-supabase-api-version'
	});
};

/** The user a verified access token describes (its claims are what GoTrue signed about the user). */
function userFromClaims(claims: JwtPayload): User {
	return {
		id: claims.sub,
		aud: Array.isArray(claims.aud) ? (claims.aud[0] ?? '') : (claims.aud ?? ''),
		role: claims.role,
		email: claims.email,
		phone: claims.phone,
		app_metadata: claims.app_metadata ?? {},
		user_metadata: claims.user_metadata ?? {},
		is_anonymous: claims.is_anonymous,
		// Not a claim: the token says when it was issued, not when the account was made.
		created_at: ''
	};
}

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
