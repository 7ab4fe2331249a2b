/* eslint-disable svelte/prefer-svelte-reactivity -- private bookkeeping; what views read is $state (here, in InboxWindow and UnreadTally) */
import type { RealtimePostgresChangesPayload, SupabaseClient } from '@supabase/supabase-js';
import type { Database } from '$lib/database.types';
import { NOTIFICATION_COLUMNS, type Category, type InboxView, type Notification } from '$lib/types';
import type { Connection } from '$lib/connection.svelte';
import { matchesView, newerThan, notSnoozed, type Cursor } from './cursor';
import { countUnread, fetchPage, viewQuery, type Page } from './query';
import { isSnoozed } from './snooze';
import { isUnread, UnreadTally } from './unread.svelte';
import { InboxWindow, type Change } from './window.svelte';

/** How far before the last sync a catch-up looks, for transactions that committed late. */
const SYNC_MARGIN_MS = 5_000;
const CATCH_UP_LIMIT = 200;
/** setTimeout's longest delay; a wake-up further away is re-armed when this one fires. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export interface InboxInit extends Page {
	view: InboxView;
	unread: number;
	/** Categories turned off in the reader's preferences: the rows and count above leave them out. */
	hidden?: readonly Category[];
}

/**
 * The signed-in user's notifications: the loaded window of the current view, live changes from one
 * filtered channel, a catch-up after every (re)subscribe, and the unread count.
 */
export class Inbox {
	#view = $state<InboxView>({ tab: 'all', category: null, query: '' });
	#loading = $state(false);
	#loadingMore = $state(false);
	#fresh = $state.raw<ReadonlySet<string>>(new Set());
	#error = $state<string | null>(null);
	/** The loaded window of the current view; replaced when the view changes. */
	#window = $state.raw<InboxWindow>(new InboxWindow());

	#supabase: SupabaseClient<Database>;
	#userId: string;
	#viewToken = 0;
	#tally: UnreadTally;
	#announced = new Set<string>();
	/** Rows known when the channel last joined: a replayed insert of one of them is not news. */
	#knownAtJoin = new Set<string>();
	#catchUpRunning = false;
	#catchUpAgain = false;
	#recountTimer: ReturnType<typeof setTimeout> | undefined;
	#retryTimer: ReturnType<typeof setTimeout> | undefined;
	#onArrival: (row: Notification) => void = () => {};
	/** Deleted here but not yet on the server (the Undo toast is open): row as it was, by id. */
	#pendingDeletes = new Map<string, Notification>();
	#leaveToken: string | null = null;
	/** The earliest snoozed row comes back then (ms, the reader's clock): a catch-up brings it in. */
	#wakeAt = Infinity;
	#wakeTimer: ReturnType<typeof setTimeout> | undefined;
	/** When the last catch-up started (ms): rows whose snooze ended after it are read in the next one. */
	#caughtUpAt = Date.now();
	#connection: Connection | null = null;
	/** Preferences hook: categories never listed nor counted (see hideCategories). */
	#hidden: readonly Category[] = [];

	constructor(supabase: SupabaseClient<Database>, userId: string, init: InboxInit) {
		this.#supabase = supabase;
		this.#userId = userId;
		this.#hidden = init.hidden ?? [];
		this.#view = init.view;
		this.#tally = new UnreadTally(init.unread);
		this.#window = this.#newWindow(init.view);
		this.#window.reset(init.rows, init.hasMore);
		this.#remember(init.rows);
	}

	/** The loaded rows of the current view, newest first. */
	get rows(): readonly Notification[] {
		return this.#window.rows;
	}
	get hasMore(): boolean {
		return this.#window.hasMore;
	}
	get view(): InboxView {
		return this.#view;
	}
	/** Unread, unarchived notifications (the badge). */
	get unread(): number {
		return this.#tally.count;
	}
	/** A view is loading from scratch (show skeleton rows). */
	get loading(): boolean {
		return this.#loading;
	}
	get loadingMore(): boolean {
		return this.#loadingMore;
	}
	/** Ids that arrived live, for a brief highlight. */
	get fresh(): ReadonlySet<string> {
		return this.#fresh;
	}
	get error(): string | null {
		return this.#error;
	}

	get userId(): string {
		return this.#userId;
	}

