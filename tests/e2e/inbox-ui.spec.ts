import {
	appUrl,
	expect,
	inbox,
	insertNotification,
	newUser,
	person,
	row,
	signIn,
	sql,
	test,
	userId
} from './fixtures';

/** A user of their own with rows from today, yesterday-ish and last month, system and personal. */
async function seededUser(name: string): Promise<string> {
	const email = await newUser(name);
	const id = await userId(email);
	await sql(
		`insert into public.notifications (user_id, title, body, category, created_at) values
		   ($1, 'Quarterly report is ready', null, 'message', now() - interval '40 days'),
		   ($1, 'Card expires soon', 'Update the card before the 1st.', 'billing', now() - interval '3 days')`,
		[id]
	);
	await insertNotification(email, { title: 'Deploy finished', category: 'deploy' });
	await insertNotification(email, {
		title: 'Alice mentioned you',
		category: 'mention',
		actor: 'alice@example.com'
	});
	return email;
}

test.describe('a denser, calmer inbox', () => {
	test('rows are grouped by day under headings, one line each when there is no body', async ({ browser }) => {
		const reader = await person(browser, await seededUser('Dense Reader'));
		const page = reader.page;
		const list = inbox(page);
		await expect(list.getByRole('heading', { name: 'Today' })).toBeVisible();
		await expect(list.getByRole('group', { name: 'Older' })).toContainText('Quarterly report is ready');
		await expect(list.getByRole('group', { name: 'Today' })).toContainText('Deploy finished');

		const oneLine = await row(page, 'Deploy finished').boundingBox();
		expect(oneLine?.height, 'a compact row without a body').toBeLessThanOrEqual(56);

		// The system is not a person: its rows get the category's icon, people their avatar.
		await expect(row(page, 'Deploy finished').locator('[data-system-sender="deploy"]')).toBeVisible();
		await expect(row(page, 'Alice mentioned you').locator('[data-system-sender]')).toHaveCount(0);

		await page.getByRole('button', { name: 'Comfortable rows' }).click();
		await expect
			.poll(async () => (await row(page, 'Deploy finished').boundingBox())?.height ?? 0)
			.toBeGreaterThan(oneLine!.height);
		await page.reload();
		await expect(page.getByRole('button', { name: 'Compact rows' })).toBeVisible();
		await reader.context.close();
	});

	test('the view is the URL: tabs, category and search survive Back, Forward and a pasted link', async ({
		browser
	}) => {
		const email = await seededUser('Url Reader');
		const reader = await person(browser, email);
		const page = reader.page;
		await page.getByRole('tab', { name: /Unread/ }).click();
		await expect(page).toHaveURL(/\?tab=unread$/);

		await page.getByRole('button', { name: /^Category/ }).click();
		await page.getByRole('menuitemradio', { name: 'billing' }).click();
		await expect(page).toHaveURL(/\?tab=unread&category=billing$/);
		await expect(inbox(page).getByRole('listitem')).toHaveCount(1);

		await page.goBack();
		await expect(page).toHaveURL(/\?tab=unread$/);
		await expect(page.getByRole('tab', { name: /Unread/ })).toHaveAttribute('aria-selected', 'true');
		await expect(inbox(page).getByRole('listitem')).toHaveCount(4);
		await page.goForward();
		await expect(inbox(page).getByRole('listitem')).toHaveCount(1);

		// "Mark all read" has no meaning on Archived.
		await expect(page.getByRole('button', { name: 'Mark all read' })).toBeVisible();
		await page.getByRole('tab', { name: 'Archived' }).click();
		await expect(page.getByRole('button', { name: 'Mark all read' })).toHaveCount(0);

		// A link opens the same view, with the search box showing its query.
		await page.goto(`${appUrl()}/?q=quarterly`);
		await expect(page.getByRole('searchbox', { name: 'Search notifications' })).toHaveValue('quarterly');
		await expect(inbox(page).getByRole('listitem')).toHaveCount(1);
		await reader.context.close();
	});

	test('the tab shows the unread count in its title and icon, and the app is installable', async ({
		browser
	}) => {
		const email = await seededUser('Icon Reader');
		const reader = await person(browser, email);
		const page = reader.page;
		await expect(page).toHaveTitle(/^4 unread · Beacon$/);
		await expect
			.poll(() => page.locator('link[rel="icon"]').getAttribute('href'))
			.toContain(encodeURIComponent('>4</text>'));

		const manifest = await (await page.request.get(`${appUrl()}/manifest.webmanifest`)).json();
		expect(manifest.name).toBe('Beacon');
		for (const icon of manifest.icons as { src: string }[]) {
			expect((await page.request.get(`${appUrl()}${icon.src}`)).ok(), icon.src).toBe(true);
		}
		await reader.context.close();
	});

	test('the activity chart has axes and a readout under the pointer', async ({ browser }) => {
		const reader = await person(browser, await seededUser('Chart Reader'));
		const chart = reader.page.getByTestId('activity-chart');
		await expect(chart.getByText('now')).toBeVisible();
		await expect(chart.getByText('−60m')).toBeVisible();
		const box = (await chart.boundingBox())!;
		await reader.page.mouse.move(box.x + box.width * 0.9, box.y + box.height / 2);
		await expect(reader.page.getByTestId('activity-readout')).toHaveText(/\d+ notifications?/);
		await reader.context.close();
	});

	test('on a phone, row actions live in a menu and the compose button covers no row', async ({ browser }) => {
		const email = await seededUser('Phone Reader');
		const context = await browser.newContext({ viewport: { width: 375, height: 740 }, hasTouch: true });
		const page = await context.newPage();
		await signIn(page, email);
		const target = row(page, 'Card expires soon');
		await expect(target.getByRole('button', { name: /^Archive:/ })).toBeHidden();
		await target.getByRole('button', { name: 'Actions for Card expires soon' }).click();
		await page.getByRole('menuitem', { name: 'Archive' }).click();
		await expect(target).toHaveCount(0);

		// The floating button leaves the last row's menu reachable.
		await page.evaluate(() => scrollTo(0, document.body.scrollHeight));
		const last = inbox(page).getByRole('listitem').last();
		const menu = (await last.getByRole('button', { name: /^Actions for/ }).boundingBox())!;
		const fab = (await page.getByRole('button', { name: 'New notification' }).boundingBox())!;
		const overlaps =
			menu.x < fab.x + fab.width &&
			fab.x < menu.x + menu.width &&
			menu.y < fab.y + fab.height &&
			fab.y < menu.y + menu.height;
		expect(overlaps).toBe(false);
		await context.close();
	});
});
