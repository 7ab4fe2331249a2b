/** One shared clock for relative times, ticking every 15 s while anything reads it. */
class Clock {
	now = $state(Date.now());
	#timer: ReturnType<typeof setInterval> | undefined;
	#readers = 0;

	/** Start ticking for a reader; returns the stop function. */
	subscribe(): () => void {
		if (this.#readers++ === 0) {
			this.now = Date.now();
			this.#timer = setInterval(() => (this.now = Date.now()), 15_000);
		}
		return () => {
			if (--this.#readers === 0) clearInterval(this.#timer);
		};
	}
}

export const clock = new Clock();
