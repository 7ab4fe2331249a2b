import type { RealtimeChannel, SupabaseClient } from '@supabase/supabase-js';
import type { Connection } from '$lib/connection.svelte';
import type { Directory } from '$lib/people';
import { KeyedThrottle, trailingThrottle } from '$lib/throttle';
import { rosterFromState, type PresenceMeta } from './roster';

/** A wave at me, with the sender's name from their profile. */
export interface Nudge {
	id: string;
	from: string;
	from_name: string;
}

/** A banner for everyone, with the author's name from their profile. */
export interface Announcement {
	id: string;
	from: string;
	from_name: string;
	text: string;
}

/** `throttled`: too soon after the last one (here, or by the database's limit); `message` says why in words. */
export type SendOutcome = { ok: true } | { ok: false; throttled: boolean; message: string };

function outcome(error: { code?: string; message: string } | null): SendOutcome {
	if (!error) return { ok: true };
	return { ok: false, throttled: error.code === 'P0001', message: error.message };
}

/** The room is a private channel: Realtime Authorization (RLS on realtime.messages) lets signed-in users in. */
export const ROOM_TOPIC = 'room';
/** Limits from the schema (announcements_text_length). */
export const ANNOUNCEMENT_MAX = 280;

/** Idle this long (no input) and the status turns to away. */
const IDLE_MS = 5 * 60_000;
/** Realtime allows few presence updates per client (5 per 30 s); space them out. */
const TRACK_INTERVAL_MS = 6_000;
/** The schema refuses more (one per target, or one announcement, every 2 s per author). */
const SEND_INTERVAL_MS = 2_000;
/** People online over time, for the activity chart. */
const SAMPLE_WINDOW_MS = 3600_000;

export interface OnlineSample {
	t: number;
	n: number;
}

/**
 * The team room: presence (key = user id, payload = status only) for the roster, and nudges and
 * announcements, which are rows the database broadcasts to the room with their author's id.
 * Every name shown comes from the directory (profiles), looked up by id.
 */
export class Room {
	#presence = $state.raw<Record<string, Partial<PresenceMeta>[]>>({});
	#samples = $state.raw<readonly OnlineSample[]>([]);
	#status = $state<PresenceMeta['status']>('online');

	#supabase: SupabaseClient;
	#me: { id: string };
	#directory: Directory;
	#channel: RealtimeChannel | null = null;
	#nudges = new KeyedThrottle(SEND_INTERVAL_MS);
	#announcements = new KeyedThrottle(SEND_INTERVAL_MS);
	#track = trailingThrottle((meta: PresenceMeta) => void this.#channel?.track(meta), TRACK_INTERVAL_MS);

