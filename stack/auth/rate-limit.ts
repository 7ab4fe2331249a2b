/**
 * Per-IP token buckets, the shape of GoTrue's limits (internal/api/apilimiter): a limit of N per
 * window refills at N/window per second and lets a burst of up to 30 requests through at once
 * (GoTrue's burst), or N when N is smaller. A limit of 0 turns the bucket off.
 */
const GOTRUE_BURST = 30;
/** Buckets idle this long are full again and can be forgotten. */
const SWEEP_EVERY_MS = 60_000;

interface Bucket {
	tokens: number;
	updatedAt: number;
}

export class RateLimiter {
	readonly burst: number;
	readonly #perMs: number;
	readonly #buckets = new Map<string, Bucket>();
	#sweptAt: number;

	constructor(
		readonly limit: number,
		readonly windowSeconds: number,
		private readonly now: () => number = Date.now,
		burst = GOTRUE_BURST
	) {
		this.burst = Math.min(burst, limit);
		this.#perMs = limit / (windowSeconds * 1000);
		this.#sweptAt = now();
	}

	/** Takes one request from `key`'s bucket; false when the bucket is empty. */
	take(key: string): boolean {
		if (this.limit <= 0) return true;
		const now = this.now();
		this.#sweep(now);
		const bucket = this.#buckets.get(key) ?? { tokens: this.burst, updatedAt: now };
		bucket.tokens = Math.min(this.burst, bucket.tokens + (now - bucket.updatedAt) * this.#perMs);
		bucket.updatedAt = now;
		this.#buckets.set(key, bucket);
		if (bucket.tokens < 1) return false;
		bucket.tokens -= 1;
		return true;
	}

	#sweep(now: number): void {
		if (now - this.#sweptAt < SWEEP_EVERY_MS) return;
		this.#sweptAt = now;
		for (const [key, bucket] of this.#buckets) {
			if (bucket.tokens + (now - bucket.updatedAt) * this.#perMs >= this.burst) this.#buckets.delete(key);
		}
	}
}
