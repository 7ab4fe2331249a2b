/**
 * `npm run screenshots`: PNGs of the main views (sign-in, inbox, composer open, roster drawer on a
 * phone) at 1280 and 375 px, light and dark, in tests/e2e/screenshots/ (shown in the README).
 * It starts an isolated seeded stack and the built app the way the end-to-end tests do (the same
 * global setup; BEACON_E2E_SKIP_BUILD=1 reuses build/). Not part of CI: run it after a UI change.
 */
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { chromium, type Browser, type Page } from '@playwright/test';
import globalSetup from '../tests/e2e/global-setup.ts';

const OUT = path.resolve(import.meta.dirname, '../tests/e2e/screenshots');
const SYSTEM_CHROMIUM = '/usr/bin/chromium';
const WIDTHS = [
	{ name: 'desktop', width: 1280, height: 800 },
	{ name: 'mobile', width: 375, height: 740 }
] as const;
const THEMES = ['light', 'dark'] as const;

type Width = (typeof WIDTHS)[number];
type Theme = (typeof THEMES)[number];

async function newPage(browser: Browser, size: Width, theme: Theme): Promise<Page> {
	const context = await browser.newContext({
		viewport: { width: size.width, height: size.height },
		colorScheme: theme,
		reducedMotion: 'reduce'
	});
	// The app follows the system theme unless told otherwise; say it explicitly for a stable picture.
	await context.addInitScript((t) => localStorage.setItem('mode-watcher-mode', t), theme);
	return context.newPage();
}

async function signIn(page: Page, appUrl: string): Promise<void> {
	await page.goto(`${appUrl}/login`);
	await page.getByLabel('Email', { exact: true }).fill('alice@example.com');
	await page.getByLabel('Password', { exact: true }).fill('password123');
	await page.getByRole('button', { name: 'Sign in' }).click();
	await page.waitForURL(`${appUrl}/`);
	await page.getByTestId('connection').and(page.locator('[data-state-name="live"]')).waitFor();
}

async function shoot(page: Page, view: string, size: Width, theme: Theme): Promise<string> {
	// No hover state from the last click, nothing blinking mid-capture.
	await page.mouse.move(0, 0);
	await page.addStyleTag({ content: '* { caret-color: transparent !important; }' });
	const file = path.join(OUT, `${view}-${size.name}-${theme}.png`);
	await page.screenshot({ path: file, animations: 'disabled' });
	return file;
}

async function main() {
	const teardown = await globalSetup();
	const appUrl = process.env.BEACON_APP_URL!;
	const browser = await chromium.launch({
		executablePath: existsSync(SYSTEM_CHROMIUM) ? SYSTEM_CHROMIUM : undefined,
		args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run']
	});
	await mkdir(OUT, { recursive: true });
	const written: string[] = [];
	try {
		for (const size of WIDTHS) {
			for (const theme of THEMES) {
				const page = await newPage(browser, size, theme);
				await page.goto(`${appUrl}/login`);
				await page.getByRole('button', { name: 'Sign in' }).waitFor();
				written.push(await shoot(page, 'sign-in', size, theme));

				await signIn(page, appUrl);
				await page
					.getByRole('region', { name: 'Notifications', exact: true })
					.getByRole('listitem')
					.first()
					.waitFor();
				if (size.width >= 768) await page.getByTestId('activity-chart').waitFor();
				written.push(await shoot(page, 'inbox', size, theme));

				await page.getByRole('button', { name: 'New notification' }).first().click();
				await page.getByRole('dialog', { name: 'New notification' }).waitFor();
				written.push(await shoot(page, 'compose', size, theme));
				await page.keyboard.press('Escape');
				await page.getByRole('dialog').waitFor({ state: 'detached' });

				if (size.width < 768) {
					await page.getByRole('button', { name: /online: show who/ }).click();
					await page.getByRole('dialog', { name: 'Team' }).getByTestId('activity-chart').waitFor();
					written.push(await shoot(page, 'roster', size, theme));
				}
				await page.context().close();
			}
		}
	} finally {
		await browser.close();
		await teardown();
	}
	console.log(written.map((f) => path.relative(process.cwd(), f)).join('\n'));
}

main().catch((error: unknown) => {
	console.error(error);
	process.exit(1);
});
