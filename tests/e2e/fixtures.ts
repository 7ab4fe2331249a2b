/**
 * What the end-to-end specs share: the app's URL, signing in as a demo user in a fresh browser
 * context, and SQL on the stack's database (as the superuser, like psql on port 54322).
 */
import {
	expect,
	test as base,
	type Browser,
	type BrowserContext,
	type Page,
	type WebSocketRoute
} from '@playwright/test';
import pg from 'pg';

export { expect };

function env(name: string): string {
	const value = process.env[name];
	if (!value)
		throw new Error(
			`${name} is not set: run the specs with \`npx playwright test\` (its global setup provides it)`
		);
	return value;
}

export const appUrl = () => env('BEACON_APP_URL');

export async function sql<T extends pg.QueryResultRow = pg.QueryResultRow>(
	text: string,
	params: unknown[] = []
): Promise<T[]> {
	const client = new pg.Client({ connectionString: env('SUPABASE_DB_URL') });
	await client.connect();
	try {
		return (await client.query<T>(text, params)).rows;
	} finally {
		await client.end();
	}
}

export async function userId(email: string): Promise<string> {
	const [row] = await sql<{ id: string }>('select id from auth.users where email = $1', [email]);
	if (!row) throw new Error(`no user ${email}`);
	return row.id;
}

export interface NewNotification {
	title: string;
	body?: string | null;
	url?: string | null;
	category?: string;
	priority?: string;
	actor?: string | null;
}

/** Insert straight into the table, as a script or psql would (Realtime must pick it up from the WAL). */
export async function insertNotification(to: string, n: NewNotification): Promise<string> {
	const [row] = await sql<{ id: string }>(
		`insert into public.notifications (user_id, actor_id, title, body, url, category, priority)
		 values ($1, $2, $3, $4, $5, coalesce($6::notification_category, 'message'), coalesce($7::notification_priority, 'normal')) returning id`,
		[
			await userId(to),
			n.actor ? await userId(n.actor) : null,
			n.title,
			n.body ?? null,
			n.url ?? null,
			n.category ?? null,
			n.priority ?? null
		]
	);
	return row.id;
}

/** A new user (confirmed, password123) made with the service key, for specs that need an inbox of their own. */
export async function newUser(name: string): Promise<string> {
	const email = `${name.toLowerCase().replace(/\W+/g, '-')}-${Date.now()}@example.com`;
	const res = await fetch(`${env('SUPABASE_URL')}/auth/v1/admin/users`, {
		method: 'POST',
		headers: {
			apikey: env('SUPABASE_SERVICE_ROLE_KEY'),
			authorization: `Bearer ${env('SUPABASE_SERVICE_ROLE_KEY')}`,
			'content-type': 'application/json'
		},
		body: JSON.stringify({
			email,
			password: 'password123',
			email_confirm: true,
			user_metadata: { display_name: name }
		})
	});
	if (!res.ok) throw new Error(`could not create ${email}: ${res.status} ${await res.text()}`);
	return email;
}

export async function signIn(page: Page, email: string, password = 'password123'): Promise<void> {
	await page.goto(`${appUrl()}/login`);
	await page.getByLabel('Email', { exact: true }).fill(email);
	await page.getByLabel('Password', { exact: true }).fill(password);
	await page.getByRole('button', { name: 'Sign in' }).click();
	await page.waitForURL(`${appUrl()}/`);
	await expect(page.getByTestId('connection')).toHaveAttribute('data-state-name', 'live');
}

export interface Person {
	context: BrowserContext;
	page: Page;
}

/** A person in their own browser context (own cookies), signed in and live. */
export async function person(
	browser: Browser,
	email: string,
	prepare: (context: BrowserContext) => Promise<unknown> = async () => undefined
): Promise<Person> {
	const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
	await prepare(context);
	const page = await context.newPage();
	await signIn(page, email);
	return { context, page };
}

export const unreadBadge = (page: Page) => page.getByTestId('unread-badge');
export const inbox = (page: Page) => page.getByRole('region', { name: 'Notifications', exact: true });
export const roster = (page: Page) => page.getByRole('region', { name: 'Online', exact: true });
/** A notification row by its title. */
export const row = (page: Page, title: string) =>
	inbox(page).getByRole('listitem').filter({ hasText: title });

export async function unreadCount(page: Page): Promise<number> {
	const text = (await unreadBadge(page).textContent()) ?? '';
	return Number(/(\d+) unread/.exec(text)?.[1] ?? NaN);
}

export const test = base;

/**
 * A network that can be cut: Playwright's offline mode leaves open WebSockets alone, so the Realtime
 * socket is routed through Playwright, and cutting the network closes it and refuses new ones
 * (as a dropped Wi-Fi would), on top of `setOffline` for HTTP and navigator.onLine.
 */
export class CuttableNetwork {
	#offline = false;
	#open = new Set<WebSocketRoute>();
	#context: BrowserContext;

	constructor(context: BrowserContext) {
		this.#context = context;
	}

	install(): Promise<void> {
		return this.#context.routeWebSocket(/\/realtime\/v1\/websocket/, (ws) => {
			if (this.#offline) {
				void ws.close({ code: 1001, reason: 'offline' });
				return;
			}
			const server = ws.connectToServer();
			this.#open.add(ws);
			ws.onClose(() => {
				this.#open.delete(ws);
				void server.close();
			});
			server.onClose(() => {
				this.#open.delete(ws);
				void ws.close();
			});
		});
	}

	async cut(): Promise<void> {
		this.#offline = true;
		await this.#context.setOffline(true);
		await Promise.all([...this.#open].map((ws) => ws.close({ code: 1001, reason: 'offline' })));
	}

	async restore(): Promise<void> {
		this.#offline = false;
		await this.#context.setOffline(false);
	}
}
