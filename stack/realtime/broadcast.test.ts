import { afterEach, describe, expect, it } from 'vitest';
import { Hub, topicKey, type Member } from './broadcast.ts';
import { PAYLOAD_ENCODING, VSN_1, VSN_2, type Vsn } from './constants.ts';

let nextId = 1;
function member(vsn: Vsn, opts: { broadcast?: boolean; presence?: boolean } = {}) {
	const frames: Array<{ frame: Buffer; binary: boolean }> = [];
	const m: Member & { frames: typeof frames } = {
		id: nextId++,
		vsn,
		frames,
		receivesBroadcast: () => opts.broadcast ?? true,
		receivesPresence: () => opts.presence ?? true,
		send: (frame, binary) => frames.push({ frame, binary })
	};
	return m;
}

describe('Hub', () => {
	let hub: Hub;
	afterEach(() => hub.close());

	it('serializes a broadcast once per protocol version and skips the sender', () => {
		hub = new Hub(10);
		const key = topicKey('room', false);
		const [sender, a, b, old] = [member(VSN_2), member(VSN_2), member(VSN_2), member(VSN_1)];
		for (const m of [sender, a, b, old]) hub.join(key, m);
		const delivered = hub.broadcast(
			key,
			{ kind: 'json', body: { type: 'broadcast', event: 'e', payload: { x: 1 } } },
			sender
		);
		expect(delivered).toBe(3);
		expect(sender.frames).toEqual([]);
		expect(a.frames[0].frame).toBe(b.frames[0].frame);
		expect(JSON.parse(a.frames[0].frame.toString())).toEqual([
			null,
			null,
			'realtime:room',
			'broadcast',
			{ type: 'broadcast', event: 'e', payload: { x: 1 } }
		]);
		expect(JSON.parse(old.frames[0].frame.toString())).toMatchObject({
			topic: 'realtime:room',
			event: 'broadcast'
		});
	});

	it('keeps public and private topics of one name apart, and honours read policies', () => {
		hub = new Hub(10);
		const pub = member(VSN_2);
		const priv = member(VSN_2);
		const unauthorized = member(VSN_2, { broadcast: false });
		hub.join(topicKey('room', false), pub);
		hub.join(topicKey('room', true), priv);
		hub.join(topicKey('room', true), unauthorized);
		hub.broadcast(topicKey('room', true), {
			kind: 'json',
			body: { type: 'broadcast', event: 'e', payload: {} }
		});
		expect([pub.frames.length, priv.frames.length, unauthorized.frames.length]).toEqual([0, 1, 0]);
	});

	it('sends user bytes as kind 4 to 2.0.0 members and JSON to 1.0.0 members, dropping raw bytes for 1.0.0', () => {
		hub = new Hub(10);
		const key = topicKey('t', false);
		const current = member(VSN_2);
		const old = member(VSN_1);
		hub.join(key, current);
		hub.join(key, old);
		hub.broadcast(key, {
			kind: 'bytes',
			event: 'j',
			encoding: PAYLOAD_ENCODING.json,
			data: Buffer.from('{"a":1}')
		});
		hub.broadcast(key, {
			kind: 'bytes',
			event: 'b',
			encoding: PAYLOAD_ENCODING.binary,
			data: Buffer.from([1, 2])
		});
		expect(current.frames.map((f) => [f.binary, f.frame[0]])).toEqual([
			[true, 4],
			[true, 4]
		]);
		expect(old.frames).toHaveLength(1);
		expect(JSON.parse(old.frames[0].frame.toString()).payload).toEqual({
			type: 'broadcast',
			event: 'j',
			payload: { a: 1 }
		});
	});

	it('sends presence diffs to members with presence on', async () => {
		hub = new Hub(1);
		const key = topicKey('p', false);
		const watching = member(VSN_2);
		const notWatching = member(VSN_2, { presence: false });
		hub.join(key, watching);
		hub.join(key, notWatching);
		hub.presence.track(key, 99, 'k', { online: true });
		hub.presence.flush(key);
		expect(notWatching.frames).toEqual([]);
		const [, , topic, event, diff] = JSON.parse(watching.frames[0].frame.toString());
		expect([topic, event]).toEqual(['realtime:p', 'presence_diff']);
		expect(diff.joins.k.metas[0]).toMatchObject({ online: true });
	});
});
