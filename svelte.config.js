import adapter from '@sveltejs/adapter-node';
import { vitePreprocess } from '@sveltejs/vite-plugin-svelte';

/** @type {import('@sveltejs/kit').Config} */
const config = {
	preprocess: vitePreprocess(),
	kit: {
		adapter: adapter(),
		// Nonces for SvelteKit's scripts (hashes when prerendered). connect-src gains the Supabase URL
		// at runtime, in src/lib/server/headers.ts: the URL is a runtime setting, not a build-time one.
		csp: {
			mode: 'auto',
			directives: {
				'default-src': ['self'],
				'script-src': ['self'],
				// Components set inline style attributes (positioning of menus, tooltips, toasts).
				'style-src': ['self', 'unsafe-inline'],
				// Avatars are https URLs anywhere (profiles_avatar_url_format); initials are drawn in CSS.
				'img-src': ['self', 'data:', 'https:'],
				'font-src': ['self', 'data:'],
				'connect-src': ['self'],
				// supabase-js runs Realtime heartbeats in a worker made from a blob: URL.
				'worker-src': ['self', 'blob:'],
				'object-src': ['none'],
				'base-uri': ['self'],
				'form-action': ['self'],
				'frame-ancestors': ['none']
			}
		}
	}
};

export default config;
