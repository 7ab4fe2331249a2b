/**
 * Undo, actions, snooze and grouping, in a real browser against the real stack. One reader signs in
 * once for the file (two tabs where "every tab" matters); rows are sent with supabase-js and the
 * service key, as a backend would.
 */
import { createClient } from '@supabase/supabase-js';
import type { Page } from '@playwright/test';
import WebSocket from 'ws';
import type { Database } from '../../src/lib/database.types';
import {
	appUrl,
	expect,
	inbox,
	newUser,
	person,
	row,
	test,
	unreadCount,
	userId,
	type Person
} from './fixtures';

const service = () =>
	createClient<Database>(process.env.SUPABASE_URL!, process.env.SUPABASE_SERVICE_ROLE_KEY!, {
		auth: { persistSession: false, autoRefreshToken: false },
		realtime: { transport: WebSocket as unknown as typeof globalThis.WebSocket }
	});

type NewRow = Omit<Database['public']['Tables']['notifications']['Insert'], 'user_id'>;

let reader: Person;
let readerId: string;
let second: Page;

async function send(fields: NewRow): Promise<string> {
	const { data, error } = await service()
		.from('notifications')
		.insert({ user_id: readerId, ...fields })
		.select('id')
		.single();
	if (error) throw new Error(`insert failed: ${error.message}`);
	return data.id;
}

async function stored(id: string) {
	const { data, error } = await service()
		.from('notifications')
		.select('action_taken, snoozed_until')
		.eq('id', id)
		.maybeSingle();
	if (error) throw new Error(error.message);
	return data;
}

async function openTab(): Promise<Page> {
	const page = await reader.context.newPage();
	await page.goto(`${appUrl()}/`);
	// Two tabs share the context's connections: the second may wait on the first's catch-up.
	await expect(page.getByTestId('connection')).toHaveAttribute('data-state-name', 'live', {
		timeout: 30_000
	});
	return page;
}

const toasts = (page: Page) => page.getByRole('region', { name: /Toasts/ });
/** A notification's own row (a group's row also contains its members' text). */
const item = (page: Page, title: string) => inbox(page).locator('li[data-id]').filter({ hasText: title });

test.describe.configure({ mode: 'serial' });

test.beforeAll(async ({ browser }) => {
	// A new user, a sign-in and a second tab: more than one step's worth on a busy machine.
	test.setTimeout(120_000);
	const email = await newUser('Feature Reader');
	readerId = await userId(email);
	reader = await person(browser, email);
	second = await openTab();
});
test.afterAll(async () => {
	await reader?.context.close();
});

test('archive and delete offer Undo; a delete is final only once its toast closes', async () => {
	const page = reader.page;
	const archived = await send({ title: 'Archive me, then change my mind' });
	const deleted = await send({ title: 'Delete me, then change my mind' });
	await expect(row(page, 'Delete me, then change my mind')).toBeVisible();

	await row(page, 'Archive me').hover();
	await row(page, 'Archive me')
		.getByRole('button', { name: /^Archive:/ })
		.click();
	await expect(row(page, 'Archive me')).toHaveCount(0);
	await toasts(page).getByRole('button', { name: 'Undo' }).click();
	await expect(row(page, 'Archive me')).toBeVisible();

	await row(page, 'Delete me').hover();
	await row(page, 'Delete me')
		.getByRole('button', { name: /^Delete:/ })
		.click();
	await expect(row(page, 'Delete me')).toHaveCount(0);
	expect(await stored(deleted), 'still in the database while Undo is offered').not.toBeNull();
	await toasts(page).getByRole('button', { name: 'Undo' }).click();
	await expect(row(page, 'Delete me')).toBeVisible();

	await row(page, 'Delete me').hover();
	await row(page, 'Delete me')
		.getByRole('button', { name: /^Delete:/ })
		.click();
	const toast = toasts(page).getByRole('listitem').filter({ hasText: 'Deleted' });
	await toast.hover();
	await toast.getByRole('button', { name: /close/i }).click();
	await expect.poll(() => stored(deleted), { message: 'deleted once the toast closed' }).toBeNull();
	expect(await stored(archived)).not.toBeNull();
});

