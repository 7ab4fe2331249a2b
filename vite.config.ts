import { sveltekit } from '@sveltejs/kit/vite';
import tailwindcss from '@tailwindcss/vite';
import { defineConfig } from 'vitest/config';

export default defineConfig({
	plugins: [tailwindcss(), sveltekit()],
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
					setupFiles: ['tests/setup/unit.ts']
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
