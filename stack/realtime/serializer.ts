/**
 * Phoenix framing for both protocol versions realtime-js speaks.
 *
 * 1.0.0: text frames holding a JSON object {join_ref, ref, topic, event, payload}.
 * 2.0.0: text frames holding a JSON array [join_ref, ref, topic, event, payload], plus binary
 *        user broadcasts: client push kind 3 and server broadcast kind 4 (layout below, as in
 *        realtime-js lib/serializer.ts).
 *
 * Everything here returns Buffers so a frame serialized once can be written to many sockets.
 */
import {
	BINARY_KINDS,
	PAYLOAD_ENCODING,
	SERVER_EVENTS,
	VSN_1,
	type PayloadEncoding,
	type Vsn
} from './constants.ts';
import type { BinaryBroadcastPayload, PhxMessage } from './types.ts';

export class FrameError extends Error {}

/** Decodes one client frame; throws FrameError when it is not a Phoenix message. */
export function decodeFrame(data: Buffer, isBinary: boolean, vsn: Vsn): PhxMessage {
	if (isBinary) {
		if (vsn === VSN_1) throw new FrameError('binary frames need protocol 2.0.0');
		return decodeBinaryPush(data);
	}
	let parsed: unknown;
	try {
		parsed = JSON.parse(data.toString('utf8'));
	} catch {
		throw new FrameError('frame is not JSON');
	}
	if (vsn === VSN_1) {
		if (!isObject(parsed)) throw new FrameError('1.0.0 frames are JSON objects');
		return message(parsed.join_ref, parsed.ref, parsed.topic, parsed.event, parsed.payload);
	}
	if (!Array.isArray(parsed) || parsed.length !== 5)
		throw new FrameError('2.0.0 frames are 5-element arrays');
	const [joinRef, ref, topic, event, payload] = parsed as unknown[];
	return message(joinRef, ref, topic, event, payload);
}

function message(
	joinRef: unknown,
	ref: unknown,
	topic: unknown,
	event: unknown,
	payload: unknown
): PhxMessage {
	if (typeof topic !== 'string' || typeof event !== 'string')
		throw new FrameError('topic and event must be strings');
	return {
		joinRef: refString(joinRef),
		ref: refString(ref),
		topic,
		event,
		payload: payload === undefined ? {} : payload
	};
}

function refString(value: unknown): string | null {
	if (typeof value === 'string') return value;
	if (typeof value === 'number') return String(value);
	return null;
}

function isObject(value: unknown): value is Record<string, unknown> {
	return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Kind 3 (user broadcast push):
 * [3, joinRefLen, refLen, topicLen, eventLen, metaLen, encoding, joinRef, ref, topic, event, meta, payload]
 */
function decodeBinaryPush(data: Buffer): PhxMessage<BinaryBroadcastPayload> {
	const HEADER = 7;
	if (data.length < HEADER || data[0] !== BINARY_KINDS.userBroadcastPush) {
		throw new FrameError(`unsupported binary frame kind ${data[0]}`);
	}
	const lengths = [data[1], data[2], data[3], data[4], data[5]];
	const encoding = data[6];
	if (encoding !== PAYLOAD_ENCODING.json && encoding !== PAYLOAD_ENCODING.binary) {
		throw new FrameError(`unknown payload encoding ${encoding}`);
	}
	let offset = HEADER;
	const fields = lengths.map((length) => {
		if (offset + length > data.length) throw new FrameError('binary frame is truncated');
		const text = data.toString('utf8', offset, offset + length);
		offset += length;
		return text;
	});
	const [joinRef, ref, topic, event] = fields;
	return {
		joinRef: joinRef || null,
		ref: ref || null,
		topic,
		event: SERVER_EVENTS.broadcast,
		payload: { kind: 'binary-broadcast', event, encoding, data: data.subarray(offset) }
	};
}

/** Encodes a message as a text frame of the socket's protocol version. */
export function encodeMessage(vsn: Vsn, msg: PhxMessage): Buffer {
	if (vsn === VSN_1) {
		return Buffer.from(
			JSON.stringify({
				join_ref: msg.joinRef,
				ref: msg.ref,
				topic: msg.topic,
				event: msg.event,
				payload: msg.payload
			})
		);
	}
	return Buffer.from(JSON.stringify([msg.joinRef, msg.ref, msg.topic, msg.event, msg.payload]));
}

/**
 * Kind 4 (user broadcast), 2.0.0 only:
 * [4, topicLen, eventLen, metaLen, encoding, topic, event, meta, payload]
 * Returns null when topic or event do not fit the one-byte lengths.
 */
export function encodeUserBroadcast(
	topic: string,
	event: string,
	encoding: PayloadEncoding,
	data: Buffer,
	meta = ''
): Buffer | null {
	const topicBytes = Buffer.from(topic);
	const eventBytes = Buffer.from(event);
	const metaBytes = Buffer.from(meta);
	if (topicBytes.length > 255 || eventBytes.length > 255 || metaBytes.length > 255) return null;
	const header = Buffer.from([
		BINARY_KINDS.userBroadcast,
		topicBytes.length,
		eventBytes.length,
		metaBytes.length,
		encoding
	]);
	return Buffer.concat([header, topicBytes, eventBytes, metaBytes, data]);
}

/**
 * A 1.0.0 (or text) rendering of a user broadcast whose payload is JSON bytes: the bytes are
 * spliced in as they are, so the payload is never parsed and re-serialized.
 */
export function encodeJsonBytesBroadcast(vsn: Vsn, topic: string, event: string, json: Buffer): Buffer {
	const head = JSON.stringify({ type: 'broadcast', event, payload: null }).slice(0, -'null}'.length);
	const payload = Buffer.concat([Buffer.from(head), json, Buffer.from('}')]);
	if (vsn === VSN_1) {
		return Buffer.concat([
			Buffer.from(
				`{"join_ref":null,"ref":null,"topic":${JSON.stringify(topic)},"event":"broadcast","payload":`
			),
			payload,
			Buffer.from('}')
		]);
	}
	return Buffer.concat([
		Buffer.from(`[null,null,${JSON.stringify(topic)},"broadcast",`),
		payload,
		Buffer.from(']')
	]);
}
