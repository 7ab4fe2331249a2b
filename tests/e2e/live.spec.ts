import {
	appUrl,
	expect,
	inbox,
	insertNotification,
	person,
	roster,
	row,
	test,
	unreadBadge,
	unreadCount
} from './fixtures';

test.describe('two people, live', () => {
	test('a notification sent from the composer arrives as toast, badge and row without a reload', async ({
		browser
	}) => {
		const alice = await person(browser, 'alice@example.com');
		const bob = await person(browser, 'bob@example.com');
		const before = await unreadCount(bob.page);
		const title = `Review the launch plan ${Date.now()}`;

		await alice.page.getByRole('button', { name: 'New notification' }).click();
		const dialog = alice.page.getByRole('dialog', { name: 'New notification' });
		await dialog.getByLabel('To').fill('Bob');
		await alice.page.getByRole('option', { name: /Bob/ }).click();
		await dialog.getByLabel('Title').fill(title);
		await dialog.getByLabel(/Message/).fill('It is in the shared folder.');
		await dialog.getByRole('radio', { name: 'high' }).click();
		await dialog.getByRole('button', { name: 'Send' }).click();
		await expect(dialog).toBeHidden();

		await expect(bob.page.locator('[data-sonner-toast]').filter({ hasText: title })).toBeVisible();
		await expect(unreadBadge(bob.page)).toHaveText(`${before + 1} unread`);
		await expect(row(bob.page, title)).toBeVisible();
		await expect(row(bob.page, title)).toContainText('Alice');
		await expect(bob.page).toHaveTitle(`${before + 1} unread · Beacon`);

		await alice.context.close();
		await bob.context.close();
	});

	test('marking read in one tab updates the other tab', async ({ browser }) => {
		const bob = await person(browser, 'bob@example.com');
		const second = await bob.context.newPage();
		await second.goto(`${appUrl()}/`);
		await expect(second.getByTestId('connection')).toHaveAttribute('data-state-name', 'live');

		const title = `Two tabs ${Date.now()}`;
		await insertNotification('bob@example.com', { title, actor: 'carol@example.com' });
		await expect(row(bob.page, title)).toHaveAttribute('data-unread', 'true');
		await expect(row(second, title)).toHaveAttribute('data-unread', 'true');
		const count = await unreadCount(second);

		await row(bob.page, title).hover();
		await row(bob.page, title)
			.getByRole('button', { name: `Mark read: ${title}` })
			.click();

		await expect(row(second, title)).toHaveAttribute('data-unread', 'false');
		await expect(unreadBadge(second)).toHaveText(`${count - 1} unread`);
		await bob.context.close();
	});

	test('people see each other online, and leave when their page closes', async ({ browser }) => {
		const alice = await person(browser, 'alice@example.com');
		const bob = await person(browser, 'bob@example.com');

		await expect(roster(alice.page).getByText('Bob Martinez')).toBeVisible();
		await expect(roster(bob.page).getByText('Alice Chen')).toBeVisible();

		await bob.page.close();
		await expect(roster(alice.page).getByText('Bob Martinez')).toBeHidden({ timeout: 15_000 });
		await alice.context.close();
		await bob.context.close();
	});

	test('a nudge arrives at once', async ({ browser }) => {
		const alice = await person(browser, 'alice@example.com');
		const bob = await person(browser, 'bob@example.com');

		await roster(alice.page).getByRole('button', { name: 'Wave at Bob Martinez' }).click();
		await expect(
			bob.page.locator('[data-sonner-toast]').filter({ hasText: 'Alice Chen waved at you' })
		).toBeVisible();
		await expect(inbox(bob.page)).toBeVisible();
		await alice.context.close();
		await bob.context.close();
	});

	test('an announcement reaches everyone online as a dismissible banner', async ({ browser }) => {
		const alice = await person(browser, 'alice@example.com');
		const bob = await person(browser, 'bob@example.com');
		const text = `Standup moved to 10:30 ${Date.now()}`;

		await alice.page.getByLabel('Announcement to everyone online').fill(text);
		await alice.page.getByRole('button', { name: 'Send announcement' }).click();
		const banner = bob.page.getByRole('status').filter({ hasText: text });
		await expect(banner).toContainText('Alice Chen');
		await banner.getByRole('button', { name: 'Dismiss announcement' }).click();
		await expect(banner).toBeHidden();
		await alice.context.close();
		await bob.context.close();
	});
});
