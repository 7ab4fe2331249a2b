import type { RealtimeChannel, SupabaseClient } from '@supabase/supabase-js';
import type { Database } from '$lib/database.types';
import type { Connection } from '$lib/connection.svelte';
import { KeyedThrottle, trailingThrottle } from '$lib/throttle';
import { rosterFromState, type PresenceMeta, type RosterEntry } from './roster';

export interface Nudge {
	to: string;
	from: string;
	from_name: string;
}

export interface Announcement {
	from_name: string;
	text: string;
}

interface Me {
	id: string;
	display_name: string;
	avatar_url: string | null;
}

/** Idle this long (no input) and the status turns to away. */
const IDLE_MS = 5 * 60_000;
/** Realtime allows few presence updates per client (5 per 30 s); space them out. */
const TRACK_INTERVAL_MS = 6_000;
const SEND_INTERVAL_MS = 2_000;

/**
 * The team room: one channel with presence (key = user id) for the roster and broadcast for
 * nudges and announcements. Nothing here is stored.
 */
export class Room {
	roster = $state.raw<RosterEntry[]>([]);
	/** The roster without me. */
	others = $derived(this.roster.filter((e) => e.id !== this.#me.id));
	onlineCount = $derived(this.roster.length);
	status = $state<PresenceMeta['status']>('online');

	#supabase: SupabaseClient<Database>;
	#me: Me;
	#channel: RealtimeChannel | null = null;
	#nudges = new KeyedThrottle(SEND_INTERVAL_MS);
	#announcements = new KeyedThrottle(SEND_INTERVAL_MS);
	#track = trailingThrottle((meta: PresenceMeta) => void this.#channel?.track(meta), TRACK_INTERVAL_MS);

	constructor(supabase: SupabaseClient<Database>, me: Me) {
		this.#supabase = supabase;
		this.#me = me;
	}

	get me(): Me {
		return this.#me;
	}

	connect(
		connection: Connection,
		handlers: { nudge: (n: Nudge) => void; announcement: (a: Announcement) => void }
	): () => void {
		connection.track('room');
		const channel = this.#supabase
			.channel('room', { config: { presence: { key: this.#me.id }, broadcast: { self: false } } })
			.on('presence', { event: 'sync' }, () => {
				this.roster = rosterFromState(channel.presenceState<PresenceMeta>());
			})
			.on('broadcast', { event: 'nudge' }, ({ payload }) => {
				const n = payload as Nudge;
				if (n?.to === this.#me.id && typeof n.from_name === 'string') handlers.nudge(n);
			})
			.on('broadcast', { event: 'announcement' }, ({ payload }) => {
				const a = payload as Announcement;
				if (typeof a?.text === 'string' && typeof a.from_name === 'string') handlers.announcement(a);
			})
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
			void this.#supabase.removeChannel(channel);
		};
	}

	/** Wave at someone. False when throttled (one per person every 2 s). */
	nudge(to: string): boolean {
		if (!this.#channel || !this.#nudges.take(to)) return false;
		const payload: Nudge = { to, from: this.#me.id, from_name: this.#me.display_name };
		void this.#channel.send({ type: 'broadcast', event: 'nudge', payload });
		return true;
	}

	/** Banner for everyone online. False when throttled or empty. */
	announce(text: string): boolean {
		const trimmed = text.trim().slice(0, 280);
		if (!trimmed || !this.#channel || !this.#announcements.take('all')) return false;
		const payload: Announcement = { from_name: this.#me.display_name, text: trimmed };
		void this.#channel.send({ type: 'broadcast', event: 'announcement', payload });
		return true;
	}

	#meta(): PresenceMeta {
		return { display_name: this.#me.display_name, avatar_url: this.#me.avatar_url, status: this.status };
	}

	#setStatus(status: PresenceMeta['status']): void {
		if (status === this.status) return;
		this.status = status;
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
