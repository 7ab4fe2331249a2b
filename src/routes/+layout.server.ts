import type { LayoutServerLoad } from './$types';

/** Supabase's auth cookies (chunked as .0, .1, ...; the PKCE code verifier): all the browser client needs. */
const AUTH_COOKIE = /^sb-[\w-]+-auth-token(?:\.\d+|-code-verifier)?$/;

/** The page data is written into the HTML: only the auth cookies go there, no other cookie of the site. */
export const load: LayoutServerLoad = async ({ locals, cookies }) => {
	const authCookies = cookies.getAll().filter((c) => AUTH_COOKIE.test(c.name));
	return { session: locals.session, user: locals.user, cookies: authCookies };
};
