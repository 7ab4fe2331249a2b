/**
 * Rate limits with Supabase Realtime's defaults (see StackConfig.realtime and the env names in
 * stack/config.ts). Supabase counts joins and events per tenant; this single-tenant stack counts
 * them per connection, so one noisy client is cut off while everyone else carries on.
 */
import type { RealtimeConfig } from '../config.ts';

/** Counts hits in fixed windows; `hit()` is false once a window is over its limit. */
export class RateWindow {
	#count = 0;
	#resetAt = 0;

	constructor(
		readonly limit: number,
		readonly windowMs: number,
		private readonly now: () => number = Date.now
	) {}

	hit(): boolean {
		const now = this.now();
		if (now >= this.#resetAt) {
			this.#count = 0;
			this.#resetAt = now + this.windowMs;
		}
		this.#count += 1;
		return this.#count <= this.limit;
	}
}

/** Settings the config does not carry (yet): read from the environment with Supabase-like defaults. */
export interface RealtimeTuning {
	/** Bytes a socket may have queued before it counts as a slow consumer and is dropped. */
	maxBufferedBytes: number;
	/** Presence diffs are merged per topic over this many milliseconds. */
	presenceTickMs: number;
	/** A socket that sends nothing (not even heartbeats) for this long is closed, as Phoenix does. */
	idleTimeoutMs: number;
	/** Pause before a join refusal, like Supabase's CHANNEL_ERROR_BACKOFF_MS (there 5 s; here 0 by default). */
	joinErrorBackoffMs: number;
	/** The presence rate window (Supabase: 5 calls per 30 s). */
	presenceWindowMs: number;
}

function envInt(env: Record<string, string | undefined>, name: string, fallback: number): number {
	const raw = env[name];
	if (raw === undefined || raw === '') return fallback;
	const value = Number(raw);
	if (!Number.isInteger(value) || value < 0) throw new Error(`${name} must be a whole number, got "${raw}"`);
	return value;
}

export function loadTuning(env: Record<string, string | undefined> = process.env): RealtimeTuning {
	return {
		maxBufferedBytes: envInt(env, 'STACK_REALTIME_MAX_BUFFERED_BYTES', 8 * 1024 * 1024),
		presenceTickMs: envInt(env, 'STACK_REALTIME_PRESENCE_TICK_MS', 30),
		idleTimeoutMs: envInt(env, 'STACK_REALTIME_IDLE_TIMEOUT_MS', 60_000),
		joinErrorBackoffMs: envInt(env, 'STACK_REALTIME_JOIN_ERROR_BACKOFF_MS', 0),
		presenceWindowMs: envInt(env, 'STACK_REALTIME_PRESENCE_WINDOW_MS', 30_000)
	};
}

export type Limits = RealtimeConfig & RealtimeTuning;
