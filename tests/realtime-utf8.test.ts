/**
 * Text frames carry valid UTF-8 only (issue 8 item 4). A vsn 2.0.0 client's binary broadcast push
 * (kind 3) whose JSON payload is not valid UTF-8 used to be spliced into the text frames of vsn
 * 1.0.0 subscribers, whose clients then dropped the connection (1006). It is refused with an
 * error reply; invalid bytes in the event name are re-encoded; every subscriber stays connected.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { eventually, testEnv } from './helpers.ts';

const sockets: WebSocket[] = [];
afterAll(() => {
	for (const ws of sockets) ws.terminate();
});

type Frame = { text?: unknown; binary?: Buffer };

async function connect(vsn: '1.0.0' | '2.0.0') {
	const env = testEnv();
	const ws = new WebSocket(
		`${env.url.replace(/^http/, 'ws')}/realtime/v1/websocket?apikey=${env.anonKey}&vsn=${vsn}`
	);
	sockets.push(ws);
	const frames: Frame[] = [];
	const closes: number[] = [];
	ws.on('message', (data: Buffer, isBinary) => {
		// A text frame with invalid UTF-8 makes `ws` fail the connection (1007) before this runs.
		frames.push(isBinary ? { binary: data } : { text: JSON.parse(data.toString('utf8')) });
	});
	ws.on('close', (code) => closes.push(code));
	await new Promise((resolve, reject) => {
		ws.once('open', resolve);
		ws.once('error', reject);
	});
	return { ws, frames, closes };
}

/** Kind 3: [3, joinRefLen, refLen, topicLen, eventLen, metaLen, encoding, ...strings, payload]. */
function binaryPush(joinRef: string, ref: string, topic: string, event: Buffer, payload: Buffer): Buffer {
	const [j, r, t] = [joinRef, ref, topic].map((s) => Buffer.from(s));
	return Buffer.concat([
		Buffer.from([3, j.length, r.length, t.length, event.length, 0, 1]),
		j,
		r,
		t,
		event,
		payload
	]);
}

describe('binary broadcasts reaching 1.0.0 subscribers', () => {
	it('refuses a JSON payload that is not valid UTF-8 and keeps every subscriber connected', async () => {
		const topic = `realtime:utf8-${randomUUID()}`;
		const subscriber = await connect('1.0.0');
		subscriber.ws.send(
			JSON.stringify({ topic, event: 'phx_join', payload: { config: {} }, ref: '1', join_ref: '1' })
		);
		const sender = await connect('2.0.0');
		sender.ws.send(JSON.stringify(['1', '1', topic, 'phx_join', { config: {} }]));
		const joined = (f: Frame, ref: string) =>
			(Array.isArray(f.text) ? f.text[1] : (f.text as { ref?: string })?.ref) === ref;
		await eventually(() => subscriber.frames.find((f) => joined(f, '1')), 5000, 'subscriber join');
		await eventually(() => sender.frames.find((f) => joined(f, '1')), 5000, 'sender join');

		// Invalid UTF-8 inside a JSON string: refused, with an error reply to the sender.
		sender.ws.send(
			binaryPush(
				'1',
				'2',
				topic,
				Buffer.from('bad'),
				Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d])
			)
		);
		const reply = await eventually(
			() => sender.frames.find((f) => joined(f, '2')),
			5000,
			'reply to the bad push'
		);
		expect((reply.text as unknown[])[4]).toEqual({
			status: 'error',
			response: { reason: 'invalid_payload: a JSON-encoded binary broadcast must be valid UTF-8 JSON' }
		});

		// Invalid bytes in the event name are re-encoded (U+FFFD), the payload goes through.
		sender.ws.send(binaryPush('1', '3', topic, Buffer.from([0x65, 0xff]), Buffer.from('{"n":1}')));
		// A sentinel after both: when it arrives, everything before it has been handled.
		sender.ws.send(binaryPush('1', '4', topic, Buffer.from('sentinel'), Buffer.from('{"n":2}')));
		const broadcasts = () =>
			subscriber.frames
				.map((f) => f.text as { event?: string; payload?: { event?: string; payload?: unknown } })
				.filter((m) => m?.event === 'broadcast');
		await eventually(() => broadcasts().find((m) => m.payload?.event === 'sentinel'), 5000, 'sentinel');
		expect(broadcasts().map((m) => m.payload)).toEqual([
			{ type: 'broadcast', event: 'e\ufffd', payload: { n: 1 } },
			{ type: 'broadcast', event: 'sentinel', payload: { n: 2 } }
		]);
		expect(subscriber.closes).toEqual([]);
		expect(sender.closes).toEqual([]);
	});
});
