import { expect, insertNotification, person, row, test, unreadBadge } from './fixtures';

test('the keyboard moves, marks read, archives and shows the shortcut list', async ({ browser }) => {
	const carol = await person(browser, 'carol@example.com');
	const { page } = carol;
	const title = `Keyboard ${Date.now()}`;
	await insertNotification('carol@example.com', { title, actor: 'alice@example.com' });
	const item = row(page, title);
	await expect(item).toHaveAttribute('data-unread', 'true');
	const unread = Number(/\d+/.exec((await unreadBadge(page).textContent()) ?? '')?.[0]);

	await page.locator('body').click({ position: { x: 5, y: 300 } });
	await page.keyboard.press('j');
	await expect(item).toHaveAttribute('data-selected', 'true');
	await page.keyboard.press('r');
	await expect(item).toHaveAttribute('data-unread', 'false');
	await expect(unreadBadge(page)).toHaveText(`${unread - 1} unread`);
	await page.keyboard.press('e');
	await expect(item).toBeHidden();

	await page.keyboard.press('?');
	await expect(page.getByRole('dialog', { name: 'Keyboard shortcuts' })).toBeVisible();
	await page.keyboard.press('Escape');
	await page.keyboard.press('/');
	await expect(page.getByRole('searchbox', { name: 'Search notifications' })).toBeFocused();
	await carol.context.close();
});

test('search finds notifications by their words', async ({ browser }) => {
	const dave = await person(browser, 'dave@example.com');
	const word = `zebra${Date.now()}`;
	await insertNotification('dave@example.com', { title: `Needle ${word}`, body: 'in the haystack' });
	await insertNotification('dave@example.com', { title: 'Unrelated hay' });
	await expect(row(dave.page, `Needle ${word}`)).toBeVisible();

	await dave.page.getByRole('searchbox', { name: 'Search notifications' }).fill(word);
	await expect(row(dave.page, `Needle ${word}`)).toBeVisible();
	await expect(row(dave.page, 'Unrelated hay')).toHaveCount(0);
	await dave.page.getByRole('searchbox', { name: 'Search notifications' }).fill(`${word} -haystack`);
	await expect(dave.page.getByText('No matches')).toBeVisible();
	await dave.context.close();
});
