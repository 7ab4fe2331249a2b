import AxeBuilder from '@axe-core/playwright';
import { appUrl, expect, inbox, person, test } from './fixtures';

const serious = (violations: { impact?: string | null; id: string; nodes: { target: unknown }[] }[]) =>
	violations
		.filter((v) => v.impact === 'serious' || v.impact === 'critical')
		.map((v) => `${v.id}: ${v.nodes.map((n) => JSON.stringify(n.target)).join(', ')}`);

test.describe('accessibility', () => {
	test('the sign-in page has no serious axe violations', async ({ page }) => {
		await page.goto(`${appUrl()}/login`);
		await expect(page.getByRole('button', { name: 'Sign in' })).toBeVisible();
		const result = await new AxeBuilder({ page }).analyze();
		expect(serious(result.violations)).toEqual([]);
	});

	for (const theme of ['light', 'dark'] as const) {
		test(`the inbox has no serious axe violations (${theme})`, async ({ browser }) => {
			const alice = await person(browser, 'alice@example.com');
			await alice.page.emulateMedia({ colorScheme: theme });
			await alice.page.evaluate((t) => {
				localStorage.setItem('mode-watcher-mode', t);
			}, theme);
			await alice.page.reload();
			await expect(inbox(alice.page)).toBeVisible();
			await expect(alice.page.getByTestId('connection')).toHaveAttribute('data-state-name', 'live');
			const result = await new AxeBuilder({ page: alice.page }).analyze();
			expect(serious(result.violations)).toEqual([]);
			await alice.context.close();
		});
	}

	test('the inbox works at 360 px with the roster in a drawer', async ({ browser }) => {
		const alice = await person(browser, 'alice@example.com');
		await alice.page.setViewportSize({ width: 360, height: 740 });
		await expect(alice.page.getByRole('region', { name: 'Online' })).toBeHidden();
		await alice.page.getByRole('button', { name: /online: show who/ }).click();
		await expect(alice.page.getByRole('dialog').getByRole('region', { name: 'Online' })).toBeVisible();
		const width = await alice.page.evaluate(() => document.documentElement.scrollWidth);
		expect(width).toBeLessThanOrEqual(360);
		await alice.context.close();
	});
});
