/**
 * Channel tokens: expired tokens refused at join, a token expiring closes its channel with
 * Supabase's system message, setAuth re-applies authorization, and the opaque sb_ keys connect.
 */
import { randomUUID } from 'node:crypto';
import type { RealtimeChannel } from '@supabase/supabase-js';
import { decodeJwt, SignJWT } from 'jose';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { client, type Client, clientPool, closeSql, eventually, sql, testEnv } from './helpers.ts';

const pool = clientPool();
const cleanup: string[] = [];

afterEach(async () => {
	await pool.removeChannels();
	for (const statement of cleanup.splice(0).reverse()) await sql(statement);
});
afterAll(() => closeSql());

async function userId(email: string): Promise<string> {
	const [row] = await sql<{ id: string }>('select id from auth.users where email = $1', [email]);
	return row.id;
}

/** A user access token as GoTrue would issue it, expiring in `seconds`. */
async function token(sub: string, seconds: number): Promise<string> {
	const now = Math.floor(Date.now() / 1000);
	return new SignJWT({ sub, role: 'authenticated', aud: 'authenticated', session_id: randomUUID() })
		.setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
		.setIssuedAt(now)
		.setExpirationTime(now + seconds)
		.sign(new TextEncoder().encode(testEnv().jwtSecret));
}

/** A client whose realtime token is whatever `current.token` holds (the accessToken option). */
async function withToken(current: { token: string }): Promise<Client> {
	const supabase = client(testEnv().anonKey, { accessToken: async () => current.token });
	pool.add(supabase);
	// supabase-js fetches the token asynchronously; a join sent before that would carry none.
	await supabase.realtime.setAuth();
	return supabase;
}

interface Watched {
	statuses: string[];
	subscribed: Promise<void>;
	closed: Promise<void>;
	error: Promise<string | undefined>;
	system: Promise<Record<string, unknown>>;
}

function watch(channel: RealtimeChannel): Watched {
	const statuses: string[] = [];
	let resolveSubscribed: () => void = () => undefined;
	let resolveClosed: () => void = () => undefined;
	let resolveError: (message: string | undefined) => void = () => undefined;
	const watched: Watched = {
		statuses,
		subscribed: new Promise((r) => (resolveSubscribed = r)),
		closed: new Promise((r) => (resolveClosed = r)),
		error: new Promise((r) => (resolveError = r)),
		system: new Promise((resolve) => channel.on('system', {}, (payload) => resolve(payload)))
	};
	channel.subscribe((status, err) => {
		statuses.push(status);
		if (status === 'SUBSCRIBED') resolveSubscribed();
		if (status === 'CLOSED') resolveClosed();
		if (status === 'CHANNEL_ERROR') resolveError(err?.message);
	});
	return watched;
}

describe('channel tokens', () => {
	it('refuses a join with an expired token', async () => {
		const expired = await token(await userId('alice@example.com'), -30);
		const { error } = watch((await withToken({ token: expired })).channel(`auth-${randomUUID()}`));
		expect(await error).toMatch(/^InvalidJWTToken: Token has expired \d+ seconds ago$/);
	});

	it('closes the channel when its token expires', async () => {
		const current = { token: await token(await userId('alice@example.com'), 2) };
		const channel = (await withToken(current)).channel(`auth-${randomUUID()}`);
		const watched = watch(channel);
		await watched.subscribed;
		expect(await watched.system).toEqual({
			extension: 'system',
			status: 'error',
			message: expect.stringMatching(/^Token has expired \d+ seconds ago$/),
			channel: channel.subTopic
		});
		await watched.closed;
	});

	it('keeps the channel open past the old expiry after setAuth with a fresh token', async () => {
		const sub = await userId('alice@example.com');
		const current = { token: await token(sub, 2) };
		const supabase = await withToken(current);
		const channel = supabase.channel(`auth-${randomUUID()}`, { config: { broadcast: { self: true } } });
		const watched = watch(channel);
		await watched.subscribed;
		const firstExpiry = decodeJwt(current.token).exp! * 1000;
		current.token = await token(sub, 3600);
		await supabase.realtime.setAuth();
		// The fault is time passing, so this waits on the clock (bounded by the token's 2 s): until the
		// first token has expired and the server's timer for that moment has had its turn. Then a
		// message through the channel proves it was not closed.
		await eventually(() => Date.now() > firstExpiry + 500, 5000, 'the first token to expire');
		const echo = new Promise((resolve) => channel.on('broadcast', { event: 'still-here' }, resolve));
		await channel.send({ type: 'broadcast', event: 'still-here', payload: {} });
		await echo;
		expect(watched.statuses).toEqual(['SUBSCRIBED']);
	});

	it('re-applies private channel authorization when the token changes', async () => {
		const topic = `auth-private-${randomUUID()}`;
		const alice = await userId('alice@example.com');
		const name = `rt alice only ${topic}`;
		await sql(`create policy "${name}" on realtime.messages for select to authenticated
			using (realtime.topic() = '${topic}' and auth.uid() = '${alice}'::uuid)`);
		cleanup.push(`drop policy if exists "${name}" on realtime.messages`);

		const current = { token: await token(alice, 3600) };
		const supabase = await withToken(current);
		const channel = supabase.channel(topic, { config: { private: true } });
		const watched = watch(channel);
		await watched.subscribed;

		current.token = await token(await userId('bob@example.com'), 3600);
		await supabase.realtime.setAuth();
		expect(await watched.system).toMatchObject({
			status: 'error',
			message: `You no longer have permission to read from this Channel topic: ${topic}`
		});
		await watched.closed;
	});

	it('accepts the opaque sb_publishable_ key for the socket', async () => {
		const supabase = client(testEnv().publishableKey);
		pool.add(supabase);
		const channel = supabase.channel(`auth-${randomUUID()}`, {
			config: { broadcast: { self: true, ack: true } }
		});
		await watch(channel).subscribed;
		expect(await channel.send({ type: 'broadcast', event: 'hi', payload: {} })).toBe('ok');
	});
});
