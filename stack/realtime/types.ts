/**
 * Messages on the wire, typed as discriminated unions that mirror realtime-js's own types.
 */
import type { PayloadEncoding, SERVER_EVENTS } from './constants.ts';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

/** A decoded Phoenix message (both protocol versions decode to this shape). */
export interface PhxMessage<P = unknown> {
	joinRef: string | null;
	ref: string | null;
	topic: string;
	event: string;
	payload: P;
}

/** A broadcast whose user payload travelled in a binary frame (kind 3, vsn 2.0.0). */
export interface BinaryBroadcastPayload {
	kind: 'binary-broadcast';
	event: string;
	encoding: PayloadEncoding;
	/** The user payload bytes: JSON text when encoding is json, raw bytes otherwise. */
	data: Buffer;
}

/** A broadcast to fan out on a topic: either plain JSON, or a user payload kept as bytes. */
export type OutgoingBroadcast =
	| { kind: 'json'; body: JsonObject /* {type: 'broadcast', event, payload, ...} */ }
	| {
			kind: 'bytes';
			event: string;
			encoding: PayloadEncoding;
			data: Buffer;
			/** JSON metadata for the binary frame ({"id": ...} for database broadcasts). */
			meta?: string;
	  };

export type ReplyStatus = 'ok' | 'error';

export interface SystemPayload {
	extension: 'system' | 'postgres_changes';
	status: ReplyStatus;
	message: string;
	channel: string;
}

export interface PresenceMeta {
	phx_ref: string;
	phx_ref_prev?: string;
	[key: string]: Json | undefined;
}

export type PresenceEntries = Record<string, { metas: PresenceMeta[] }>;

export interface PresenceDiff {
	joins: PresenceEntries;
	leaves: PresenceEntries;
}

/** What the server pushes on a channel, by event (mirrors what realtime-js listens for). */
export type ServerPush =
	| { event: typeof SERVER_EVENTS.reply; payload: { status: ReplyStatus; response: unknown } }
	| { event: typeof SERVER_EVENTS.close; payload: Record<string, never> }
	| { event: typeof SERVER_EVENTS.presenceState; payload: PresenceEntries }
	| { event: typeof SERVER_EVENTS.presenceDiff; payload: PresenceDiff }
	| { event: typeof SERVER_EVENTS.postgresChanges; payload: { ids: number[]; data: Record<string, unknown> } }
	| { event: typeof SERVER_EVENTS.system; payload: SystemPayload }
	| { event: typeof SERVER_EVENTS.broadcast; payload: JsonObject };
