/**
 * The Postgres changes engine: one replication stream in, per-subscriber events out.
 *
 *   WAL -> pgoutput (./replication.ts, ./pgoutput.ts) -> one queue in commit order
 *       -> candidate bindings by table and eq value (./registry.ts)
 *       -> table metadata, cached until DDL (realtime.change_metadata)
 *       -> one RLS round trip for all candidates of the changes queued (realtime.check_visibility)
 *       -> payload per role (./payload.ts) -> deliver(ids, data)
 *
 * Inserts into realtime.messages (broadcast from the database) arrive on the same stream and go
 * to onMessage listeners, in the same order.
 */
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { StackContext } from '../../context.ts';
import { isConnectionError } from '../../db/errors.ts';
import {
	ChangesError,
	ChangesUnavailable,
	STREAM_TEXTS,
	type StreamStatus,
	type StreamStatusListener,
	type ChangeBinding,
	type ChangeSubscription,
	type ChangesEngine,
	type DeliverChange,
	type SubscriberClaims
} from '../changes-api.ts';
import type { DecodedChange } from './payload.ts';
import {
	pgTimeToDate,
	UNCHANGED_TOAST,
	type PgoutputMessage,
	type Relation,
	type TupleValue
} from './pgoutput.ts';
import { Authorizer, type Candidates } from './authorize.ts';
import { Registry, type ChangeType, type Entry, type Subscriber } from './registry.ts';
import { PUBLICATIONS, ReplicationStream } from './replication.ts';
import { TypeCache } from './type-cache.ts';
import { resolveBinding, SubscribeError, type ResolvedBinding } from './validate.ts';
import { SUBSCRIBED_TO_POSTGRES } from '../constants.ts';

type MessageListener = Parameters<ChangesEngine['onMessage']>[0];
/** A change waiting for authorization. */
type RoutedChange = Candidates & { commitTime: Date };
/** What a batch holds, in stream order: changes to authorize, and broadcasts to relay as they are. */
type Pending = RoutedChange | { send: () => void };

type BroadcastMessage = Parameters<MessageListener>[0];

/** At most this many queued changes are authorized in one round trip. */
const MAX_BATCH = 100;

/** DDL writes this logical message into the WAL (35-realtime-changes.sql): cached metadata is stale. */
const CATALOG_MESSAGE = 'supabase_realtime_catalog';
/** Queued when a new replication session starts: the database may have been rebuilt meanwhile. */
const NEW_SESSION = 'new session';

const REQUIRED_FUNCTION = 'realtime.check_visibility(bigint[],oid[],jsonb,text[],text[],integer[],integer[])';
const BOOTSTRAP_SQL = path.join(
	path.dirname(fileURLToPath(import.meta.url)),
	'../../db/bootstrap/35-realtime-changes.sql'
);

const isMessagesTable = (r: Relation) =>
	r.schema === 'realtime' && (r.table === 'messages' || r.table.startsWith('messages_'));

class Engine implements ChangesEngine {
	private readonly registry = new Registry();
	private readonly types: TypeCache;
	private readonly stream: ReplicationStream;
	private readonly listeners: MessageListener[] = [];
	private readonly queue: Array<{ message: PgoutputMessage; session: number }> = [];
	private draining = false;
	private commitTime = 0n;
	private xid = 0;
	private readonly authorizer: Authorizer;
	private session = 0;
	private nextId = 1;
	private closed = false;
	/** End of the last transaction handed to the sockets: a resumed stream skips what is before it. */
	private delivered = 0n;
	/** Inside a transaction that was delivered before (a replay after reconnecting). */
	private skipping = false;
	private readonly statusListeners = new Set<StreamStatusListener>();

