/**
 * A component the first screen does not need (a dialog, a chart), loaded on first use so its code
 * stays out of the route's first download. `load()` may be called early on a hint of intent
 * (pointer over the button) so the first open is instant; a failed load can be retried.
 */
export class LazyComponent<C> {
	#importer: () => Promise<{ default: C }>;
	#pending: Promise<C> | undefined;
	#component = $state.raw<C>();
	#failed = $state(false);

	constructor(importer: () => Promise<{ default: C }>) {
		this.#importer = importer;
	}

	/** The component once loaded, else undefined (show a skeleton meanwhile). */
	get component(): C | undefined {
		return this.#component;
	}

	/** True when the last load failed (offline, or a deploy replaced the files): say so, offer retry. */
	get failed(): boolean {
		return this.#failed;
	}

	load(): Promise<C> {
		this.#failed = false;
		this.#pending ??= this.#importer().then(
			(module) => (this.#component = module.default),
			(error: unknown) => {
				this.#pending = undefined;
				this.#failed = true;
				throw error;
			}
		);
		return this.#pending;
	}
}
