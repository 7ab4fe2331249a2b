/* eslint-disable svelte/prefer-svelte-reactivity -- per-row bookkeeping; the count is the state */
import { timeKey } from '$lib/time';
import type { Notification } from '$lib/types';
import { isSnoozed } from './snooze';
import type { Change } from './window.svelte';

/** Counted in the badge: unread, not archived, and not snoozed at `now`. */
export const isUnread = (
	r: Pick<Notification, 'read_at' | 'archived_at'> & Partial<Pick<Notification, 'snoozed_until'>>,
	now = Date.now()
) =>
	r.read_at === null && r.archived_at === null && !isSnoozed({ snoozed_until: r.snoozed_until ?? null }, now);

/** What a change did to the count: applied, ignored as older than what we know, or unknowable. */
export type TallyOutcome = 'counted' | 'stale' | 'unknown';

/**
 * The unread badge between server counts: each change moves it by what it did to one row, judged
 * against the newest version of that row seen so far, so a replayed or late event counts once.
 * 'unknown' means the caller should ask the server again.
 */
export class UnreadTally {
	count = $state(0);
	#known = new Map<string, { unread: boolean; updated: number }>();
	/** Bumped by every change the count took in; a server count read before a bump is stale. */
	#version = 0;

	constructor(count: number) {
		this.count = count;
	}

	/** Pass to `resetFrom` with a server count requested now. */
	get version(): number {
		return this.#version;
	}

	/** Every row id seen so far. */
	ids(): IterableIterator<string> {
		return this.#known.keys();
	}

	/** Whether this row was already seen (from a query or an event). */
	seen(id: string): boolean {
		return this.#known.has(id);
	}

	/** Rows read from the database: their state is what the last server count saw. */
	remember(rows: readonly Notification[]): void {
		for (const row of rows) {
			const updated = timeKey(row.updated_at);
			const known = this.#known.get(row.id);
			if (!known || updated >= known.updated) this.#known.set(row.id, { unread: isUnread(row), updated });
		}
	}

	apply(change: Change, old?: Partial<Notification>): TallyOutcome {
		if (change.type === 'DELETE') {
			const known = this.#known.get(change.id);
			this.#known.delete(change.id);
			this.#version++;
			if (!known) return 'unknown';
			if (known.unread) this.count = Math.max(0, this.count - 1);
			return 'counted';
		}
		const { row } = change;
		const updated = timeKey(row.updated_at);
		const known = this.#known.get(row.id);
		if (known && updated <= known.updated) return 'stale';
		const after = isUnread(row);
		let before = known?.unread;
		if (before === undefined && change.type === 'INSERT') before = false;
		if (before === undefined && old && 'read_at' in old && 'archived_at' in old) {
			before = isUnread(old as Notification);
		}
		this.#known.set(row.id, { unread: after, updated });
		this.#version++;
		if (before === undefined) return 'unknown';
		this.count = Math.max(0, this.count + Number(after) - Number(before));
		return 'counted';
	}

	/** An optimistic local change (mark read, archive): the server's echo will not count it again. */
	local(id: string, unread: boolean): void {
		const known = this.#known.get(id);
		if (!known) return;
		this.count = Math.max(0, this.count + Number(unread) - Number(known.unread));
		known.unread = unread;
		this.#version++;
	}

	/** Undo a local change or delete: the row is back in the state it had. */
	restoreRow(row: Notification): void {
		const known = this.#known.get(row.id);
		const unread = isUnread(row);
		this.count = Math.max(0, this.count + Number(unread) - Number(known?.unread ?? false));
		this.#known.set(row.id, { unread, updated: timeKey(row.updated_at) });
		this.#version++;
	}

	markAllRead(): void {
		for (const known of this.#known.values()) known.unread = false;
		this.count = 0;
		this.#version++;
	}

	/** A fresh count from the server. */
	reset(count: number): void {
		this.count = count;
		this.#version++;
	}

	/**
	 * A server count requested at `version`: taken only if no change came in meanwhile (the count may or
	 * may not include it). Returns false when the caller should ask again.
	 */
	resetFrom(version: number, count: number): boolean {
		if (version !== this.#version) return false;
		this.reset(count);
		return true;
	}
}