	constructor(private readonly ctx: StackContext) {
		this.types = new TypeCache(ctx.pool);
		this.authorizer = new Authorizer(ctx, this.types);
		const { slotName, slotMaxLagBytes } = ctx.config.realtime;
		this.stream = new ReplicationStream({
			dbUrl: ctx.config.dbUrl,
			log: ctx.log,
			slotName,
			maxLagBytes: slotMaxLagBytes,
			slotInfo: () => this.slotInfo(),
			dropSlot: async () => {
				await ctx.pool.query('select pg_drop_replication_slot($1)', [slotName]);
			},
			publications: () => this.ensurePublications(),
			currentPublications: () => this.existingPublications(),
			idle: () => this.queue.length === 0 && !this.draining,
			onState: (state, gap) => this.streamState(state, gap),
			onMessage: (message, session) => {
				if (session !== this.session) {
					// What an earlier session left undelivered is replayed by this one: drop it.
					this.queue.length = 0;
					this.skipping = false;
					// DDL may have happened while no stream was running (or the database was rebuilt).
					this.session = session;
					this.queue.push({ message: { tag: 'message', prefix: NEW_SESSION, content: '' }, session });
				}
				this.queue.push({ message, session });
				void this.drain();
			}
		});
	}

	get streaming(): boolean {
		return this.stream.isReady;
	}

	private async slotInfo() {
		const { rows } = await this.ctx.pool.query<{
			active_pid: number | null;
			lag: string | null;
			wal_status: string | null;
			plugin: string | null;
		}>(
			`select active_pid, wal_status, plugin,
			        pg_catalog.pg_wal_lsn_diff(pg_catalog.pg_current_wal_lsn(), confirmed_flush_lsn)::text as lag
			   from pg_catalog.pg_replication_slots
			  where slot_name = $1 and database = current_database()`,
			[this.ctx.config.realtime.slotName]
		);
		const row = rows[0];
		if (!row) return null;
		return {
			activePid: row.active_pid,
			walStatus: row.wal_status,
			plugin: row.plugin,
			lagBytes: Number(row.lag ?? 0)
		};
	}

	/** Tells every subscriber what happened to the stream, as Supabase's postgres_changes system messages. */
	private streamState(state: 'up' | 'down', gap: boolean): void {
		const say = (status: StreamStatus) => {
			for (const listener of this.statusListeners) {
				try {
					listener(status);
				} catch (error) {
					this.ctx.log.error(`realtime changes: status listener failed: ${(error as Error).message}`);
				}
			}
		};
		if (state === 'down') return say({ status: 'error', message: STREAM_TEXTS.unavailable });
		// (WAL positions only grow in a cluster, so `delivered` stays valid for a recreated slot.)
		if (gap) {
			say({ status: 'error', message: STREAM_TEXTS.gap });
		}
		say({ status: 'ok', message: SUBSCRIBED_TO_POSTGRES });
	}

	async start(): Promise<void> {
		await this.ensureAuthorizeFunction();
		this.stream.start();
		if (!(await this.stream.whenReady(10_000))) {
			this.ctx.log.warn(
				'realtime changes: replication is not running yet (is wal_level=logical?); retrying in the background'
			);
		}
	}

	/**
	 * Creates `supabase_realtime` if absent, and the messages publication when realtime.messages
	 * exists without one (both idempotent); returns the publications that exist.
	 */
	private async ensurePublications(): Promise<string[]> {
		const { pool } = this.ctx;
		const create = async (sql: string) => {
			await pool.query(sql).catch((error: { code?: string }) => {
				if (error.code !== '42710') throw error; // created concurrently
			});
		};
		const { rows } = await pool.query<{ realtime: boolean; messages: boolean; table: boolean }>(
			`select exists(select 1 from pg_catalog.pg_publication where pubname = $1) as realtime,
			        exists(select 1 from pg_catalog.pg_publication where pubname = $2) as messages,
			        to_regclass('realtime.messages') is not null as table`,
			[...PUBLICATIONS]
		);
		if (!rows[0].realtime) await create('create publication supabase_realtime');
		// Without the table (a database still being built) the publication is left to its bootstrap.
		if (!rows[0].messages && rows[0].table) {
			await create(
				"create publication supabase_realtime_messages_publication for table realtime.messages with (publish = 'insert')"
			);
		}
		return this.existingPublications();
	}

	private async existingPublications(): Promise<string[]> {
		const { rows } = await this.ctx.pool.query<{ pubname: string }>(
			'select pubname from pg_catalog.pg_publication where pubname = any($1) order by pubname',
			[[...PUBLICATIONS]]
		);
		return rows.map((r) => r.pubname);
	}

