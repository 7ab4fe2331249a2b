import AxeBuilder from '@axe-core/playwright';
import type { Page } from '@playwright/test';
import { appUrl, expect, inbox, newUser, person, sql, test, userId } from './fixtures';

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
		for (const width of [1280, 375]) {
			const what = width < 768 ? 'with the roster drawer open' : 'with the sidebar';
			test(`the inbox has no serious axe violations (${theme}, ${width} px, ${what})`, async ({
				browser
			}) => {
				// The stored choice wins over the system's, as the head script reads it before first paint.
				const alice = await person(browser, 'alice@example.com', (context) =>
					context.addInitScript((t) => localStorage.setItem('mode-watcher-mode', t), theme)
				);
				const page = alice.page;
				await expect(page.locator('html')).toHaveClass(theme === 'dark' ? /\bdark\b/ : /^(?!.*\bdark\b)/);
				await expect(inbox(page)).toBeVisible();
				if (width < 768) {
					await page.setViewportSize({ width, height: 740 });
					await page.getByRole('button', { name: /online: show who/ }).click();
					await expect(
						page.getByRole('dialog', { name: 'Team' }).getByTestId('activity-chart')
					).toBeVisible();
				} else {
					await expect(page.getByTestId('activity-chart')).toBeVisible();
				}
				expect(serious((await new AxeBuilder({ page }).analyze()).violations)).toEqual([]);
				await alice.context.close();
			});
		}
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

	test('a row focused with j/k is never hidden under the sticky header or day heading', async ({
		browser
	}) => {
		const email = await newUser('Focus Reader');
		// 40 rows over three days, so the list scrolls and day headings stick.
		await sql(
			`insert into public.notifications (user_id, title, body, created_at)
			 select $1, 'Focus row ' || g, case when g % 3 = 0 then 'A body line to vary the height' end,
			        now() - make_interval(hours => g * 2)
			 from generate_series(1, 40) g`,
			[await userId(email)]
		);
		const reader = await person(browser, email);
		const page = reader.page;
		await page.setViewportSize({ width: 1280, height: 600 });
		await expect(inbox(page).getByRole('listitem').first()).toBeVisible();
		await page.locator('body').click({ position: { x: 5, y: 300 } });

		for (const [key, times] of [
			['j', 15],
			['k', 15]
		] as const) {
			for (let i = 0; i < times; i++) {
				await page.keyboard.press(key);
				await expect.poll(() => focusedRowUncovered(page), `${key} #${i + 1}`).toBe('visible');
			}
		}
		await reader.context.close();
	});
});

/** 'visible' when the focused row's top and bottom edges are on screen and nothing is drawn over them. */
function focusedRowUncovered(page: Page): Promise<string> {
	return page.evaluate(() => {
		const row = document.activeElement as HTMLElement | null;
		if (!row?.dataset.id) return `focus is on ${row?.tagName ?? 'nothing'}, not a row`;
		const box = row.getBoundingClientRect();
		if (box.top < 0 || box.bottom > innerHeight) return `row ${row.dataset.id} is off screen`;
		for (const y of [box.top + 2, box.bottom - 2]) {
			const hit = document.elementFromPoint(box.left + box.width / 2, y);
			if (!hit || !row.contains(hit))
				return `row ${row.dataset.id} is under ${hit?.tagName}.${hit?.className} at y=${Math.round(y)}`;
		}
		return 'visible';
	});
}
