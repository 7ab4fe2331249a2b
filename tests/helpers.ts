/**
 * What tests share: the stack's URL and keys from the environment, Supabase clients for Node,
 * demo users, and SQL on the db port.
 */
import { createClient, type RealtimeChannel, type REALTIME_SUBSCRIBE_STATES } from '@supabase/supabase-js';
import pg from 'pg';
import { inject } from 'vitest';
import WebSocket from 'ws';

export const DEMO_PASSWORD = 'password123';
export const DEMO_USERS = [
	'alice@example.com',
	'bob@example.com',
	'carol@example.com',
	'dave@example.com'
] as const;

export interface TestEnv {
	url: string;
	anonKey: string;
	serviceKey: string;
	publishableKey: string;
	secretKey: string;
	dbUrl: string;
	jwtSecret: string;
}

export function testEnv(): TestEnv {
	const provided = (() => {
		try {
			return inject('supabaseEnv') ?? {};
		} catch {
			return {};
		}
	})();
	const read = (name: string, fallback?: string): string => {
		const value = process.env[name] ?? provided[name] ?? fallback;
		if (!value)
			throw new Error(
				`${name} is not set: run the tests with Vitest (its global setup starts a stack) or set it`
			);
		return value;
	};
	return {
		url: read('SUPABASE_URL'),
		anonKey: read('SUPABASE_ANON_KEY'),
		serviceKey: read('SUPABASE_SERVICE_ROLE_KEY'),
		publishableKey: read('SUPABASE_PUBLISHABLE_KEY', 'sb_publishable_ACJWlzQHlZjBrEguHvfOxg_3BJgxAaH'),
		secretKey: read('SUPABASE_SECRET_KEY', 'sb_secret_N7UND0UgjKTVK-Uodkm0Hg_xSvEMPvz'),
		dbUrl: read('SUPABASE_DB_URL'),
		jwtSecret: read('SUPABASE_JWT_SECRET', 'super-secret-jwt-token-with-at-least-32-characters-long')
	};
}

type ClientOptions = NonNullable<Parameters<typeof createClient>[2]>;

/** A supabase-js client as a Node script would make it (ws transport for realtime on Node 20). */
function nodeClient(url: string, key: string, options: ClientOptions = {}) {
	return createClient(url, key, {
		...options,
		auth: { persistSession: false, autoRefreshToken: false, ...options.auth },
		realtime: { transport: WebSocket as never, ...options.realtime }
	});
}

/** A client of the shared test stack (or of whatever SUPABASE_URL points at). */
export function client(key = testEnv().anonKey, options: ClientOptions = {}) {
	return nodeClient(testEnv().url, key, options);
}

export type Client = ReturnType<typeof client>;

/** The clients a test file makes: `removeChannels()` (in afterEach) leaves every channel they joined. */
export function clientPool() {
	const clients: Client[] = [];
	return {
		add<C extends Client>(supabase: C): C {
			clients.push(supabase);
			return supabase;
		},
		make(options: ClientOptions = {}): Client {
			return this.add(client(testEnv().anonKey, options));
		},
		async removeChannels(): Promise<void> {
			await Promise.all(clients.splice(0).map((c) => c.removeAllChannels()));
		}
	};
}

export interface JoinOutcome {
	status: `${REALTIME_SUBSCRIBE_STATES}`;
	message?: string;
}

interface JoinOptions {
	/** Fails the wait after this long, naming the channel. */
	timeout?: number;
	/** Sees every status of the channel, also the later ones (CLOSED, a rejoin's SUBSCRIBED). */
	onStatus?: (status: `${REALTIME_SUBSCRIBE_STATES}`, message?: string) => void;
}

/**
 * Subscribes and resolves with the first status the join settles on (SUBSCRIBED, CHANNEL_ERROR,
 * TIMED_OUT or CLOSED) and the server's message; for tests that expect a refusal.
 */
export function joinOutcome(channel: RealtimeChannel, options: JoinOptions = {}): Promise<JoinOutcome> {
	const { timeout = 10_000, onStatus } = options;
	return new Promise((resolve, reject) => {
		const timer = setTimeout(
			() => reject(new Error(`${channel.topic}: no answer to the join within ${timeout} ms`)),
			timeout
		);
		channel.subscribe((status, err) => {
			onStatus?.(status, err?.message);
			clearTimeout(timer);
			resolve(err?.message === undefined ? { status } : { status, message: err.message });
		});
	});
}

/** Subscribes and resolves once the channel is SUBSCRIBED; rejects with the status and message otherwise. */
export async function subscribed(
	channel: RealtimeChannel,
	options: JoinOptions = {}
): Promise<RealtimeChannel> {
	const { status, message } = await joinOutcome(channel, options);
	if (status !== 'SUBSCRIBED') throw new Error(`${channel.topic}: ${status}: ${message ?? ''}`);
	return channel;
}

export function serviceClient() {
	return client(testEnv().serviceKey);
}

/** A client signed in as a demo user (or any user with the demo password). */
export async function signedIn(email: string, password = DEMO_PASSWORD, options: ClientOptions = {}) {
	const supabase = client(testEnv().anonKey, options);
	const { data, error } = await supabase.auth.signInWithPassword({ email, password });
	if (error) throw new Error(`sign-in as ${email} failed: ${error.message}`);
	return { supabase, session: data.session!, user: data.user! };
}

/**
 * A demo user's client on a stack the test file started itself (tests that restart the stack or
 * change its settings), rather than the shared one.
 */
export async function signedInOn(env: Record<string, string>, email: string, options: ClientOptions = {}) {
	const supabase = nodeClient(env.SUPABASE_URL, env.SUPABASE_ANON_KEY, options);
	const { data, error } = await supabase.auth.signInWithPassword({ email, password: DEMO_PASSWORD });
	if (error) throw new Error(`sign-in as ${email} failed: ${error.message}`);
	return { supabase, user: data.user! };
}

/** Inserts a notification for `userId` as the superuser, over a connection of its own to `dbUrl`. */
export async function insertNotification(dbUrl: string, userId: string, title: string): Promise<void> {
	const db = new pg.Client({ connectionString: dbUrl });
	await db.connect();
	try {
		await db.query(`insert into notifications (user_id, category, title) values ($1, 'system', $2)`, [
			userId,
			title
		]);
	} finally {
		await db.end();
	}
}

let pool: pg.Pool | undefined;

/** SQL as the superuser on the db port. */
export async function sql<R extends pg.QueryResultRow = Record<string, unknown>>(
	text: string,
	params: unknown[] = []
) {
	pool ??= new pg.Pool({ connectionString: testEnv().dbUrl, max: 4 });
	return (await pool.query<R>(text, params)).rows;
}

export async function closeSql(): Promise<void> {
	await pool?.end();
	pool = undefined;
}

/**
 * The one polling helper: resolves with the first value `probe` returns that is neither undefined
 * nor false (so a plain condition works too), polling until `ms` pass, then fails with `message`
 * (say what never happened, and what was seen). Use it to wait for something to happen; to prove
 * something did not happen, send a sentinel after it and wait for that.
 */
export async function eventually<T>(
	probe: () => Promise<T | undefined | false> | T | undefined | false,
	ms = 5000,
	message: string | (() => string) = 'condition not met'
): Promise<T> {
	const deadline = Date.now() + ms;
	for (;;) {
		const value = await probe();
		if (value !== undefined && value !== false) return value;
		if (Date.now() > deadline) {
			throw new Error(`${typeof message === 'function' ? message() : message} (waited ${ms} ms)`);
		}
		await new Promise((r) => setTimeout(r, 20));
	}
}
