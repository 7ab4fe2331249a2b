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

export type Limits = RealtimeConfig;
