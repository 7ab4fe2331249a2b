/**
 * Faults where the person would notice (issue 9): PostgreSQL is killed under an open dashboard, and
 * the access token expires mid-session. The indicator tells the truth ("Live, catching up…" while
 * the database stream is broken, then "Live"), and notifications committed before, during and after
 * the fault appear without a reload, exactly once.
 * (The socket dropping, the browser offline and the stack restarting are in catchup.spec.ts.)
 */
import type { Page } from '@playwright/test';
import pg from 'pg';
import { serveApp, type ServedApp } from '../setup/app';
import { startTestStack, type TestStack } from '../setup/stack';
import { expect, insertNotification, person, row, test } from './fixtures';

/** Records every state the connection indicator passes through in the page (some last a moment). */
async function recordStates(page: Page): Promise<() => Promise<string[]>> {
	await page.evaluate(() => {
		const el = document.querySelector('[data-testid="connection"]')!;
		const seen: string[] = [el.getAttribute('data-state-name') ?? ''];
		(window as unknown as { __states: string[] }).__states = seen;
		new MutationObserver(() => {
			const state = el.getAttribute('data-state-name') ?? '';
			if (seen.at(-1) !== state) seen.push(state);
		}).observe(el, { attributes: true, attributeFilter: ['data-state-name'] });
	});
	return () => page.evaluate(() => (window as unknown as { __states: string[] }).__states);
}

/** Retries while the database is restarting; resolves once the row is committed. */
async function insertWhenBack(to: string, title: string): Promise<void> {
	await expect(() => insertNotification(to, { title }), `the insert of "${title}" to commit`).toPass({
		timeout: 30_000
	});
}

test('the postmaster is killed under the dashboard: the indicator tells, nothing is missed or doubled', async ({
	browser
}) => {
	// Crash recovery, the stream's reconnect and the browser's rejoin backoff, on a loaded machine:
	// the waits below are bounded one by one, and the test as a whole gets room for all of them.
	test.setTimeout(90_000);
	const carol = await person(browser, 'carol@example.com');
	const connection = carol.page.getByTestId('connection');
	await expect(connection).toHaveAttribute('data-state-name', 'live');
	const before = `Before the crash ${Date.now()}`;
	await insertNotification('carol@example.com', { title: before });
	await expect(row(carol.page, before)).toBeVisible();

	const states = await recordStates(carol.page);

	const killed = await fetch(`${process.env.BEACON_STACK_CONTROL}/kill-postmaster`, { method: 'POST' });
	expect(killed.status).toBe(200);
	const during = `During the outage ${Date.now()}`;
	await insertWhenBack('carol@example.com', during);

	await expect(row(carol.page, during)).toBeVisible({ timeout: 30_000 });
	await expect(connection).toHaveAttribute('data-state-name', 'live', { timeout: 30_000 });
	const seen = await states();
	expect(seen[0]).toBe('live');
	expect(seen).toContain('catching-up');
	expect(seen.at(-1)).toBe('live');

	// A sentinel after it: once it shows, a duplicate would have shown too.
	const sentinel = `After the outage ${Date.now()}`;
	await insertNotification('carol@example.com', { title: sentinel });
	await expect(row(carol.page, sentinel)).toBeVisible();
	await expect(row(carol.page, during)).toHaveCount(1);
	await expect(row(carol.page, before)).toHaveCount(1);
	await carol.context.close();
});

/**
 * Access tokens that last 30 s. realtime-js refreshes its token from supabase-js on every heartbeat
 * (25 s), and supabase-js refreshes a session that has under 90 s left whenever asked, so each token
 * is replaced before it runs out; shorter than a heartbeat, and the server would close the channels
 * at expiry by design (realtime-js documents it).
 */
const TOKEN_SECONDS = 30;

/** The phoenix message a frame carries (realtime-js 2 sends arrays: join_ref, ref, topic, event, payload). */
function phoenix(frame: string | Buffer): { event: string; payload: Record<string, unknown> } | undefined {
	if (typeof frame !== 'string') return undefined;
	try {
		const message: unknown = JSON.parse(frame);
		if (Array.isArray(message)) return { event: String(message[3]), payload: message[4] ?? {} };
		const { event, payload } = message as { event: string; payload: Record<string, unknown> };
		return { event, payload: payload ?? {} };
	} catch {
		return undefined;
	}
}

const expiryOf = (jwt: string): number =>
	(JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString()) as { exp: number }).exp;