	/**
	 * (Re)applies 35-realtime-changes.sql. Bootstrap files run once per database, so a database
	 * created by an older stack would otherwise keep older versions of its functions. The file's hash
	 * is kept as the comment of realtime.check_visibility: an unchanged file is not applied again
	 * (DDL on every start costs a warm start time and wakes every DDL trigger).
	 */
	private async ensureAuthorizeFunction(): Promise<void> {
		const text = await fs.readFile(BOOTSTRAP_SQL, 'utf8');
		const hash = `sha256:${createHash('sha256').update(text).digest('hex')}`;
		const { rows } = await this.ctx.pool.query<{ hash: string | null }>(
			"select pg_catalog.obj_description(to_regprocedure($1), 'pg_proc') as hash",
			[REQUIRED_FUNCTION]
		);
		if (rows[0]?.hash === hash) return;
		try {
			await this.ctx.pool.query(`${text};\ncomment on function ${REQUIRED_FUNCTION} is '${hash}'`);
		} catch (error) {
			// e.g. another server replacing it at the same moment: fine as long as it exists.
			const { rows } = await this.ctx.pool.query('select to_regprocedure($1) is not null as present', [
				REQUIRED_FUNCTION
			]);
			if (!rows[0]?.present) throw error;
			this.ctx.log.warn(
				`realtime changes: could not update ${REQUIRED_FUNCTION}: ${(error as Error).message}`
			);
		}
	}

	async subscribe(
		bindings: ChangeBinding[],
		auth: SubscriberClaims,
		deliver: DeliverChange,
		onStatus?: StreamStatusListener
	): Promise<ChangeSubscription> {
		if (this.closed) throw new ChangesError('Realtime was shut down');
		// While the database is away the join is refused; the client rejoins with backoff.
		if (this.ctx.db?.state === 'down' || !(await this.stream.whenReady(5_000))) {
			throw new ChangesUnavailable(STREAM_TEXTS.unavailable);
		}
		const subscriber: Subscriber = { auth, claimsJson: JSON.stringify(auth.claims), deliver };
		const resolved = await this.resolveAll(bindings, auth.role);
		let entries: Entry[] = resolved.map((binding) => ({ id: this.nextId++, subscriber, binding }));
		for (const entry of entries) this.registry.add(entry);
		if (onStatus) this.statusListeners.add(onStatus);
		let open = true;
		return {
			ids: entries.map((e) => e.id),
			update: async (next: SubscriberClaims) => {
				if (next.role !== subscriber.auth.role) {
					// Another role may read other columns: validate the bindings again under it.
					const again = await this.resolveAll(bindings, next.role);
					if (!open) return;
					for (const entry of entries) this.registry.remove(entry);
					entries = entries.map((entry, i) => ({ ...entry, binding: again[i] }));
					for (const entry of entries) this.registry.add(entry);
				}
				subscriber.auth = next;
				subscriber.claimsJson = JSON.stringify(next.claims);
			},
			close: () => {
				open = false;
				if (onStatus) this.statusListeners.delete(onStatus);
				for (const entry of entries) this.registry.remove(entry);
			}
		};
	}

	private async resolveAll(bindings: ChangeBinding[], role: string): Promise<ResolvedBinding[]> {
		const resolved: ResolvedBinding[] = [];
		try {
			const { maxFiltersPerBinding } = this.ctx.config.realtime;
			for (const binding of bindings) {
				resolved.push(await resolveBinding(this.ctx.pool, binding, role, maxFiltersPerBinding));
			}
		} catch (error) {
			if (error instanceof SubscribeError) throw new ChangesError(error.message);
			if (isConnectionError(error)) throw new ChangesUnavailable(STREAM_TEXTS.unavailable);
			throw new ChangesError(
				`Unable to subscribe to changes with given parameters. An exception happened so please check your connect parameters: ${(error as Error).message}`
			);
		}
		return resolved;
	}

	replicationReady(timeoutMs: number): Promise<boolean> {
		return this.stream.whenReady(timeoutMs);
	}

	onMessage(listener: MessageListener): void {
		this.listeners.push(listener);
	}

	async close(): Promise<void> {
		this.closed = true;
		this.queue.length = 0;
		await this.stream.close();
	}

