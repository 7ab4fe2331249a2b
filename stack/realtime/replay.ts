/**
 * Broadcast replay on join (supabase/realtime lib/realtime/messages.ex and realtime_channel.ex):
 * a private channel joined with `config.broadcast.replay = { since, limit }` first gets the topic's
 * stored broadcasts inserted since `since` (Unix milliseconds): the newest `limit` of them (25 when
 * absent, at most 25, at least 1), oldest first, each with `meta: { replayed: true, id }`.
 */
import type pg from 'pg';

/** Supabase's hard limit, also the default when the client gives none. */
export const REPLAY_MAX = 25;

export const REPLAY_ERRORS = {
	code: 'UnableToReplayMessages',
	publicChannel: 'Replay is not allowed for public channels',
	invalidParams: 'Replay params are not valid',
	failed: 'Realtime was unable to replay messages'
} as const;

export interface ReplayParams {
	since: number;
	limit: number;
}

/** A stored broadcast to replay: JSON payload, or bytes from realtime.send_binary. */
export interface StoredBroadcast {
	id: string;
	event: string;
	payload: unknown;
	binaryPayload: Buffer | null;
}

/** Largest |ms| a JavaScript Date (and Supabase's DateTime.from_unix) accepts. */
const MAX_TIME_MS = 8.64e15;

/** The replay parameters, or null when Supabase would call them not valid. */
export function replayParams(raw: unknown): ReplayParams | null {
	if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return null;
	const { since, limit } = raw as Record<string, unknown>;
	if (typeof since !== 'number' || !Number.isSafeInteger(since) || Math.abs(since) > MAX_TIME_MS) return null;
	if (limit === undefined || limit === null) return { since, limit: REPLAY_MAX };
	if (typeof limit !== 'number' || !Number.isSafeInteger(limit)) return null;
	return { since, limit: Math.max(1, Math.min(limit, REPLAY_MAX)) };
}

/**
 * The topic's private broadcasts since `since`, oldest first. Messages are stamped with the
 * inserting session's local time (a `timestamp`), so `since` is turned into the same local time.
 * Like Supabase, nothing stamped more than a minute ahead is read.
 */
export async function storedBroadcasts(
	pool: pg.Pool,
	topic: string,
	{ since, limit }: ReplayParams
): Promise<StoredBroadcast[]> {
	const { rows } = await pool.query<{
		id: string;
		event: string | null;
		payload: unknown;
		binary_payload: Buffer | null;
	}>(
		`select id, event, payload, binary_payload from (
			select id, event, payload, binary_payload, inserted_at from realtime.messages
			where topic = $1 and private is true and extension = 'broadcast'
				and inserted_at >= to_timestamp($2::float8 / 1000)::timestamp
				and inserted_at < now()::timestamp + interval '1 minute'
			order by inserted_at desc limit $3
		) newest order by inserted_at`,
		[topic, since, limit]
	);
	return rows.map((row) => ({
		id: row.id,
		event: row.event ?? '',
		payload: row.payload,
		binaryPayload: row.binary_payload
	}));
}