	/** Everyone online whose presence key is a known profile, named from it. */
	readonly roster = $derived(rosterFromState(this.#presence, (id) => this.#directory.get(id)));
	/** The roster without me. */
	readonly others = $derived(this.roster.filter((e) => e.id !== this.#me.id));
	readonly onlineCount = $derived(this.roster.length);

	constructor(supabase: SupabaseClient, me: { id: string }, directory: Directory) {
		this.#supabase = supabase;
		this.#me = me;
		this.#directory = directory;
	}

	get me(): { id: string } {
		return this.#me;
	}

	get status(): PresenceMeta['status'] {
		return this.#status;
	}

	/** How many people were online over the last hour, one sample per change. */
	get onlineSamples(): readonly OnlineSample[] {
		return this.#samples;
	}

	connect(
		connection: Connection,
		handlers: { nudge: (n: Nudge) => void; announcement: (a: Announcement) => void }
	): () => void {
		connection.track('room');
		this.#sample();
		const channel = this.#supabase
			.channel(ROOM_TOPIC, {
				config: { private: true, presence: { key: this.#me.id }, broadcast: { self: false } }
			})
			.on('presence', { event: 'sync' }, () => {
				this.#presence = channel.presenceState<PresenceMeta>();
				// People who signed up after this page loaded: read their profiles, then they appear.
				void this.#directory.lookUp(this.#supabase, Object.keys(this.#presence)).then(() => this.#sample());
				this.#sample();
			})
			.on('broadcast', { event: 'nudge' }, ({ payload }) => void this.#onNudge(payload, handlers.nudge))
			.on(
				'broadcast',
				{ event: 'announcement' },
				({ payload }) => void this.#onAnnouncement(payload, handlers.announcement)
			)
			.subscribe((status) => {
				connection.channel('room', status);
				// Track again on every join: a rejoin starts with no presence of ours.
				if (status === 'SUBSCRIBED') void channel.track(this.#meta());
			});
		this.#channel = channel;
		const stopWatching = this.#watchActivity();
		return () => {
			stopWatching();
			this.#track.cancel();
			connection.untrack('room');
			this.#channel = null;
			this.#presence = {};
			void this.#supabase.removeChannel(channel);
		};
	}

	/** The session ended: leave the roster now, not when the socket times out. */
	leave(): void {
		this.#track.cancel();
		void this.#channel?.untrack();
		this.#presence = {};
	}

	/** Wave at someone: a row in public.nudges, which the database broadcasts to the room. */
	async nudge(to: string): Promise<SendOutcome> {
		if (!this.#nudges.take(to)) return { ok: false, throttled: true, message: 'give them a moment' };
		const { error } = await this.#supabase.from('nudges').insert({ target_id: to });
		return outcome(error);
	}

	/** Banner for everyone online: a row in public.announcements, broadcast by the database. */
	async announce(text: string): Promise<SendOutcome> {
		const trimmed = text.trim().slice(0, ANNOUNCEMENT_MAX);
		if (!trimmed) return { ok: false, throttled: false, message: 'Write something first' };
		if (!this.#announcements.take('all'))
			return { ok: false, throttled: true, message: 'One announcement every 2 seconds, please' };
		const { error } = await this.#supabase.from('announcements').insert({ text: trimmed });
		return outcome(error);
	}

	/** Payloads carry ids and text only; the name is the author's profile, or nothing is shown. */
	async #onNudge(payload: unknown, handle: (n: Nudge) => void): Promise<void> {
		const { id, author_id, target_id } = (payload ?? {}) as Record<string, unknown>;
		if (target_id !== this.#me.id || typeof author_id !== 'string' || typeof id !== 'string') return;
		const from_name = await this.#nameOf(author_id);
		if (from_name) handle({ id, from: author_id, from_name });
	}

	async #onAnnouncement(payload: unknown, handle: (a: Announcement) => void): Promise<void> {
		const { id, author_id, text } = (payload ?? {}) as Record<string, unknown>;
		if (typeof author_id !== 'string' || typeof id !== 'string' || typeof text !== 'string') return;
		// The sender already saw "sent"; the banner is for everyone else.
		if (author_id === this.#me.id) return;
		const from_name = await this.#nameOf(author_id);
		if (from_name) handle({ id, from: author_id, from_name, text: text.slice(0, ANNOUNCEMENT_MAX) });
	}

	async #nameOf(id: string): Promise<string | null> {
		if (!this.#directory.has(id)) await this.#directory.lookUp(this.#supabase, [id]);
		return this.#directory.get(id)?.display_name || null;
	}

	/** Records the online count when it changed, keeping the last hour. */
	#sample(): void {
		const n = this.onlineCount;
		const last = this.#samples.at(-1);
		if (last && last.n === n) return;
		const now = Date.now();
		this.#samples = [...this.#samples.filter((s) => s.t > now - SAMPLE_WINDOW_MS), { t: now, n }];
	}

	#meta(): PresenceMeta {
		return { status: this.#status };
	}

	#setStatus(status: PresenceMeta['status']): void {
		if (status === this.#status) return;
		this.#status = status;
		this.#track(this.#meta());
	}

	/** Away when the tab is hidden or nobody touched it for a while. */
	#watchActivity(): () => void {
		let idleTimer: ReturnType<typeof setTimeout> | undefined;
		const update = () => {
			clearTimeout(idleTimer);
			if (document.visibilityState === 'hidden') return this.#setStatus('away');
			this.#setStatus('online');
			idleTimer = setTimeout(() => this.#setStatus('away'), IDLE_MS);
		};
		let lastInput = 0;
		const onInput = () => {
			const now = Date.now();
			if (now - lastInput < 1000) return;
			lastInput = now;
			update();
		};
		const events = ['pointermove', 'keydown', 'pointerdown', 'scroll', 'focus'] as const;
		for (const e of events) addEventListener(e, onInput, { passive: true });
		document.addEventListener('visibilitychange', update);
		update();
		return () => {
			clearTimeout(idleTimer);
			for (const e of events) removeEventListener(e, onInput);
			document.removeEventListener('visibilitychange', update);
		};
	}
}
