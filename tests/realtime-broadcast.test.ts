/**
 * Realtime Broadcast through supabase-js, as an app uses it: self and ack, binary payloads over
 * protocol 2.0.0, a 1.0.0 client, the REST broadcast API, and a server that shrugs off bad frames.
 */
import { randomUUID } from 'node:crypto';
import type { RealtimeChannel } from '@supabase/supabase-js';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { client, clientPool, subscribed, testEnv } from './helpers.ts';

const pool = clientPool();
const make = (options: Parameters<typeof client>[1] = {}) => pool.make(options);

afterEach(async () => {
	await pool.removeChannels();
});

/** Resolves with the payload of the first broadcast `event` the channel receives from now on. */
function next(channel: RealtimeChannel, event: string): Promise<Record<string, unknown>> {
	return new Promise((resolve) => channel.on('broadcast', { event }, (payload) => resolve(payload)));
}

/** Everything a channel receives, in order. */
function recorder(channel: RealtimeChannel) {
	const seen: Array<Record<string, unknown>> = [];
	channel.on('broadcast', { event: '*' }, (payload) => seen.push(payload));
	return seen;
}

const room = () => `room-${randomUUID()}`;

describe('broadcast', () => {
	it('reaches the other members but not the sender when self is false', async () => {
		const name = room();
		const a = make().channel(name);
		const b = make().channel(name);
		const seenByA = recorder(a);
		await Promise.all([subscribed(a), subscribed(b)]);

		const ping = next(b, 'ping');
		const pong = next(a, 'pong');
		b.on(
			'broadcast',
			{ event: 'ping' },
			() => void b.send({ type: 'broadcast', event: 'pong', payload: {} })
		);
		await a.send({ type: 'broadcast', event: 'ping', payload: { n: 1 } });

		expect(await ping).toEqual({ type: 'broadcast', event: 'ping', payload: { n: 1 } });
		await pong;
		// The server writes A's own frame (if any) before B's pong, on the same socket.
		expect(seenByA.map((m) => m.event)).toEqual(['pong']);
	});

	it('echoes to the sender when self is true, and acks when asked', async () => {
		const channel = make().channel(room(), { config: { broadcast: { self: true, ack: true } } });
		await subscribed(channel);
		const echo = next(channel, 'hello');
		expect(await channel.send({ type: 'broadcast', event: 'hello', payload: { text: 'hi' } })).toBe('ok');
		expect((await echo).payload).toEqual({ text: 'hi' });
	});

	it('carries binary payloads over protocol 2.0.0', async () => {
		const name = room();
		const sender = make().channel(name);
		const receiver = make().channel(name);
		await Promise.all([subscribed(sender), subscribed(receiver)]);
		const received = next(receiver, 'bytes');
		const bytes = new Uint8Array([0, 1, 2, 250, 255]);
		await sender.send({ type: 'broadcast', event: 'bytes', payload: bytes.buffer });
		const { payload } = await received;
		expect(payload).toBeInstanceOf(ArrayBuffer);
		expect([...new Uint8Array(payload as ArrayBuffer)]).toEqual([0, 1, 2, 250, 255]);
	});

	it('lets 1.0.0 and 2.0.0 clients talk to each other', async () => {
		const name = room();
		const old = make({ realtime: { vsn: '1.0.0' } }).channel(name);
		const current = make().channel(name);
		await Promise.all([subscribed(old), subscribed(current)]);

		const atOld = next(old, 'from-new');
		await current.send({ type: 'broadcast', event: 'from-new', payload: { emoji: '🚀', n: [1, 2] } });
		expect((await atOld).payload).toEqual({ emoji: '🚀', n: [1, 2] });

		const atNew = next(current, 'from-old');
		await old.send({ type: 'broadcast', event: 'from-old', payload: { ok: true } });
		expect((await atNew).payload).toEqual({ ok: true });
	});

	it('accepts broadcasts over REST (batch endpoint and httpSend)', async () => {
		const name = room();
		const listener = make().channel(name);
		await subscribed(listener);

		const batch = next(listener, 'rest');
		const response = await fetch(`${testEnv().url}/realtime/v1/api/broadcast`, {
			method: 'POST',
			headers: {
				apikey: testEnv().serviceKey,
				authorization: `Bearer ${testEnv().serviceKey}`,
				'content-type': 'application/json'
			},
			body: JSON.stringify({
				messages: [{ topic: name, event: 'rest', payload: { via: 'batch' }, private: false }]
			})
		});
		expect(response.status).toBe(202);
		expect((await batch).payload).toEqual({ via: 'batch' });

		const single = next(listener, 'http');
		const sender = make().channel(name);
		expect(await sender.httpSend('http', { via: 'httpSend' })).toEqual({ success: true });
		expect((await single).payload).toEqual({ via: 'httpSend' });
	});
});

describe('the socket', () => {
	function rawSocket(query = `apikey=${testEnv().anonKey}&vsn=2.0.0`) {
		const url = `${testEnv().url.replace(/^http/, 'ws')}/realtime/v1/websocket?${query}`;
		return new WebSocket(url);
	}

	it('refuses a connection without a valid API key with plain HTTP 401', async () => {
		for (const query of ['vsn=2.0.0', 'apikey=not-a-key&vsn=2.0.0']) {
			const status = await new Promise<number>((resolve, reject) => {
				const ws = rawSocket(query);
				ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
				ws.on('open', () => reject(new Error('connected without a key')));
				ws.on('error', () => undefined);
			});
			expect(status).toBe(401);
		}
	});

	it('ignores bad frames, answers unknown topics and keeps heartbeating', async () => {
		const ws = rawSocket();
		const replies: unknown[][] = [];
		const heartbeat = new Promise<void>((resolve) => {
			ws.on('message', (data) => {
				const frame = JSON.parse(String(data)) as unknown[];
				replies.push(frame);
				if (frame[1] === 'hb') resolve();
			});
		});
		await new Promise((resolve) => ws.on('open', resolve));
		ws.send('this is not json');
		ws.send(JSON.stringify({ not: 'an array' }));
		ws.send(Buffer.from([9, 9, 9]));
		ws.send(JSON.stringify([null, '1', 'realtime:nowhere', 'broadcast', {}]));
		ws.send(JSON.stringify([null, '2', 'elsewhere', 'phx_join', {}]));
		ws.send(JSON.stringify([null, 'hb', 'phoenix', 'heartbeat', {}]));
		await heartbeat;
		ws.close();
		expect(replies).toEqual([
			[
				null,
				'1',
				'realtime:nowhere',
				'phx_reply',
				{ status: 'error', response: { reason: 'unmatched topic' } }
			],
			[null, '2', 'elsewhere', 'phx_reply', { status: 'error', response: { reason: 'unmatched topic' } }],
			[null, 'hb', 'phoenix', 'phx_reply', { status: 'ok', response: {} }]
		]);
	});
});
