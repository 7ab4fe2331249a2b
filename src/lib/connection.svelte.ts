/* eslint-disable svelte/prefer-svelte-reactivity -- lastSync is replaced, never mutated */
export type ConnectionState = 'connecting' | 'live' | 'catching-up' | 'reconnecting' | 'offline';

export interface ConnectionInputs {
	online: boolean;
	/** Last subscribe status per channel (SUBSCRIBED, CHANNEL_ERROR, TIMED_OUT, CLOSED, or '' before any). */
	channels: Record<string, string>;
	/** Whether every channel has been live at least once. */
	everLive: boolean;
	/** A heartbeat went unanswered (the socket is probably dead even if no channel noticed yet). */
	heartbeatLost: boolean;
	/** Channels whose database changes stream reported an error and has not said "ok" since. */
	streamErrors?: number;
}

/** What the connection indicator says, from what the browser and the channels report. */
export function connectionState({
	online,
	channels,
	everLive,
	heartbeatLost,
	streamErrors = 0
}: ConnectionInputs): ConnectionState {
	if (!online) return 'offline';
	const statuses = Object.values(channels);
	const allLive = statuses.length > 0 && statuses.every((s) => s === 'SUBSCRIBED');
	// Connected, but the server's database stream is down: changes arrive once it is back.
	if (allLive && !heartbeatLost) return streamErrors > 0 ? 'catching-up' : 'live';
	return everLive ? 'reconnecting' : 'connecting';
}

export const CONNECTION_LABEL: Record<ConnectionState, string> = {
	connecting: 'Connecting…',
	live: 'Live',
	'catching-up': 'Live, catching up…',
	reconnecting: 'Reconnecting…',
	offline: 'Offline'
};

/** The page's connection to Realtime: channel statuses, socket heartbeats, and the last sync time. */
export class Connection {
	#channels = $state<Record<string, string>>({});
	#online = $state(true);
	#everLive = $state(false);
	#heartbeatLost = $state(false);
	#streamErrors = $state<Record<string, boolean>>({});
	/** When the inbox last finished catching up with the database. */
	lastSync = $state<Date | null>(null);

	state: ConnectionState = $derived(
		connectionState({
			online: this.#online,
			channels: this.#channels,
			everLive: this.#everLive,
			heartbeatLost: this.#heartbeatLost,
			streamErrors: Object.values(this.#streamErrors).filter(Boolean).length
		})
	);
	label = $derived(CONNECTION_LABEL[this.state]);

	/** Register a channel before it subscribes, so "live" waits for all of them. */
	track(name: string): void {
		this.#channels = { ...this.#channels, [name]: '' };
	}

	untrack(name: string): void {
		const { [name]: _, ...rest } = this.#channels;
		this.#channels = rest;
		const { [name]: __, ...errors } = this.#streamErrors;
		this.#streamErrors = errors;
	}

	channel(name: string, status: string): void {
		this.#channels = { ...this.#channels, [name]: status };
		if (status === 'SUBSCRIBED') {
			this.#heartbeatLost = false;
			if (Object.values(this.#channels).every((s) => s === 'SUBSCRIBED')) this.#everLive = true;
		}
	}

	/** A channel's `system` message: postgres_changes "error" means its changes stream broke, "ok" that it runs. */
	stream(name: string, payload: { extension?: string; status?: string } | null | undefined): void {
		if (payload?.extension !== 'postgres_changes') return;
		this.#streamErrors = { ...this.#streamErrors, [name]: payload.status === 'error' };
	}

	heartbeat(status: string): void {
		if (status === 'ok') this.#heartbeatLost = false;
		else if (status === 'timeout' || status === 'error') this.#heartbeatLost = true;
	}

	synced(at = new Date()): void {
		this.lastSync = at;
	}

	/** Follow the browser's online/offline events; returns the cleanup. */
	watchNetwork(onBackOnline: () => void): () => void {
		this.#online = navigator.onLine;
		const online = () => {
			this.#online = true;
			onBackOnline();
		};
		const offline = () => (this.#online = false);
		addEventListener('online', online);
		addEventListener('offline', offline);
		return () => {
			removeEventListener('online', online);
			removeEventListener('offline', offline);
		};
	}
}
