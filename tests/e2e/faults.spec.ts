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
