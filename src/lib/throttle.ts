/**
 * Allows one action per key per `intervalMs`: a held key or a double click cannot flood a channel.
 * `now` is injectable for tests.
 */
export class KeyedThrottle {
	#last = new Map<string, number>();
	#interval: number;
	#now: () => number;

	constructor(intervalMs: number, now: () => number = Date.now) {
		this.#interval = intervalMs;
		this.#now = now;
	}

	/** True (and the slot is taken) when the action may run now. */
	take(key: string): boolean {
		const now = this.#now();
		const last = this.#last.get(key);
		if (last !== undefined && now - last < this.#interval) return false;
		this.#last.set(key, now);
		return true;
	}

	/** Milliseconds until `key` may run again (0 when it may run now). */
	waitFor(key: string): number {
		const last = this.#last.get(key);
		if (last === undefined) return 0;
		return Math.max(0, this.#interval - (this.#now() - last));
	}
}

/**
 * Runs `fn` at most once per `intervalMs`, always with the latest arguments: the last call in a
 * burst is never dropped (used for presence updates, which Realtime rate-limits per client).
 */
export function trailingThrottle<A extends unknown[]>(fn: (...args: A) => void, intervalMs: number) {
	let last = -Infinity;
	let timer: ReturnType<typeof setTimeout> | undefined;
	let pending: A | undefined;
	const run = () => {
		timer = undefined;
		if (!pending) return;
		const args = pending;
		pending = undefined;
		last = Date.now();
		fn(...args);
	};
	const call = (...args: A) => {
		pending = args;
		if (timer) return;
		const wait = last + intervalMs - Date.now();
		if (wait <= 0) run();
		else timer = setTimeout(run, wait);
	};
	call.cancel = () => {
		clearTimeout(timer);
		timer = undefined;
		pending = undefined;
	};
	return call;
}
