import { describe, expect, it } from 'vitest';
import {
	decodeFrame,
	encodeJsonBytesBroadcast,
	encodeMessage,
	encodeUserBroadcast,
	FrameError
} from './serializer.ts';
import { PAYLOAD_ENCODING, VSN_1, VSN_2 } from './constants.ts';
import type { BinaryBroadcastPayload } from './types.ts';

const bytes = (...parts: Array<number[] | string>) =>
	Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : Buffer.from(p))));

describe('decodeFrame', () => {
	it('reads a 2.0.0 array frame', () => {
		const frame = Buffer.from('["1","2","realtime:room","phx_join",{"config":{}}]');
		expect(decodeFrame(frame, false, VSN_2)).toEqual({
			joinRef: '1',
			ref: '2',
			topic: 'realtime:room',
			event: 'phx_join',
			payload: { config: {} }
		});
	});

	it('reads a 1.0.0 object frame', () => {
		const frame = Buffer.from('{"topic":"phoenix","event":"heartbeat","payload":{},"ref":"7"}');
		expect(decodeFrame(frame, false, VSN_1)).toEqual({
			joinRef: null,
			ref: '7',
			topic: 'phoenix',
			event: 'heartbeat',
			payload: {}
		});
	});

	it('reads a kind 3 binary broadcast push, as realtime-js writes it', () => {
		// kind, joinRef "1", ref "22", topic "realtime:a", event "ev", no meta, JSON encoding, payload {"x":1}
		const frame = bytes([3, 1, 2, 10, 2, 0, 1], '1', '22', 'realtime:a', 'ev', '{"x":1}');
		const msg = decodeFrame(frame, true, VSN_2);
		expect(msg).toMatchObject({ joinRef: '1', ref: '22', topic: 'realtime:a', event: 'broadcast' });
		const payload = msg.payload as BinaryBroadcastPayload;
		expect(payload.event).toBe('ev');
		expect(payload.encoding).toBe(PAYLOAD_ENCODING.json);
		expect(payload.data.toString()).toBe('{"x":1}');
	});

	it('skips the metadata of a kind 3 push', () => {
		const frame = bytes([3, 1, 1, 1, 1, 16, 0], '1', '2', 't', 'e', '{"persist":true}', [9, 8, 7]);
		const payload = decodeFrame(frame, true, VSN_2).payload as BinaryBroadcastPayload;
		expect(payload.encoding).toBe(PAYLOAD_ENCODING.binary);
		expect([...payload.data]).toEqual([9, 8, 7]);
	});

	it('refuses what is not a Phoenix frame', () => {
		expect(() => decodeFrame(Buffer.from('not json'), false, VSN_2)).toThrow(FrameError);
		expect(() => decodeFrame(Buffer.from('{"a":1}'), false, VSN_2)).toThrow(FrameError);
		expect(() => decodeFrame(Buffer.from('[1,2,3]'), false, VSN_2)).toThrow(FrameError);
		expect(() => decodeFrame(Buffer.from('[null,null,1,"e",{}]'), false, VSN_2)).toThrow(FrameError);
		expect(() => decodeFrame(bytes([3, 9, 9, 9, 9, 9, 1]), true, VSN_2)).toThrow(FrameError);
		expect(() => decodeFrame(bytes([5, 0, 0]), true, VSN_2)).toThrow(FrameError);
		expect(() => decodeFrame(bytes([3, 0, 0, 0, 0, 0, 1]), true, VSN_1)).toThrow(FrameError);
	});
});

describe('encodeMessage', () => {
	const reply = {
		joinRef: '1',
		ref: '1',
		topic: 'realtime:room',
		event: 'phx_reply',
		payload: { status: 'ok', response: {} }
	};

	it('writes 2.0.0 as an array', () => {
		expect(encodeMessage(VSN_2, reply).toString()).toBe(
			'["1","1","realtime:room","phx_reply",{"status":"ok","response":{}}]'
		);
	});

	it('writes 1.0.0 as an object', () => {
		expect(JSON.parse(encodeMessage(VSN_1, reply).toString())).toEqual({
			join_ref: '1',
			ref: '1',
			topic: 'realtime:room',
			event: 'phx_reply',
			payload: { status: 'ok', response: {} }
		});
	});
});

describe('encodeUserBroadcast', () => {
	it('writes kind 4 exactly as realtime-js decodes it', () => {
		const frame = encodeUserBroadcast('realtime:a', 'ev', PAYLOAD_ENCODING.json, Buffer.from('{"x":1}'));
		expect(frame).toEqual(bytes([4, 10, 2, 0, 1], 'realtime:a', 'ev', '{"x":1}'));
	});

	it('counts UTF-8 bytes, not characters', () => {
		const frame = encodeUserBroadcast('realtime:é', 'ü', PAYLOAD_ENCODING.binary, Buffer.from([1]))!;
		expect([...frame.subarray(0, 5)]).toEqual([4, 11, 2, 0, 0]);
	});

	it('gives up on topics longer than 255 bytes', () => {
		expect(encodeUserBroadcast('x'.repeat(256), 'e', PAYLOAD_ENCODING.json, Buffer.from('{}'))).toBeNull();
	});
});

describe('encodeJsonBytesBroadcast', () => {
	it('splices the JSON payload into a text broadcast for either version', () => {
		const json = Buffer.from('{"x":[1,2]}');
		expect(JSON.parse(encodeJsonBytesBroadcast(VSN_2, 'realtime:a', 'ev', json).toString())).toEqual([
			null,
			null,
			'realtime:a',
			'broadcast',
			{ type: 'broadcast', event: 'ev', payload: { x: [1, 2] } }
		]);
		expect(JSON.parse(encodeJsonBytesBroadcast(VSN_1, 'realtime:a', 'e"v', json).toString())).toEqual({
			join_ref: null,
			ref: null,
			topic: 'realtime:a',
			event: 'broadcast',
			payload: { type: 'broadcast', event: 'e"v', payload: { x: [1, 2] } }
		});
	});
});