test.describe('short-lived access tokens', () => {
	// A stack of its own whose tokens are short, and the built app served against it: the shared
	// stack keeps its settings, and nothing restarts under another spec.
	let stack: TestStack | undefined;
	let app: ServedApp | undefined;
	test.beforeAll(async () => {
		test.setTimeout(120_000); // starting a stack on a loaded machine
		stack = await startTestStack({ STACK_JWT_EXPIRY: String(TOKEN_SECONDS) });
		app = await serveApp(stack.env);
	});
	test.afterAll(async () => {
		await app?.close();
		await stack?.dispose();
	});

	test('the access token expires mid-session: refreshed tokens keep the inbox live, nothing missed or doubled', async ({
		browser
	}) => {
		test.setTimeout(TOKEN_SECONDS * 1000 + 60_000);
		const { env } = stack!;
		const db = new pg.Client({ connectionString: env.SUPABASE_DB_URL });
		await db.connect();
		try {
			const {
				rows: [dave]
			} = await db.query<{ id: string }>(`select id from auth.users where email = 'dave@example.com'`);
			const insert = (title: string) =>
				db.query(`insert into notifications (user_id, category, title) values ($1, 'system', $2)`, [
					dave.id,
					title
				]);

			const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
			const page = await context.newPage();
			const pageErrors: string[] = [];
			page.on('pageerror', (error) => pageErrors.push(error.message));
			let refreshes = 0;
			page.on('requestfinished', (request) => {
				if (request.url().includes('/auth/v1/token?grant_type=refresh_token')) refreshes++;
			});
			// The tokens the channels joined with, and the ones handed to Realtime later (setAuth).
			const joinedWith: string[] = [];
			const handedOver: string[] = [];
			page.on('websocket', (ws) =>
				ws.on('framesent', ({ payload }) => {
					const message = phoenix(payload);
					const token = message?.payload.access_token;
					if (typeof token !== 'string') return;
					if (message!.event === 'phx_join') joinedWith.push(token);
					if (message!.event === 'access_token') handedOver.push(token);
				})
			);

			await page.goto(`${app!.url}/login`);
			await page.getByLabel('Email', { exact: true }).fill('dave@example.com');
			await page.getByLabel('Password', { exact: true }).fill('password123');
			await page.getByRole('button', { name: 'Sign in' }).click();
			await page.waitForURL(`${app!.url}/`);
			const connection = page.getByTestId('connection');
			await expect(connection).toHaveAttribute('data-state-name', 'live');
			const states = await recordStates(page);

			const before = `Before the token expired ${Date.now()}`;
			await insert(before);
			await expect(row(page, before)).toBeVisible();

			// The clock is the fault here: the wait is on the latest expiry among the tokens the channels
			// joined with (bounded by the token's lifetime), with a commit right as it runs out.
			expect(joinedWith.length, 'the channels joined with a token').toBeGreaterThan(0);
			const expiresAt = Math.max(...joinedWith.map(expiryOf)) * 1000;
			expect(expiresAt - Date.now()).toBeLessThanOrEqual(TOKEN_SECONDS * 1000);
			const untilExpiry = (margin: number) =>
				expect
					.poll(() => Date.now() - expiresAt, {
						message: "the clock to pass the joined token's expiry",
						timeout: TOKEN_SECONDS * 1000 + 5_000,
						intervals: [250]
					})
					.toBeGreaterThanOrEqual(margin);
			await untilExpiry(0);
			const during = `As the token expired ${Date.now()}`;
			await insert(during);
			// Past the server's expiry timer for that token (it fires at `exp`).
			await untilExpiry(2_000);
			const after = `After the token expired ${Date.now()}`;
			await insert(after);
			await expect(row(page, during)).toBeVisible();
			await expect(row(page, after)).toBeVisible();

			// A sentinel after them: once it shows, a duplicate would have shown too.
			const sentinel = `Sentinel ${Date.now()}`;
			await insert(sentinel);
			await expect(row(page, sentinel)).toBeVisible();
			for (const title of [before, during, after]) await expect(row(page, title)).toHaveCount(1);

			// supabase-js refreshed the session and Realtime got the new tokens; the channels never left.
			expect(refreshes, 'session refreshes by supabase-js').toBeGreaterThan(0);
			expect(
				handedOver.filter((token) => expiryOf(token) * 1000 > expiresAt),
				'tokens outliving the joined one, handed to Realtime (access_token)'
			).not.toEqual([]);
			expect(await states()).toEqual(['live']);
			await expect(connection).toHaveAttribute('data-state-name', 'live');
			expect(pageErrors).toEqual([]);
			expect((await fetch(`${env.SUPABASE_URL}/health`)).status).toBe(200);
			await context.close();
		} finally {
			await db.end();
		}
	});
});