	/**
	 * Works through the stream in order, a batch at a time: what is already queued (never waiting
	 * for more, so a lone change goes at once) is authorized in one round trip, then delivered
	 * strictly in stream order before the next batch starts.
	 */
	private async drain(): Promise<void> {
		if (this.draining) return;
		this.draining = true;
		try {
			while (!this.closed && this.queue.length > 0) {
				const { batch, commitEnd } = await this.nextBatch();
				if (batch.length > 0 && !(await this.authorizeAndSend(batch))) {
					// The database went away mid-batch: nothing of it was sent; the next session replays it.
					this.queue.length = 0;
					this.stream.restart();
					break;
				}
				// Handed to the sockets: the slot may move past these transactions.
				if (commitEnd > this.delivered) {
					this.delivered = commitEnd;
					this.stream.confirm(commitEnd);
				}
			}
		} catch (error) {
			this.ctx.log.error(`realtime changes: ${(error as Error).stack ?? error}`);
		} finally {
			this.draining = false;
		}
		// Whatever arrived while this pass was ending.
		if (this.queue.length > 0 && !this.closed) void this.drain();
	}

	/**
	 * Takes up to MAX_BATCH changes someone listens to from the queue, handling the other messages on
	 * the way. Stops before DDL, a new session or a table's (re)definition when it holds changes
	 * already: the changes before such a point must be authorized with what was known before it.
	 */
	private async nextBatch(): Promise<{ batch: Pending[]; commitEnd: bigint }> {
		const batch: Pending[] = [];
		let commitEnd = 0n;
		while (batch.length < MAX_BATCH && !this.closed) {
			const message = this.queue[0]?.message;
			if (!message) break;
			if (this.skipping && message.tag !== 'commit' && message.tag !== 'relation') {
				this.queue.shift();
				continue;
			}
			const barrier =
				message.tag === 'relation' ||
				(message.tag === 'message' && (message.prefix === CATALOG_MESSAGE || message.prefix === NEW_SESSION));
			if (barrier && batch.length > 0) break;
			this.queue.shift();
			switch (message.tag) {
				case 'begin':
					this.commitTime = message.commitTime;
					this.xid = message.xid;
					// Replayed after a reconnect, but already delivered before it.
					this.skipping = message.finalLsn < this.delivered;
					break;
				case 'commit':
					if (this.skipping) this.skipping = false;
					else if (message.endLsn > commitEnd) commitEnd = message.endLsn;
					break;
				case 'message':
					if (!barrier) break;
					this.authorizer.forgetAll();
					if (message.prefix === NEW_SESSION) this.types.clear();
					break;
				case 'relation':
					this.authorizer.forget(message.relation.oid);
					await this.types.ensure(message.relation.columns.map((c) => c.typeOid)).catch((error: Error) => {
						this.ctx.log.error(`realtime changes: could not load column types: ${error.message}`);
					});
					break;
				case 'insert':
				case 'update':
				case 'delete':
					try {
						const pending = this.prepare(message);
						if (pending) batch.push(pending);
					} catch (error) {
						this.ctx.log.error(`realtime changes: dropped a change: ${(error as Error).stack ?? error}`);
					}
					break;
				default:
					break;
			}
		}
		return { batch, commitEnd };
	}

	/**
	 * Authorizes the batch's changes in one round trip, then sends everything in stream order.
	 * Returns false, having sent nothing, when the database could not be reached.
	 */
	private async authorizeAndSend(batch: Pending[]): Promise<boolean> {
		const changes = batch.filter((p): p is RoutedChange => !('send' in p));
		let decided: Awaited<ReturnType<Authorizer['decideAll']>>;
		try {
			decided = changes.length > 0 ? await this.authorizer.decideAll(changes) : [];
		} catch (error) {
			if (isConnectionError(error)) return false;
			throw error;
		}
		if (decided.some((d) => d instanceof Error && isConnectionError(d))) return false;
		let next = 0;
		for (const pending of batch) {
			if ('send' in pending) {
				pending.send();
				continue;
			}
			const deliveries = decided[next++];
			if (deliveries instanceof Error) {
				this.ctx.log.error(`realtime changes: dropped a change: ${deliveries.stack ?? deliveries}`);
				continue;
			}
			for (const [subscriber, events] of deliveries) {
				for (const [data, ids] of events) {
					try {
						subscriber.deliver(ids, data);
					} catch (error) {
						this.ctx.log.error(`realtime changes: delivery failed: ${(error as Error).message}`);
					}
				}
			}
			const { relation, type } = pending.change;
			this.ctx.log.debug(
				`realtime changes: ${type} ${relation.schema}.${relation.table} to ${deliveries.size} subscriber(s), ` +
					`${Date.now() - pending.commitTime.getTime()} ms after commit`
			);
		}
		return true;
	}

