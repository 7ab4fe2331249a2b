/* eslint-disable svelte/prefer-svelte-reactivity -- lookups only; the rows themselves are state */
import { timeKey } from '$lib/time';
import type { Notification } from '$lib/types';
import { compareNewestFirst, cursorOf, type Cursor } from './cursor';

/** A change as the inbox channel delivers it. */
export type Change = { type: 'INSERT' | 'UPDATE'; row: Notification } | { type: 'DELETE'; id: string };

export type Outcome = 'inserted' | 'updated' | 'removed' | 'ignored';

export interface CatchUp {
	/** Rows read from the database (new, changed, refreshed); merged by id. */
	rows: Notification[];
	/** Ids whose presence was checked; any of them missing from `present` was deleted. */
	checked?: string[];
	present?: Set<string>;
}

/**
 * The loaded window of one inbox view, newest first: merge by id, newer `updated_at` wins,
 * deletes leave a tombstone, and changes that arrive during a catch-up are buffered and applied
 * after it. Pure and synchronous so it can be tested without a browser.
 */
export class InboxWindow {
	// The rows are reassigned, never mutated: the inbox's views read them as state.
	#rows = $state.raw<Notification[]>([]);
	#byId = new Map<string, Notification>();
	#tombstones = new Set<string>();
	#buffer: Change[] | null = null;
	#hasMore = $state(false);
	#matches: (row: Notification) => boolean;
	#syncMark = 0;

	constructor(matches: (row: Notification) => boolean = () => true) {
		this.#matches = matches;
	}

	get rows(): readonly Notification[] {
		return this.#rows;
	}
	get hasMore(): boolean {
		return this.#hasMore;
	}
	get catchingUp(): boolean {
		return this.#buffer !== null;
	}
	/** Newest row held, the lower bound of a catch-up for new rows. */
	get newest(): Cursor | null {
		return this.#rows.length ? cursorOf(this.#rows[0]) : null;
	}
	/** Oldest row held: the keyset cursor of the next page. */
	get tail(): Cursor | null {
		return this.#rows.length ? cursorOf(this.#rows[this.#rows.length - 1]) : null;
	}
	/** Latest updated_at seen from the server, in microseconds (0 when nothing was seen). */
	get syncMark(): number {
		return this.#syncMark;
	}
	ids(): string[] {
		return this.#rows.map((r) => r.id);
	}
	get(id: string): Notification | undefined {
		return this.#byId.get(id);
	}

	/** Replace everything with a first page. */
	reset(rows: Notification[], hasMore: boolean): void {
		this.#rows = [];
		this.#byId.clear();
		this.#hasMore = false;
		for (const row of rows) this.#merge(row);
		this.#hasMore = hasMore;
	}

	/** Add an older page fetched with the tail cursor. */
	appendPage(rows: Notification[], hasMore: boolean): void {
		this.#hasMore = false; // let every row of the page in, then restore the bound
		for (const row of rows) this.#merge(row);
		this.#hasMore = hasMore;
	}

	/** Apply a live change, or buffer it while a catch-up runs. */
	apply(change: Change): Outcome {
		if (this.#buffer) {
			this.#buffer.push(change);
			return 'ignored';
		}
		return this.#applyNow(change);
	}

	/** Local edit (optimistic): applied even though updated_at has not moved. */
	patch(id: string, fields: Partial<Notification>): Notification | undefined {
		const row = this.#byId.get(id);
		if (!row) return undefined;
		const next = { ...row, ...fields };
		if (this.#matches(next)) {
			this.#byId.set(id, next);
			this.#rows = this.#rows.map((r) => (r.id === id ? next : r));
		} else {
			this.#remove(id);
		}
		return row;
	}

	/** Remove locally and remember the id, so a late read cannot bring it back. */
	forget(id: string): Notification | undefined {
		const row = this.#byId.get(id);
		this.#tombstones.add(id);
		this.#remove(id);
		return row;
	}

	/** Undo a local edit or delete the server refused: put the row back exactly as it was. */
	restore(row: Notification): void {
		this.#tombstones.delete(row.id);
		this.#remove(row.id);
		const hasMore = this.#hasMore;
		this.#hasMore = false;
		this.#merge(row);
		this.#hasMore = hasMore;
	}

	beginCatchUp(): void {
		this.#buffer ??= [];
	}

	/** Merge what the database says, drop deleted ids, then apply the buffered changes in order. */
	finishCatchUp(result: CatchUp | null): Outcome[] {
		if (result) {
			for (const row of result.rows) this.#merge(row);
			if (result.checked && result.present) {
				for (const id of result.checked) {
					if (!result.present.has(id) && this.#byId.has(id)) this.#remove(id);
				}
			}
		}
		const buffered = this.#buffer ?? [];
		this.#buffer = null;
		return buffered.map((c) => this.#applyNow(c));
	}

	#applyNow(change: Change): Outcome {
		if (change.type === 'DELETE') {
			this.#tombstones.add(change.id);
			return this.#remove(change.id) ? 'removed' : 'ignored';
		}
		return this.#merge(change.row);
	}

	#merge(row: Notification): Outcome {
		if (this.#tombstones.has(row.id)) return 'ignored';
		const updated = timeKey(row.updated_at ?? row.created_at);
		if (updated > this.#syncMark) this.#syncMark = updated;
		const held = this.#byId.get(row.id);
		if (held && updated <= timeKey(held.updated_at ?? held.created_at)) return 'ignored';
		if (!this.#matches(row)) return this.#remove(row.id) ? 'removed' : 'ignored';
		if (!held && this.#hasMore) {
			// Older than the last loaded page: the next page will bring it, in order.
			const tail = this.tail;
			if (tail && compareNewestFirst(row, tail) > 0) return 'ignored';
		}
		this.#byId.set(row.id, row);
		if (held) {
			this.#rows = this.#rows.map((r) => (r.id === row.id ? row : r));
			return 'updated';
		}
		// Keep the order at every step: the tail bound above depends on it.
		let at = this.#rows.findIndex((r) => compareNewestFirst(row, r) < 0);
		if (at < 0) at = this.#rows.length;
		this.#rows = [...this.#rows.slice(0, at), row, ...this.#rows.slice(at)];
		return 'inserted';
	}

	#remove(id: string): boolean {
		if (!this.#byId.delete(id)) return false;
		this.#rows = this.#rows.filter((r) => r.id !== id);
		return true;
	}
}
