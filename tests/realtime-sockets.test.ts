/**
 * Sockets that never join still count (issue 8 item 3). On a stack of its own with small caps:
 * every open socket counts against the client limit and its address's share (HTTP 429 with
 * Supabase's text at upgrade beyond them), a socket that sends neither a heartbeat nor a join
 * within STACK_REALTIME_JOIN_TIMEOUT_MS is closed, and a legitimate client still gets in.
 * Also: every join refusal waits STACK_REALTIME_JOIN_ERROR_BACKOFF_MS, as Supabase's does.
 */
import type { RealtimeChannel } from '@supabase/supabase-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { signedInOn } from './helpers.ts';
import { startTestStack, type TestStack } from './setup/stack.ts';

const MAX_CLIENTS = 20;
const PER_IP = 15;
const JOIN_TIMEOUT_MS = 1500;
const JOIN_ERROR_BACKOFF_MS = 600;

let test: TestStack;
const open: WebSocket[] = [];

beforeAll(async () => {
	test = await startTestStack({
		STACK_REALTIME_MAX_CLIENTS: String(MAX_CLIENTS),
		STACK_REALTIME_MAX_CONNECTIONS_PER_IP: String(PER_IP),
		STACK_REALTIME_JOIN_TIMEOUT_MS: String(JOIN_TIMEOUT_MS),
		STACK_REALTIME_JOIN_ERROR_BACKOFF_MS: String(JOIN_ERROR_BACKOFF_MS)
	});
});

afterAll(async () => {
	for (const ws of open) ws.terminate();
	await test?.dispose();
});

const url = () =>
	`${test.env.SUPABASE_URL.replace(/^http/, 'ws')}/realtime/v1/websocket?apikey=${test.env.SUPABASE_ANON_KEY}&vsn=2.0.0`;

/** A raw socket from `localAddress` (any 127/8 address reaches the loopback listener on Linux). */
function connect(localAddress = '127.0.0.1'): Promise<WebSocket> {
	return new Promise((resolve, reject) => {
		const ws = new WebSocket(url(), { localAddress });
		open.push(ws);
		ws.once('open', () => resolve(ws));
		ws.once('unexpected-response', (_req, res) => {
			let body = '';
			res.on('data', (chunk: Buffer) => (body += chunk.toString()));
			res.on('end', () =>
				reject(Object.assign(new Error(`HTTP ${res.statusCode}: ${body}`), { status: res.statusCode, body }))
			);
		});
		ws.once('error', reject);
	});
}

function closed(ws: WebSocket, ms: number): Promise<void> {
	if (ws.readyState === WebSocket.CLOSED) return Promise.resolve();
	return new Promise((resolve, reject) => {
		const timer = setTimeout(() => reject(new Error(`socket still open after ${ms} ms`)), ms);
		ws.once('close', () => {
			clearTimeout(timer);
			resolve();
		});
	});
}

/** Sends a frame and waits for the reply with its ref (bounded). */
function ask(ws: WebSocket, frame: unknown[], ms = 5000): Promise<unknown[]> {
	const ref = String(frame[1]);
	return new Promise((resolve, reject) => {
		const timer = setTimeout(() => reject(new Error(`no reply to ref ${ref} within ${ms} ms`)), ms);
		const onMessage = (data: Buffer) => {
			const msg = JSON.parse(data.toString()) as unknown[];
			if (msg[1] !== ref) return;
			clearTimeout(timer);
			ws.off('message', onMessage);
			resolve(msg);
		};
		ws.on('message', onMessage);
		ws.send(JSON.stringify(frame));
	});
}

const heartbeat = (ref: string) => [null, ref, 'phoenix', 'heartbeat', {}];

describe('sockets that never join', () => {
	it('count against the caps, are closed after the join timeout, and never lock a legitimate client out', async () => {
		// One address fills its share with sockets that never send anything.
		const idle = await Promise.all(Array.from({ length: PER_IP }, () => connect()));
		const refusedByAddress = await connect().catch((error: { status?: number; body?: string }) => error);
		expect(refusedByAddress).toMatchObject({
			status: 429,
			body: 'ConnectionRateLimitReached: Too many connected users'
		});

		// Another address still gets in, joins, and keeps its socket by speaking the protocol.
		const legit = await connect('127.0.0.2');
		const joined = await ask(legit, ['1', '1', 'realtime:sockets-test', 'phx_join', { config: {} }]);
		expect(joined[4]).toMatchObject({ status: 'ok' });
		const heartbeatOnly = await connect('127.0.0.2');
		expect((await ask(heartbeatOnly, heartbeat('h1')))[4]).toMatchObject({ status: 'ok' });

		// The total is capped too: 15 + 2 + 3 = 20, the 21st is refused whatever its address.
		const rest = await Promise.all(
			Array.from({ length: MAX_CLIENTS - PER_IP - 2 }, () => connect('127.0.0.3'))
		);
		expect(await connect('127.0.0.4').catch((error: { status?: number }) => error)).toMatchObject({
			status: 429
		});

		// The silent ones are closed once the join timeout passes; the others stay.
		await Promise.all([...idle, ...rest].map((ws) => closed(ws, JOIN_TIMEOUT_MS + 5000)));
		expect((await ask(legit, heartbeat('h2')))[4]).toMatchObject({ status: 'ok' });
		expect((await ask(heartbeatOnly, heartbeat('h3')))[4]).toMatchObject({ status: 'ok' });

		// Their slots are free again: a supabase-js client from the first address subscribes.
		const { supabase } = await signedInOn(test.env, 'alice@example.com');
		try {
			const channel: RealtimeChannel = supabase.channel('sockets-test-after');
			const status = await new Promise<string>((resolve) => channel.subscribe((s) => resolve(s)));
			expect(status).toBe('SUBSCRIBED');
		} finally {
			await supabase.removeAllChannels();
		}
	});
});

describe('join refusals', () => {
	it('wait the configured backoff before the error reply, whatever refuses them', async () => {
		const ws = await connect('127.0.0.5');
		const refusals: Array<[string, unknown]> = [
			['realtime:', {}], // TopicNameRequired (a limit check)
			['realtime:backoff', { config: { postgres_changes: 'all' } }], // an unreadable payload
			['realtime:backoff-jwt', { access_token: 'not-a-jwt' }] // the token
		];
		for (const [i, [topic, payload]] of refusals.entries()) {
			const started = performance.now();
			const reply = await ask(ws, [String(i), `r${i}`, topic, 'phx_join', payload]);
			expect(reply[4], topic).toMatchObject({ status: 'error' });
			expect(performance.now() - started, topic).toBeGreaterThanOrEqual(JOIN_ERROR_BACKOFF_MS - 20);
		}
		ws.terminate();
	});
});
