import { sveltekit } from '@sveltejs/kit/vite';
import tailwindcss from '@tailwindcss/vite';
import { defineConfig } from 'vitest/config';

export default defineConfig({
	plugins: [tailwindcss(), sveltekit()],
	server: { host: '127.0.0.1', port: 5173 },
	test: {
		include: ['src/**/*.test.ts', 'stack/**/*.test.ts', 'tests/**/*.test.ts'],
		exclude: ['tests/e2e/**', 'node_modules/**'],
		globalSetup: ['tests/setup/global.ts'],
		testTimeout: 20_000,
		hookTimeout: 60_000,
		// Integration files share one stack; run files one after another on these 2-core machines.
		fileParallelism: false
	}
});
