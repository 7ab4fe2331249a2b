/**
 * The contract between the realtime server core (channels, sockets) and the Postgres changes
 * engine (`./changes/`). The core creates the engine, subscribes channels' bindings through it and
 * relays what it delivers; the engine owns replication, decoding and per-subscriber RLS checks.
 */

export type ChangeEvent = '*' | 'INSERT' | 'UPDATE' | 'DELETE';

/**
 * A postgres_changes binding as the join carried it (see ../join.ts): strings as the client sent
 * them, read the way Supabase reads them by the engine (unknown events mean '*', no schema means
 * public). realtime-js 2.119 may add `select` (column names; a string is refused by the engine).
 */
export interface ChangeBinding {
	event?: string;
	schema?: string;
	table?: string;
	filter?: string;
	select?: string[] | string;
}

/** Verified JWT claims of the channel. */
export interface SubscriberClaims {
	role: string;
	claims: Record<string, unknown>;
}

/** data = {schema, table, commit_timestamp, type, columns, record, old_record, errors} */
export type DeliverChange = (ids: number[], data: Record<string, unknown>) => void;

/**
 * The stream's condition as a subscriber hears it, as `system` messages with extension
 * postgres_changes: 'error' when the stream broke (or resumed with a gap: refetch), 'ok' with
 * "Subscribed to PostgreSQL" once changes flow again.
 */
export interface StreamStatus {
	status: 'ok' | 'error';
	message: string;
}
export type StreamStatusListener = (status: StreamStatus) => void;

/** Texts of the stream's system messages (Supabase's where it has one). */
export const STREAM_TEXTS = {
	/** supabase/realtime realtime_channel.ex: :tenant_database_unavailable. */
	unavailable: 'Realtime was unable to connect to the project database',
	joinUnavailable: 'UnableToConnectToProject: Realtime was unable to connect to the project database',
	/** The replication slot was recreated: changes committed meanwhile cannot be replayed. */
	gap: 'Realtime lost its position in the database log; changes may have been missed, refetch to catch up'
} as const;

export interface ChangeSubscription {
	ids: number[];
	update(auth: SubscriberClaims): Promise<void>;
	close(): void;
}

export interface ChangesEngine {
	/**
	 * Validates bindings under the role (filter syntax, table exists, role may select the filter
	 * column); resolves with ids in the client's order, or rejects with ChangesError(message) whose
	 * message is the Supabase system-message text. Deliver is called in commit order for changes this
	 * subscriber may see.
	 */
	subscribe(
		bindings: ChangeBinding[],
		auth: SubscriberClaims,
		deliver: DeliverChange,
		onStatus?: StreamStatusListener
	): Promise<ChangeSubscription>;
	/** True while the replication stream runs. */
	readonly streaming: boolean;
	/** realtime.messages rows (broadcast from the database) come through the same replication stream. */
	onMessage(
		listener: (msg: {
			/** The row's id (Supabase's message id). */
			id: string;
			topic: string;
			event: string;
			payload: unknown;
			/** realtime.send_binary's bytes (binary_payload), else null. */
			binaryPayload: Buffer | null;
			private: boolean;
			extension: string;
		}) => void
	): void;
	/** Resolves true once the replication stream runs (at once if it does), false after `timeoutMs`. */
	replicationReady(timeoutMs: number): Promise<boolean>;
	close(): Promise<void>;
}

export class ChangesError extends Error {}

/** The database (or the stream) is not there: the join is refused rather than answered ok. */
export class ChangesUnavailable extends ChangesError {}
