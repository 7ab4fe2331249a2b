/**
 * Realtime limits at Supabase's defaults: 100 channels per connection and 256 KB broadcasts.
 * A client over a limit is refused; its other channels (and other clients) carry on.
 */
import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { clientPool, joinOutcome, subscribed, testEnv } from './helpers.ts';

const pool = clientPool();
const make = () => pool.make();

afterEach(async () => {
	await pool.removeChannels();
});

describe('limits', () => {
	it('refuses the 101st channel of one connection', async () => {
		const supabase = make();
		const prefix = `limit-${randomUUID()}`;
		const first = await Promise.all(
			Array.from({ length: 100 }, (_, i) => joinOutcome(supabase.channel(`${prefix}-${i}`)))
		);
		expect(first.every((o) => o.status === 'SUBSCRIBED')).toBe(true);
		expect(await joinOutcome(supabase.channel(`${prefix}-100`))).toEqual({
			status: 'CHANNEL_ERROR',
			message: 'ChannelRateLimitReached: Too many channels'
		});

		// Another connection is not affected.
		expect(await joinOutcome(make().channel(`${prefix}-other`))).toEqual({ status: 'SUBSCRIBED' });
	});

	it('refuses a broadcast over the payload limit and keeps the channel', async () => {
		const channel = make().channel(`limit-${randomUUID()}`, {
			config: { broadcast: { self: true, ack: true } }
		});
		expect(await joinOutcome(channel)).toEqual({ status: 'SUBSCRIBED' });
		const big = 'x'.repeat(300 * 1024);
		expect(await channel.send({ type: 'broadcast', event: 'big', payload: { big } })).toBe('error');
		const small = new Promise((resolve) => channel.on('broadcast', { event: 'small' }, resolve));
		expect(await channel.send({ type: 'broadcast', event: 'small', payload: {} })).toBe('ok');
		await small;
	});

	it('closes a channel that sends more than 100 events per second', async () => {
		const channel = make().channel(`limit-${randomUUID()}`);
		const system = new Promise<Record<string, unknown>>((resolve) =>
			channel.on('system', {}, (payload) => resolve(payload))
		);
		let markClosed: () => void = () => undefined;
		const closed = new Promise<void>((resolve) => (markClosed = resolve));
		await subscribed(channel, { onStatus: (status) => status === 'CLOSED' && markClosed() });
		// Two seconds' worth at most, whatever the window boundaries.
		for (let i = 0; i < 250; i++) void channel.send({ type: 'broadcast', event: 'flood', payload: { i } });
		expect(await system).toMatchObject({ status: 'error', message: 'Too many messages per second' });
		await closed;
	});

	it('drops a client that stops reading instead of buffering without bound', async () => {
		const topic = `limit-${randomUUID()}`;
		const url = `${testEnv().url.replace(/^http/, 'ws')}/realtime/v1/websocket?apikey=${testEnv().anonKey}&vsn=2.0.0`;
		const ws = new WebSocket(url);
		await new Promise((resolve) => ws.on('open', resolve));
		const joined = new Promise((resolve) => ws.once('message', resolve));
		ws.send(JSON.stringify(['1', '1', `realtime:${topic}`, 'phx_join', { config: {} }]));
		await joined;
		const closed = new Promise<void>((resolve) => ws.on('close', () => resolve()));
		ws.pause();

		// About 30 MB of broadcasts, far past what the socket buffers between us hold, from two
		// senders so that neither goes over 100 events per second.
		const senders = [make().channel(topic), make().channel(topic)];
		for (const sender of senders) expect(await joinOutcome(sender)).toEqual({ status: 'SUBSCRIBED' });
		const blob = 'x'.repeat(240 * 1024);
		for (let i = 0; i < 70; i++) {
			for (const sender of senders) await sender.send({ type: 'broadcast', event: 'big', payload: { blob } });
		}
		ws.resume();
		await closed;
	});
});
