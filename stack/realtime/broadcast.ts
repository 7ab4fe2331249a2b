/**
 * The topic hub: which channels listen on which topic, and fan-out to them.
 *
 * Public and private channels of the same name are separate topics, as in Supabase. A frame is
 * serialized at most once per protocol version and the same Buffer goes to every socket
 * (DESIGN-NOTES: serialize once, reuse the bytes).
 */
import { isUtf8 } from 'node:buffer';
import { SERVER_EVENTS, TOPIC_PREFIX, VSN_1, VSN_2, type Vsn } from './constants.ts';
import { PresenceTracker } from './presence.ts';
import { encodeJsonBytesBroadcast, encodeMessage, encodeUserBroadcast } from './serializer.ts';
import type { BinaryBroadcastPayload, Json, OutgoingBroadcast, PresenceDiff } from './types.ts';
import { PAYLOAD_ENCODING } from './constants.ts';

/** A joined channel as the hub sees it. */
export interface Member {
	readonly id: number;
	readonly vsn: Vsn;
	receivesBroadcast(): boolean;
	receivesPresence(): boolean;
	/** True when the member already got database message `id` as a replay on joining. */
	replayed?(id: string): boolean;
	/** Writes a ready frame to the member's socket. */
	send(frame: Buffer, binary: boolean): void;
}

interface Frame {
	bytes: Buffer;
	binary: boolean;
}

export function topicKey(subTopic: string, isPrivate: boolean): string {
	return `${isPrivate ? 'private' : 'public'}:${subTopic}`;
}

function subTopicOf(key: string): string {
	return key.slice(key.indexOf(':') + 1);
}

export class Hub {
	#topics = new Map<string, Set<Member>>();
	readonly presence: PresenceTracker;

	constructor(presenceTickMs: number) {
		this.presence = new PresenceTracker((key, diff) => this.#sendDiff(key, diff), presenceTickMs);
	}

	join(key: string, member: Member): void {
		let members = this.#topics.get(key);
		if (!members) {
			members = new Set();
			this.#topics.set(key, members);
		}
		members.add(member);
	}

	leave(key: string, member: Member): void {
		const members = this.#topics.get(key);
		if (!members) return;
		members.delete(member);
		if (members.size === 0) this.#topics.delete(key);
	}

	/**
	 * Sends a broadcast to the topic's members (except `from` when given); returns how many got it.
	 * `messageId` (database broadcasts) skips members that got that message replayed on joining.
	 */
	broadcast(key: string, message: OutgoingBroadcast, from?: Member, messageId?: string): number {
		const members = this.#topics.get(key);
		if (!members) return 0;
		const wireTopic = TOPIC_PREFIX + subTopicOf(key);
		const frames: Partial<Record<Vsn, Frame | null>> = {};
		let delivered = 0;
		for (const member of members) {
			if (member === from || !member.receivesBroadcast()) continue;
			if (messageId !== undefined && member.replayed?.(messageId)) continue;
			let frame = frames[member.vsn];
			if (frame === undefined) {
				frame = broadcastFrame(member.vsn, wireTopic, message);
				frames[member.vsn] = frame;
			}
			if (!frame) continue;
			member.send(frame.bytes, frame.binary);
			delivered++;
		}
		return delivered;
	}

	close(): void {
		this.presence.close();
		this.#topics.clear();
	}

	#sendDiff(key: string, diff: PresenceDiff): void {
		const members = this.#topics.get(key);
		if (!members) return;
		const message = {
			joinRef: null,
			ref: null,
			topic: TOPIC_PREFIX + subTopicOf(key),
			event: SERVER_EVENTS.presenceDiff,
			payload: diff
		};
		const frames: Partial<Record<Vsn, Buffer>> = {};
		for (const member of members) {
			if (!member.receivesPresence()) continue;
			const frame = (frames[member.vsn] ??= encodeMessage(member.vsn, message));
			member.send(frame, false);
		}
	}
}

/** The frame a member of protocol `vsn` gets for a broadcast; null when that protocol cannot carry it. */
export function broadcastFrame(vsn: Vsn, wireTopic: string, message: OutgoingBroadcast): Frame | null {
	if (message.kind === 'json') {
		const bytes = encodeMessage(vsn, {
			joinRef: null,
			ref: null,
			topic: wireTopic,
			event: SERVER_EVENTS.broadcast,
			payload: message.body
		});
		return { bytes, binary: false };
	}
	if (vsn === VSN_2) {
		const bytes = encodeUserBroadcast(wireTopic, message.event, message.encoding, message.data, message.meta);
		if (bytes) return { bytes, binary: true };
	}
	// 1.0.0 sockets cannot represent binary payloads (Supabase drops them too).
	if (message.encoding !== PAYLOAD_ENCODING.json) return null;
	return {
		bytes: encodeJsonBytesBroadcast(vsn === VSN_1 ? VSN_1 : VSN_2, wireTopic, message.event, message.data),
		binary: false
	};
}

function isObject(value: unknown): value is Record<string, unknown> {
	return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isBinaryBroadcast(payload: unknown): payload is BinaryBroadcastPayload {
	return isObject(payload) && payload.kind === 'binary-broadcast' && Buffer.isBuffer(payload.data);
}

/** A broadcast push refused with a reason (the reply's, when the client asked for one). */
export interface BroadcastRefusal {
	kind: 'refused';
	reason: string;
}

export const INVALID_JSON_PAYLOAD =
	'invalid_payload: a JSON-encoded binary broadcast must be valid UTF-8 JSON';

/** The broadcast a client push asks for, a refusal, or null when it is not a broadcast. */
export function toOutgoing(payload: unknown): OutgoingBroadcast | BroadcastRefusal | null {
	if (isBinaryBroadcast(payload)) {
		// Its bytes are spliced into the text frames of 1.0.0 sockets as they are: anything but valid
		// UTF-8 JSON would make those frames invalid and every such subscriber would be cut off (1006).
		if (payload.encoding === PAYLOAD_ENCODING.json && !isUtf8Json(payload.data)) {
			return { kind: 'refused', reason: INVALID_JSON_PAYLOAD };
		}
		return { kind: 'bytes', event: payload.event, encoding: payload.encoding, data: payload.data };
	}
	if (!isObject(payload) || typeof payload.event !== 'string') return null;
	return { kind: 'json', body: payload as { [key: string]: Json } };
}

function isUtf8Json(data: Buffer): boolean {
	if (!isUtf8(data)) return false;
	try {
		JSON.parse(data.toString('utf8'));
		return true;
	} catch {
		return false;
	}
}