	/** Matches a change to bindings now (in stream order); what it needs before it can be sent. */
	private prepare(
		message: Extract<PgoutputMessage, { tag: 'insert' | 'update' | 'delete' }>
	): Pending | undefined {
		const { relation } = message;
		if (isMessagesTable(relation)) {
			return message.tag === 'insert'
				? { send: () => this.relayMessage(relation, message.newTuple) }
				: undefined;
		}
		if (message.tag === 'insert') return this.route(relation, 'INSERT', message.newTuple, null, false);
		if (message.tag === 'update')
			return this.route(relation, 'UPDATE', message.newTuple, message.oldTuple, message.oldIsKeyOnly);
		return this.route(relation, 'DELETE', null, message.oldTuple, message.oldIsKeyOnly);
	}

	private relayMessage(relation: Relation, tuple: TupleValue[]): void {
		const row = new Map<string, string | null>();
		relation.columns.forEach((c, i) => {
			const v = tuple[i];
			row.set(c.name, v === UNCHANGED_TOAST ? null : v);
		});
		let payload: unknown = null;
		try {
			payload = JSON.parse(row.get('payload') ?? 'null');
		} catch {
			payload = row.get('payload');
		}
		// bytea arrives in Postgres' text form: \x and hex digits.
		const binary = row.get('binary_payload');
		const msg: BroadcastMessage = {
			id: row.get('id') ?? '',
			topic: row.get('topic') ?? '',
			event: row.get('event') ?? '',
			payload,
			binaryPayload: binary?.startsWith('\\x') ? Buffer.from(binary.slice(2), 'hex') : null,
			private: row.get('private') === 't',
			extension: row.get('extension') ?? 'broadcast'
		};
		for (const listener of this.listeners) {
			try {
				listener(msg);
			} catch (error) {
				this.ctx.log.error(`realtime changes: message listener failed: ${(error as Error).message}`);
			}
		}
	}

	private route(
		relation: Relation,
		type: ChangeType,
		newTuple: TupleValue[] | null,
		oldTuple: TupleValue[] | null,
		oldIsKeyOnly: boolean
	): RoutedChange | undefined {
		if (!this.registry.listens(relation.schema, relation.table)) return undefined;
		const newValues = newTuple
			? new Map(relation.columns.map((c, i) => [c.name, newTuple[i]] as const))
			: null;
		let oldValues: Map<string, string | null> | null = null;
		if (oldTuple) {
			oldValues = new Map();
			relation.columns.forEach((c, i) => {
				const v = oldTuple[i];
				if ((oldIsKeyOnly && !c.isKey) || v === UNCHANGED_TOAST) return;
				oldValues!.set(c.name, v);
			});
		}
		// Filters see the new row (the old one for DELETE); values the server did not resend are absent.
		const filterRow = new Map<string, string | null>();
		if (type === 'DELETE') for (const [k, v] of oldValues ?? []) filterRow.set(k, v);
		else for (const [k, v] of newValues ?? []) if (v !== UNCHANGED_TOAST) filterRow.set(k, v);

		const entries = this.registry.match(relation.schema, relation.table, type, filterRow);
		if (entries.length === 0) return undefined;

		const commitTime = pgTimeToDate(this.commitTime);
		const change: DecodedChange = {
			relation,
			type,
			xid: this.xid,
			commitTimestamp: commitTime.toISOString(),
			newValues,
			oldValues
		};
		return { change, entries, row: filterRow, commitTime };
	}
}

export async function createChangesEngine(ctx: StackContext): Promise<ChangesEngine> {
	const engine = new Engine(ctx);
	await engine.start();
	return engine;
}
