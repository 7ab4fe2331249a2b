import AxeBuilder from '@axe-core/playwright';
import type { Page } from '@playwright/test';
import { appUrl, expect, insertNotification, newUser, person, row, test, unreadBadge } from './fixtures';

const toast = (page: Page, title: string) => page.locator('[data-sonner-toast]').filter({ hasText: title });
const level = (page: Page, category: string, name: 'Show' | 'Mute' | 'Off') =>
	page.getByRole('radiogroup', { name: new RegExp(`^${category}$`, 'i') }).getByRole('radio', { name });

async function settingsTab(dashboard: Page): Promise<Page> {
	const settings = await dashboard.context().newPage();
	await settings.goto(`${appUrl()}/settings`);
	await expect(settings.getByRole('heading', { name: 'Notification settings' })).toBeVisible();
	return settings;
}

/** HH:MM in UTC, `minutes` from now. */
function utcClock(minutes: number): string {
	const d = new Date(Date.now() + minutes * 60_000);
	return `${String(d.getUTCHours()).padStart(2, '0')}:${String(d.getUTCMinutes()).padStart(2, '0')}`;
}

test.describe('notification preferences', () => {
	test('mute and off set in one tab change another tab live: muted is listed without a toast, off is gone', async ({
		browser
	}) => {
		const email = await newUser('Prefs Reader');
		const { context, page } = await person(browser, email);
		const settings = await settingsTab(page);
		const stamp = Date.now();

		await level(settings, 'deploy', 'Mute').click();
		await expect(level(settings, 'deploy', 'Mute')).toBeChecked();
		await expect(settings.getByTestId('save-status')).toHaveText('Saved: deploy muted');

		// Muted: listed and counted, no toast; the shown sentinel after it toasts, so the first had its chance.
		await insertNotification(email, { title: `Muted deploy ${stamp}`, category: 'deploy' });
		await insertNotification(email, { title: `Shown message ${stamp}`, category: 'message' });
		await expect(toast(page, `Shown message ${stamp}`)).toBeVisible();
		await expect(row(page, `Muted deploy ${stamp}`)).toBeVisible();
		await expect(toast(page, `Muted deploy ${stamp}`)).toHaveCount(0);
		await expect(unreadBadge(page)).toHaveText('2 unread');

		// Off: the listed row leaves the other tab and the count at once, without a reload.
		await level(settings, 'deploy', 'Off').click();
		await expect(row(page, `Muted deploy ${stamp}`)).toHaveCount(0);
		await expect(unreadBadge(page)).toHaveText('1 unread');

		// New ones of an off category are neither listed, counted nor toasted.
		await insertNotification(email, { title: `Off deploy ${stamp}`, category: 'deploy' });
		await insertNotification(email, { title: `Second message ${stamp}`, category: 'message' });
		await expect(toast(page, `Second message ${stamp}`)).toBeVisible();
		await expect(unreadBadge(page)).toHaveText('2 unread');
		await expect(row(page, `Off deploy ${stamp}`)).toHaveCount(0);
		await expect(toast(page, `Off deploy ${stamp}`)).toHaveCount(0);

		// Showing the category again brings its rows back.
		await level(settings, 'deploy', 'Show').click();
		await expect(row(page, `Off deploy ${stamp}`)).toBeVisible();
		await expect(unreadBadge(page)).toHaveText('4 unread');

		// And a reload keeps it all (stored, not just in memory).
		await level(settings, 'billing', 'Off').click();
		await expect(settings.getByTestId('save-status')).toHaveText('Saved: billing off');
		await settings.reload();
		await expect(level(settings, 'billing', 'Off')).toBeChecked();
		await context.close();
	});

	test('quiet hours mute everything while they last, in the chosen time zone; levels work by keyboard', async ({
		browser
	}) => {
		const email = await newUser('Quiet Reader');
		const { context, page } = await person(browser, email);
		const settings = await settingsTab(page);
		const stamp = Date.now();

		// Each category's levels are a radio group: arrow keys move and choose, and each choice is saved.
		await level(settings, 'comment', 'Show').focus();
		await settings.keyboard.press('ArrowRight');
		await expect(level(settings, 'comment', 'Mute')).toBeChecked();
		await expect(level(settings, 'comment', 'Mute')).toBeFocused();
		await settings.keyboard.press('ArrowLeft');
		await expect(level(settings, 'comment', 'Show')).toBeChecked();
		await expect(settings.getByTestId('save-status')).toHaveText('Saved: comment shown');

		await settings.getByLabel('Time zone').selectOption('UTC');
		await settings.getByLabel('From').fill(utcClock(-60));
		await settings.getByLabel('Until').fill(utcClock(60));
		await settings.getByRole('switch', { name: 'Quiet hours' }).click();
		await expect(settings.getByRole('switch', { name: 'Quiet hours' })).toBeChecked();
		await expect(settings.getByTestId('save-status')).toHaveText('Saved: quiet hours');

		await insertNotification(email, { title: `At night ${stamp}`, category: 'message' });
		await expect(row(page, `At night ${stamp}`)).toBeVisible();
		await expect(unreadBadge(page)).toHaveText('1 unread');

		// Quiet hours end (switched off here): the next one toasts, and the first never did.
		await settings.getByRole('switch', { name: 'Quiet hours' }).click();
		await expect(settings.getByTestId('save-status')).toHaveText('Saved: quiet hours');
		await insertNotification(email, { title: `Morning ${stamp}`, category: 'message' });
		await expect(toast(page, `Morning ${stamp}`)).toBeVisible();
		await expect(toast(page, `At night ${stamp}`)).toHaveCount(0);

		// A span of equal ends is refused in words, and nothing is saved.
		await settings.getByLabel('Until').fill(await settings.getByLabel('From').inputValue());
		await expect(settings.getByText('Start and end must differ.')).toBeVisible();
		await expect(settings.getByLabel('Until')).toHaveAttribute('aria-invalid', 'true');
		await context.close();
	});

	test('the settings page opens from the user menu and has no axe violations in either theme', async ({
		browser
	}) => {
		// Two full axe runs: a few seconds each on a quiet machine, far more on a busy one.
		test.setTimeout(120_000);
		const { context, page } = await person(browser, 'carol@example.com');
		await page.getByRole('button', { name: /Account menu/ }).click();
		await page.getByRole('menuitem', { name: 'Notification settings' }).click();
		await expect(page.getByRole('heading', { name: 'Notification settings' })).toBeVisible();
		await expect(page).toHaveURL(`${appUrl()}/settings`);
		for (const theme of ['light', 'dark'] as const) {
			await page.emulateMedia({ colorScheme: theme });
			await expect(page.locator('html')).toHaveClass(theme === 'dark' ? /\bdark\b/ : /^(?!.*\bdark\b)/);
			const result = await new AxeBuilder({ page }).analyze();
			expect(
				result.violations.map((v) => `${theme} ${v.id}: ${v.nodes.map((n) => n.target).join(', ')}`)
			).toEqual([]);
		}
		await context.close();
	});
});
