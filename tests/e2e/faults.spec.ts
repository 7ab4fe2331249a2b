/**
 * Faults where the person would notice (issue 9): PostgreSQL is killed under an open dashboard.
 * The indicator says so ("Live, catching up…" while the database stream is broken, then "Live"),
 * and a notification committed during the outage appears without a reload, exactly once.
 * (The socket dropping, the browser offline and the stack restarting are in catchup.spec.ts.)
 */
import { expect, insertNotification, person, row, test } from './fixtures';

/** Retries while the database is restarting; resolves once the row is committed. */
async function insertWhenBack(to: string, title: string): Promise<void> {
	const deadline = Date.now() + 30_000;
	for (;;) {
		try {
			await insertNotification(to, { title });
			return;
		} catch (error) {
			if (Date.now() > deadline) throw error;
			await new Promise((resolve) => setTimeout(resolve, 200));
		}
	}
}

test('the postmaster is killed under the dashboard: the indicator tells, nothing is missed or doubled', async ({
	browser
}) => {
	const carol = await person(browser, 'carol@example.com');
	const connection = carol.page.getByTestId('connection');
	await expect(connection).toHaveAttribute('data-state-name', 'live');
	const before = `Before the crash ${Date.now()}`;
	await insertNotification('carol@example.com', { title: before });
	await expect(row(carol.page, before)).toBeVisible();

	// Every state the indicator passes through, recorded in the page (some last only a moment).
	await carol.page.evaluate(() => {
		const el = document.querySelector('[data-testid="connection"]')!;
		const seen: string[] = [el.getAttribute('data-state-name') ?? ''];
		(window as unknown as { __states: string[] }).__states = seen;
		new MutationObserver(() => {
			const state = el.getAttribute('data-state-name') ?? '';
			if (seen.at(-1) !== state) seen.push(state);
		}).observe(el, { attributes: true, attributeFilter: ['data-state-name'] });
	});

	const killed = await fetch(`${process.env.BEACON_STACK_CONTROL}/kill-postmaster`, { method: 'POST' });
	expect(killed.status).toBe(200);
	const during = `During the outage ${Date.now()}`;
	await insertWhenBack('carol@example.com', during);

	await expect(row(carol.page, during)).toBeVisible({ timeout: 30_000 });
	await expect(connection).toHaveAttribute('data-state-name', 'live', { timeout: 30_000 });
	const states = await carol.page.evaluate(() => (window as unknown as { __states: string[] }).__states);
	expect(states[0]).toBe('live');
	expect(states).toContain('catching-up');
	expect(states.at(-1)).toBe('live');

	// A sentinel after it: once it shows, a duplicate would have shown too.
	const sentinel = `After the outage ${Date.now()}`;
	await insertNotification('carol@example.com', { title: sentinel });
	await expect(row(carol.page, sentinel)).toBeVisible();
	await expect(row(carol.page, during)).toHaveCount(1);
	await expect(row(carol.page, before)).toHaveCount(1);
	await carol.context.close();
});

test('the access token expires mid-session: refreshed tokens keep the inbox live, nothing missed or doubled', async ({
	browser
}) => {
	test.setTimeout(180_000);
	const control = process.env.BEACON_STACK_CONTROL;
	// Tokens that last 45 s: supabase-js refreshes them on its 30 s tick and hands each one to
	// Realtime, so the channels must outlive the token they joined with.
	expect((await fetch(`${control}/restart?jwt_expiry=45`, { method: 'POST' })).status).toBe(204);
	try {
		const dave = await person(browser, 'dave@example.com');
		const signedIn = Date.now();
		const before = `Before the token expired ${Date.now()}`;
		await insertNotification('dave@example.com', { title: before });
		await expect(row(dave.page, before)).toBeVisible();

		// Past the first token's expiry (45 s) and a refresh tick, with margin.
		await expect
			.poll(() => Date.now() - signedIn, { timeout: 90_000, intervals: [5_000] })
			.toBeGreaterThan(60_000);
		const after = `After the token expired ${Date.now()}`;
		await insertNotification('dave@example.com', { title: after });
		await expect(row(dave.page, after)).toBeVisible();
		await expect(dave.page.getByTestId('connection')).toHaveAttribute('data-state-name', 'live');
		const sentinel = `Sentinel ${Date.now()}`;
		await insertNotification('dave@example.com', { title: sentinel });
		await expect(row(dave.page, sentinel)).toBeVisible();
		await expect(row(dave.page, after)).toHaveCount(1);
		await expect(row(dave.page, before)).toHaveCount(1);
		await dave.context.close();
	} finally {
		await fetch(`${control}/restart`, { method: 'POST' });
	}
});
