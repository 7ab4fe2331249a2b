import type { Handle } from '@sveltejs/kit';
import { publicSettings } from '$lib/env';
import { THEME_SCRIPT } from '$lib/theme-script';

const FIXED_HEADERS: Record<string, string> = {
	// Old browsers that ignore CSP frame-ancestors (set in svelte.config.js).
	'x-frame-options': 'DENY',
	'x-content-type-options': 'nosniff',
	'referrer-policy': 'strict-origin-when-cross-origin',
	'permissions-policy':
		'camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=(), browsing-topics=()'
};

/** The Supabase project's origin and its WebSocket form (Realtime), for connect-src. */
export function supabaseSources(url: string): string[] {
	const { protocol, host } = new URL(url);
	return [`${protocol}//${host}`, `${protocol === 'https:' ? 'wss:' : 'ws:'}//${host}`];
}

/** Adds sources to a policy's connect-src (creating it from default-src's `'self'` when absent). */
export function withConnectSources(policy: string, sources: string[]): string {
	const directives = policy
		.split(';')
		.map((d) => d.trim())
		.filter(Boolean);
	const at = directives.findIndex((d) => d.split(/\s+/)[0] === 'connect-src');
	if (at < 0) directives.push(['connect-src', "'self'", ...sources].join(' '));
	else directives[at] = [directives[at], ...sources].join(' ');
	return directives.join('; ');
}

/**
 * Security headers on every response. The CSP itself is SvelteKit's (kit.csp, with per-request
 * nonces); the Supabase URL is read at runtime (one build serves any project), so it joins
 * connect-src here rather than at build time. Signed-in responses are never stored, so Back after
 * signing out cannot show a cached live page.
 */
export const securityHeaders: Handle = async ({ event, resolve }) => {
	let response = await resolve(event, {
		transformPageChunk: ({ html }) => html.replace('%beacon.theme%', THEME_SCRIPT)
	});
	try {
		response.headers.set('x-content-type-options', 'nosniff');
	} catch {
		// Headers of a proxied fetch response are immutable: copy it.
		response = new Response(response.body, response);
	}
	const policy = response.headers.get('content-security-policy');
	if (policy) {
		response.headers.set(
			'content-security-policy',
			withConnectSources(policy, supabaseSources(publicSettings().url))
		);
	}
	for (const [name, value] of Object.entries(FIXED_HEADERS)) response.headers.set(name, value);
	if (event.locals.user) response.headers.set('cache-control', 'private, no-store');
	return response;
};