	/** Open the inbox channel. `onArrival` runs once per notification inserted while we watch. */
	connect(connection: Connection, onArrival: (row: Notification) => void): () => void {
		this.#connection = connection;
		this.#onArrival = onArrival;
		connection.track('inbox');
		const channel = this.#supabase
			.channel(`inbox:${this.#userId}`)
			.on(
				'postgres_changes',
				{ event: '*', schema: 'public', table: 'notifications', filter: `user_id=eq.${this.#userId}` },
				(payload: RealtimePostgresChangesPayload<Notification>) => void this.#onChange(payload)
			)
			// The server confirms the database subscription separately; rows committed before that are caught up here.
			.on('system', {}, (payload: { extension?: string; status?: string }) => {
				// The indicator hears of a broken stream; the "ok" after it (every recovery) catches up here.
				connection.stream('inbox', payload);
				if (payload?.extension === 'postgres_changes' && payload.status === 'ok') void this.catchUp();
			})
			.subscribe((status) => {
				connection.channel('inbox', status);
				if (status === 'SUBSCRIBED') {
					this.#knownAtJoin = new Set(this.#tally.ids());
					void this.catchUp();
				}
			});
		return () => {
			clearTimeout(this.#recountTimer);
			clearTimeout(this.#retryTimer);
			clearTimeout(this.#wakeTimer);
			this.#wakeAt = Infinity;
			connection.untrack('inbox');
			void this.#supabase.removeChannel(channel);
		};
	}

	/** Switch tab, category or search: reload the first page, keeping live changes that arrive meanwhile. */
	async setView(view: InboxView): Promise<void> {
		const token = ++this.#viewToken;
		this.#view = view;
		this.#loading = true;
		this.#error = null;
		const next = this.#newWindow(view);
		next.beginCatchUp();
		this.#window = next;
		try {
			const page = await fetchPage(this.#supabase, this.#userId, view, null, undefined, this.#hidden);
			if (token !== this.#viewToken) return;
			next.reset(page.rows, page.hasMore);
			this.#remember(page.rows);
		} catch (e) {
			if (token === this.#viewToken) this.#error = describe(e, 'load your notifications');
		} finally {
			if (token === this.#viewToken) {
				next.finishCatchUp(null);
				this.#loading = false;
				if (this.#catchUpAgain) {
					this.#catchUpAgain = false;
					void this.catchUp();
				}
			}
		}
	}

	/** Next page with the keyset cursor (infinite scroll). */
	async loadMore(): Promise<void> {
		const w = this.#window;
		if (this.#loadingMore || this.#loading || !w.hasMore || !w.tail) return;
		this.#loadingMore = true;
		try {
			const page = await fetchPage(this.#supabase, this.#userId, this.#view, w.tail, undefined, this.#hidden);
			if (w !== this.#window) return;
			w.appendPage(page.rows, page.hasMore);
			this.#remember(page.rows);
		} catch (e) {
			this.#error = describe(e, 'load older notifications');
		} finally {
			this.#loadingMore = false;
		}
	}

	/**
	 * Ask the database what changed while we were away: rows newer than the newest held, rows updated
	 * since the last sync, and the current state of every loaded id (which reveals deletes). Live changes
	 * that arrive meanwhile are buffered and applied after, merged by id.
	 */
	async catchUp(): Promise<void> {
		// While a view loads it buffers changes itself; catch up once it is in.
		if (this.#catchUpRunning || this.#loading) {
			this.#catchUpAgain = true;
			return;
		}
		this.#catchUpRunning = true;
		const w = this.#window;
		w.beginCatchUp();
		let ok = false;
		try {
			const ids = w.ids();
			const newest = w.newest;
			const since = w.syncMark;
			const started = Date.now();
			const version = this.#tally.version;
			const [fresh, changed, present, unread, woke] = await Promise.all([
				this.#newerThan(newest),
				since ? this.#updatedSince(new Date(since / 1000 - SYNC_MARGIN_MS).toISOString()) : [],
				this.#current(ids),
				countUnread(this.#supabase, this.#userId, this.#hidden),
				this.#snoozeEndedSince(new Date(this.#caughtUpAt - SYNC_MARGIN_MS).toISOString()),
				this.#scheduleNextWake()
			]);
			if (w !== this.#window) return;
			if (fresh.length >= CATCH_UP_LIMIT) {
				// Away for long: start the view over rather than leave a hole in the middle.
				const page = await fetchPage(this.#supabase, this.#userId, this.#view, null, undefined, this.#hidden);
				w.reset(page.rows, page.hasMore);
				this.#remember(page.rows);
			}
			const rows = [...fresh, ...changed, ...present, ...woke];
			this.#caughtUpAt = started;
			// A change that came in while we asked may or may not be in the count: ask again rather than guess.
			let recount = !this.#tally.resetFrom(version, unread - this.#pendingUnread());
			const applied = w.finishCatchUp({ rows, checked: ids, present: new Set(present.map((r) => r.id)) });
			this.#remember(rows);
			// The count and the row queries ran side by side, each on its own snapshot: a row they
			// brought in (new, changed, awake again) may or may not be in the count, and its live event,
			// arriving after, is stale by then and moves nothing. Count again once things settle.
			if (applied.length > 0 || fresh.length + changed.length + woke.length > 0) recount = true;
			if (recount) this.#scheduleRecount();
			ok = true;
		} catch (e) {
			this.#error = describe(e, 'catch up');
			// A server that is still starting, or a blip: try again soon (coming back online retries too).
			clearTimeout(this.#retryTimer);
			if (typeof navigator === 'undefined' || navigator.onLine)
				this.#retryTimer = setTimeout(() => void this.catchUp(), 3_000);
		} finally {
			if (w.catchingUp) w.finishCatchUp(null);
			this.#catchUpRunning = false;
			if (ok) {
				this.#error = null;
				this.#connection?.synced();
			}
			if (this.#catchUpAgain) {
				this.#catchUpAgain = false;
				void this.catchUp();
			}
		}
	}

	async setRead(id: string, read: boolean): Promise<void> {
		const read_at = read ? new Date().toISOString() : null;
		await this.#update(id, { read_at }, read ? 'mark it read' : 'mark it unread');
	}

	toggleRead(id: string): Promise<void> {
		const row = this.#window.get(id);
		return this.setRead(id, row ? row.read_at === null : true);
	}

	async setArchived(id: string, archived: boolean): Promise<void> {
		const archived_at = archived ? new Date().toISOString() : null;
		await this.#update(id, { archived_at }, archived ? 'archive it' : 'move it back to the inbox');
	}

	/** Delete at once (no undo). */
	async remove(id: string): Promise<void> {
		const before = this.#window.forget(id);
		if (before) this.#tally.apply({ type: 'DELETE', id });
		const { error } = await this.#supabase.from('notifications').delete().eq('id', id);
		if (error) {
			this.#error = describe(error, 'delete it');
			this.#undo(before);
		}
	}

	/**
	 * Hide a row now and delete it when `commitDelete` runs (the Undo toast closed), or
	 * `undoDelete` puts it back. The unread count leaves it out meanwhile.
	 */
	deleteLater(id: string): void {
		const before = this.#window.forget(id);
		if (!before) return;
		this.#tally.apply({ type: 'DELETE', id });
		this.#pendingDeletes.set(id, before);
		// For a page that closes before the toast does: a request then cannot wait for the session.
		void this.#supabase.auth.getSession().then(({ data }) => {
			this.#leaveToken = data.session?.access_token ?? null;
		});
	}

	undoDelete(id: string): void {
		const before = this.#pendingDeletes.get(id);
		if (!this.#pendingDeletes.delete(id) || !before) return;
		this.#undo(before);
	}

	async commitDelete(id: string): Promise<void> {
		const before = this.#pendingDeletes.get(id);
		if (!this.#pendingDeletes.delete(id)) return;
		const { error } = await this.#supabase.from('notifications').delete().eq('id', id);
		if (error) {
			this.#error = describe(error, 'delete it');
			this.#undo(before);
		}
	}

	/** Take the deletes still waiting for their toast (the page is going away: send them now). */
	takePendingDeletes(): { ids: string[]; token: string | null } {
		const ids = [...this.#pendingDeletes.keys()];
		this.#pendingDeletes.clear();
		return { ids, token: this.#leaveToken };
	}

	/** Record the action the reader chose (once; every tab sees it through the UPDATE event). */
	async takeAction(id: string, key: string): Promise<void> {
		const row = this.#window.get(id);
		if (!row || row.action_taken !== null) return;
		const now = new Date().toISOString();
		// Choosing is reading it; the database stamps action_taken_at itself.
		const fields = row.read_at === null ? { action_taken: key, read_at: now } : { action_taken: key };
		await this.#update(id, fields, 'record your choice', { action_taken_at: now });
	}

	/** Hide a row until `until` (ISO): it comes back unread, here and in every tab. */
	async snooze(id: string, until: string): Promise<void> {
		await this.#update(id, { snoozed_until: until, read_at: null }, 'snooze it');
		this.#wakeUpAt(Date.parse(until));
	}

	/** Show a notification (a toast's "View"): switch to the view that holds it, or say why it cannot be. */
	async locate(id: string): Promise<'shown' | 'deleted' | 'snoozed'> {
		if (this.#window.get(id)) return 'shown';
		if (this.#pendingDeletes.has(id)) return 'deleted';
		const { data, error } = await this.#supabase
			.from('notifications')
			.select(NOTIFICATION_COLUMNS)
			.eq('id', id)
			.maybeSingle();
		if (error) {
			this.#error = describe(error, 'find it');
			return 'deleted';
		}
		if (!data) return 'deleted';
		if (isSnoozed(data)) return 'snoozed';
		await this.setView({ tab: data.archived_at ? 'archived' : 'all', category: null, query: '' });
		return 'shown';
	}

	/** Mark every unread notification read in one request. */
	async markAllRead(): Promise<void> {
		const now = new Date().toISOString();
		const previous = this.unread;
		for (const row of this.#window.rows) {
			if (row.read_at === null) this.#window.patch(row.id, { read_at: now });
		}
		this.#tally.markAllRead();
		let { error } = await this.#supabase.rpc('mark_all_read');
		if (error?.code === 'PGRST202') {
			// No such function on this database: one filtered update does the same.
			({ error } = await this.#supabase
				.from('notifications')
				.update({ read_at: now })
				.eq('user_id', this.#userId)
				.is('read_at', null)
				.or(notSnoozed(new Date())));
		}
		if (error) {
			this.#tally.reset(previous);
			this.#error = describe(error, 'mark everything read');
			void this.catchUp();
		}
	}

	/**
	 * Preferences hook (src/lib/preferences): leave these categories out of every list and of the
	 * unread count from now on. A change reloads the view and recounts.
	 */
	hideCategories(hidden: readonly Category[]): void {
		if (hidden.length === this.#hidden.length && hidden.every((c) => this.#hidden.includes(c))) return;
		this.#hidden = [...hidden];
		void this.setView(this.view);
		this.#scheduleRecount();
	}

	/** Forget the highlight of rows that arrived live. */
	settle(id: string): void {
		if (!this.#fresh.has(id)) return;
		const next = new Set(this.#fresh);
		next.delete(id);
		this.#fresh = next;
	}

	/** An optimistic edit: `fields` go to the server, `local` only into the row shown until the echo. */
	async #update(
		id: string,
		fields: Database['public']['Tables']['notifications']['Update'],
		what: string,
		local: Partial<Notification> = {}
	): Promise<void> {
		const before = this.#window.patch(id, { ...fields, ...local } as Partial<Notification>);
		if (before) {
			const after = { ...before, ...fields };
			this.#tally.local(id, isUnread(after));
		}
		const { error } = await this.#supabase.from('notifications').update(fields).eq('id', id);
		if (error) {
			this.#error = describe(error, what);
			this.#undo(before);
		}
	}

	/** The server said no: show the row as it was (a later catch-up corrects anything else). */
	#undo(before: Notification | undefined): void {
		if (!before) return;
		this.#window.restore(before);
		this.#tally.restoreRow(before);
	}

	async #onChange(payload: RealtimePostgresChangesPayload<Notification>): Promise<void> {
		let change: Change;
		if (payload.eventType === 'DELETE') {
			const id = payload.old.id;
			if (!id) return;
			change = { type: 'DELETE', id };
		} else {
			let row = payload.new;
			if (payload.errors?.length) {
				// The server left values out (payload too large): read the row itself.
				const { data } = await this.#supabase
					.from('notifications')
					.select(NOTIFICATION_COLUMNS)
					.eq('id', row.id)
					.maybeSingle();
				if (!data) return;
				row = data;
			}
			change = { type: payload.eventType, row };
			// Turned off in the preferences: not listed, not counted, no arrival.
			if (this.#hidden.includes(row.category)) return;
			if (row.snoozed_until && isSnoozed(row)) this.#wakeUpAt(Date.parse(row.snoozed_until));
		}
		// A delete carries only the id: it may be of a hidden row the count never held.
		if (change.type === 'DELETE' && this.#hidden.length) this.#scheduleRecount();
		const seen = change.type === 'DELETE' || this.#tally.seen(change.row.id);
		const counted = this.#tally.apply(change, payload.eventType === 'UPDATE' ? payload.old : undefined);
		// An insert for a row no query has seen may already be in the last count (a change committed just
		// before the join can still be streamed to it): confirm with the server.
		if (counted === 'unknown' || (change.type === 'INSERT' && !seen)) this.#scheduleRecount();
		const outcome = this.#window.apply(change);
		const news = change.type === 'INSERT' && !this.#knownAtJoin.has(change.row.id);
		if (change.type === 'INSERT' && news && !this.#announced.has(change.row.id)) {
			this.#announced.add(change.row.id);
			if (outcome === 'inserted' || this.#window.catchingUp)
				this.#fresh = new Set([...this.#fresh, change.row.id]);
			this.#onArrival(change.row);
		}
	}

	#scheduleRecount(): void {
		clearTimeout(this.#recountTimer);
		this.#recountTimer = setTimeout(async () => {
			try {
				const version = this.#tally.version;
				const count = await countUnread(this.#supabase, this.#userId, this.#hidden);
				// A change that came in while we asked may or may not be in the count: ask again.
				if (!this.#tally.resetFrom(version, count - this.#pendingUnread())) this.#scheduleRecount();
			} catch {
				// The next catch-up recounts.
			}
		}, 300);
	}

	async #newerThan(newest: Cursor | null): Promise<Notification[]> {
		let q = viewQuery(this.#supabase, this.#userId, this.#view, this.#hidden);
		if (newest) q = q.or(newerThan(newest));
		const { data, error } = await q
			.order('created_at', { ascending: false })
			.order('id', { ascending: false })
			.limit(CATCH_UP_LIMIT);
		if (error) throw error;
		return data;
	}

	async #updatedSince(since: string): Promise<Notification[]> {
		const { data, error } = await viewQuery(this.#supabase, this.#userId, this.#view, this.#hidden)
			.gt('updated_at', since)
			.order('updated_at', { ascending: false })
			.limit(CATCH_UP_LIMIT);
		if (error) throw error;
		return data;
	}

	/** The current version of the given rows; ids that are missing were deleted. */
	async #current(ids: string[]): Promise<Notification[]> {
		const chunks: string[][] = [];
		for (let i = 0; i < ids.length; i += 100) chunks.push(ids.slice(i, i + 100));
		const results = await Promise.all(
			chunks.map(async (chunk) => {
				const { data, error } = await this.#supabase
					.from('notifications')
					.select(NOTIFICATION_COLUMNS)
					.in('id', chunk);
				if (error) throw error;
				return data;
			})
		);
		return results.flat();
	}

	/** Rows of this view whose snooze ended since `since` (ISO) and now: they are back. */
	async #snoozeEndedSince(since: string): Promise<Notification[]> {
		const { data, error } = await viewQuery(this.#supabase, this.#userId, this.#view, this.#hidden)
			.gt('snoozed_until', since)
			.order('snoozed_until', { ascending: false })
			.limit(CATCH_UP_LIMIT);
		if (error) throw error;
		return data;
	}

	/** Arm the wake-up for the next snoozed row to come back. */
	async #scheduleNextWake(): Promise<void> {
		const { data, error } = await this.#supabase
			.from('notifications')
			.select('snoozed_until')
			.eq('user_id', this.#userId)
			.gt('snoozed_until', new Date().toISOString())
			.order('snoozed_until', { ascending: true })
			.limit(1);
		if (error) throw error;
		if (data[0]?.snoozed_until) this.#wakeUpAt(Date.parse(data[0].snoozed_until));
	}

	/** Catch up when a snoozed row comes back (the earliest one wins; the catch-up arms the next). */
	#wakeUpAt(at: number): void {
		if (!(at > Date.now()) || at >= this.#wakeAt) return;
		clearTimeout(this.#wakeTimer);
		this.#wakeAt = at;
		this.#wakeTimer = setTimeout(
			() => {
				this.#wakeAt = Infinity;
				void this.catchUp();
			},
			Math.min(at - Date.now() + 50, MAX_TIMER_MS)
		);
	}

	/** Unread rows hidden by a pending delete: the server still counts them. */
	#pendingUnread(): number {
		let n = 0;
		for (const row of this.#pendingDeletes.values()) if (isUnread(row)) n++;
		return n;
	}

	#newWindow(view: InboxView): InboxWindow {
		return new InboxWindow((row) => matchesView(row, view) && !this.#hidden.includes(row.category));
	}

	#remember(rows: Notification[]): void {
		this.#tally.remember(rows);
	}
}

function describe(error: unknown, action: string): string {
	const offline = typeof navigator !== 'undefined' && !navigator.onLine;
	if (offline) return `You're offline, so we couldn't ${action}. We'll catch up when you're back.`;
	const message = error instanceof Error ? error.message : (error as { message?: string })?.message;
	return `We couldn't ${action}${message ? ` (${message})` : ''}. Try again in a moment.`;
}
