// A bounded map that forgets the least recently used entry: the caches of verified tokens,
// parsed query strings and built SQL, whose keys come from the network.

export class Lru<K, V> {
	readonly #entries = new Map<K, V>();

	constructor(readonly limit: number) {}

	get(key: K): V | undefined {
		const value = this.#entries.get(key);
		if (value === undefined) return undefined;
		// Map keeps insertion order: re-inserting makes this the most recent entry.
		this.#entries.delete(key);
		this.#entries.set(key, value);
		return value;
	}

	set(key: K, value: V): void {
		this.#entries.delete(key);
		if (this.#entries.size >= this.limit) this.#entries.delete(this.#entries.keys().next().value as K);
		this.#entries.set(key, value);
	}

	delete(key: K): void {
		this.#entries.delete(key);
	}

	get size(): number {
		return this.#entries.size;
	}
}