test('a delete still waiting for its toast happens when the tab closes', async () => {
	const tab = await openTab();
	const id = await send({ title: 'Delete me and close the tab' });
	await row(tab, 'Delete me and close the tab').hover();
	await row(tab, 'Delete me and close the tab')
		.getByRole('button', { name: /^Delete:/ })
		.click();
	await expect(row(tab, 'Delete me and close the tab')).toHaveCount(0);
	await tab.close({ runBeforeUnload: true });
	await expect.poll(() => stored(id), { message: 'deleted when the page went away' }).toBeNull();
});

test('"View" on a toast for a notification deleted elsewhere says so', async () => {
	const page = reader.page;
	const id = await send({ title: 'Soon deleted elsewhere' });
	const toast = toasts(page).getByRole('listitem').filter({ hasText: 'Soon deleted elsewhere' });
	await expect(toast).toBeVisible();
	await toast.hover();
	await service().from('notifications').delete().eq('id', id);
	await expect(row(page, 'Soon deleted elsewhere')).toHaveCount(0);
	await toast.getByRole('button', { name: 'View' }).click();
	await expect(toasts(page)).toContainText('That notification was deleted');
});

test('an action is recorded on the row, and every tab disables the buttons', async () => {
	const id = await send({
		title: 'Approve the production deploy',
		category: 'deploy',
		actions: [
			{ key: 'approve', label: 'Approve', kind: 'primary' },
			{ key: 'reject', label: 'Reject', kind: 'secondary' }
		]
	});
	for (const page of [reader.page, second]) {
		await expect(
			row(page, 'Approve the production deploy').getByRole('button', { name: 'Approve', exact: true })
		).toBeEnabled();
	}
	await row(reader.page, 'Approve the production deploy')
		.getByRole('button', { name: 'Approve', exact: true })
		.click();
	for (const page of [reader.page, second]) {
		const r = row(page, 'Approve the production deploy');
		await expect(r.getByRole('button', { name: 'Approve', exact: true })).toBeDisabled();
		await expect(r.getByRole('button', { name: 'Reject', exact: true })).toBeDisabled();
		await expect(r.locator('[data-action-taken]')).toHaveText('Approve');
	}
	expect((await stored(id))?.action_taken).toBe('approve');
});

test('a snoozed notification leaves every tab and the unread count, and comes back live, unread', async () => {
	const page = reader.page;
	const id = await send({ title: 'Snooze me until later' });
	await expect(row(second, 'Snooze me until later')).toBeVisible();
	const before = await unreadCount(second);

	await row(page, 'Snooze me until later').hover();
	await row(page, 'Snooze me until later')
		.getByRole('button', { name: /^Snooze:/ })
		.click();
	await page.getByRole('menuitem', { name: /^Tomorrow/ }).click();
	for (const tab of [page, second]) {
		await expect(row(tab, 'Snooze me until later')).toHaveCount(0);
		await expect.poll(() => unreadCount(tab)).toBe(before - 1);
	}
	expect((await stored(id))?.snoozed_until).not.toBeNull();

	// Tomorrow is too far for a test: move the time it comes back to two seconds from now.
	const soon = new Date(Date.now() + 2_000).toISOString();
	await service().from('notifications').update({ snoozed_until: soon }).eq('id', id);
	for (const tab of [page, second]) {
		await expect(row(tab, 'Snooze me until later')).toBeVisible();
		await expect(row(tab, 'Snooze me until later')).toHaveAttribute('data-unread', 'true');
		await expect.poll(() => unreadCount(tab)).toBe(before);
	}
});

test('notifications about one subject collapse into one expandable row named from profiles', async () => {
	const page = reader.page;
	for (const actor of ['alice', 'bob', 'carol']) {
		await send({
			title: `${actor} commented on "Q3 roadmap"`,
			category: 'comment',
			actor_id: await userId(`${actor}@example.com`),
			group_key: 'doc:q3-roadmap',
			subject: 'Q3 roadmap'
		});
	}
	const group = inbox(page).getByRole('button', { name: /commented on Q3 roadmap/ });
	await expect(group).toHaveText(/Carol Okafor and 2 others commented on Q3 roadmap/);
	await expect(group).toHaveAttribute('aria-expanded', 'false');
	await expect(item(page, 'bob commented on')).toHaveCount(0);
	await group.click();
	await expect(group).toHaveAttribute('aria-expanded', 'true');
	for (const actor of ['alice', 'bob', 'carol'])
		await expect(item(page, `${actor} commented on`)).toBeVisible();
});
