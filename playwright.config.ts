import { existsSync } from 'node:fs';
import { defineConfig, devices } from '@playwright/test';

// Debian's chromium when present (never `playwright install` on these machines), else Playwright's own.
const SYSTEM_CHROMIUM = '/usr/bin/chromium';

export default defineConfig({
	testDir: 'tests/e2e',
	testMatch: '*.spec.ts',
	// Starts an isolated stack (free ports, temp folder), builds the app and serves it against that stack.
	globalSetup: './tests/e2e/global-setup.ts',
	workers: 1,
	fullyParallel: false,
	forbidOnly: !!process.env.CI,
	retries: 0,
	timeout: 60_000,
	expect: { timeout: 10_000 },
	reporter: process.env.CI ? [['list'], ['html', { open: 'never' }]] : 'list',
	use: {
		...devices['Desktop Chrome'],
		trace: 'retain-on-failure',
		launchOptions: {
			executablePath: existsSync(SYSTEM_CHROMIUM) ? SYSTEM_CHROMIUM : undefined,
			args: [
				'--no-sandbox',
				'--disable-gpu',
				'--disable-background-networking',
				'--disable-component-update',
				'--disable-sync',
				'--no-first-run',
				'--disable-quic'
			]
		}
	}
});
