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
		deliver: DeliverChange
	): Promise<ChangeSubscription>;
	/** realtime.messages rows (broadcast from the database) come through the same replication stream. */
	onMessage(
		listener: (msg: {
			topic: string;
			event: string;
			payload: unknown;
			private: boolean;
			extension: string;
		}) => void
	): void;
	/** Resolves true once the replication stream runs (at once if it does), false after `timeoutMs`. */
	replicationReady(timeoutMs: number): Promise<boolean>;
	close(): Promise<void>;
}

export class ChangesError extends Error {}
