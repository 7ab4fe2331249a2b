import { sveltekit } from '@sveltejs/kit/vite';
import tailwindcss from '@tailwindcss/vite';
import { fileURLToPath } from 'node:url';
import type { Plugin } from 'vite';
import { defineConfig } from 'vitest/config';

/**
 * The browser build takes src/lib/unbundled/<name>.ts instead of these packages: supabase-js imports
 * their clients eagerly, the dashboard never uses them, and they would cost ~8 KB gzip of the
 * dashboard's first download (budget: bench/bundle.ts). The server build keeps the real ones.
 */
const UNBUNDLED = ['@supabase/storage-js', '@supabase/functions-js'];

function unbundledInBrowser(): Plugin {
	return {
		name: 'beacon:unbundled-in-browser',
		apply: 'build',
		enforce: 'pre',
		resolveId(id) {
			if (this.environment.name !== 'client' || !UNBUNDLED.includes(id)) return null;
			const name = id.split('/')[1];
			return fileURLToPath(new URL(`./src/lib/unbundled/${name}.ts`, import.meta.url));
		}
	};
}

export default defineConfig({
	plugins: [unbundledInBrowser(), tailwindcss(), sveltekit()],
	server: { host: '127.0.0.1', port: 5173, strictPort: true },
	test: {
		testTimeout: 20_000,
		hookTimeout: 60_000,
		projects: [
			{
				// Pure modules, beside the code: no database, no stack, seconds (`npm run test:unit`).
				extends: true,
				test: {
					name: 'unit',
					include: ['src/**/*.test.ts', 'stack/**/*.test.ts'],
					setupFiles: ['tests/setup/unit.ts'],
					// Pure modules need no fresh process per file: 4 s instead of 20 s.
					isolate: false
				}
			},
			{
				// Cross-part tests against one isolated stack the global setup starts (`npm run test:stack`).
				extends: true,
				test: {
					name: 'stack',
					include: ['tests/**/*.test.ts'],
					globalSetup: ['tests/setup/global.ts'],
					// The files share one stack; run them one after another on these 2-core machines.
					fileParallelism: false
				}
			}
		]
	}
});
