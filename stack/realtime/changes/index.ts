/**
 * The Postgres changes engine: one replication stream in, per-subscriber events out.
 *
 *   WAL -> pgoutput (./replication.ts, ./pgoutput.ts) -> one queue in commit order
 *       -> candidate bindings by table and eq value (./registry.ts)
 *       -> table metadata, cached until DDL (realtime.change_metadata)
 *       -> one RLS round trip per change for all candidates (realtime.check_visibility)
 *       -> payload per role (./payload.ts) -> deliver(ids, data)
 *
 * Inserts into realtime.messages (broadcast from the database) arrive on the same stream and go
 * to onMessage listeners, in the same order.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { StackContext } from '../../context.ts';
import {
	ChangesError,
	type ChangeBinding,
	type ChangeSubscription,
	type ChangesEngine,
	type DeliverChange,
	type SubscriberClaims
} from '../changes-api.ts';
import {
	buildData,
	errorData,
	ERROR_NO_PRIMARY_KEY,
	ERROR_RLS_FAILED,
	ERROR_UNAUTHORIZED,
	type ChangeData,
	type DecodedChange
} from './payload.ts';
import {
	pgTimeToDate,
	UNCHANGED_TOAST,
	type PgoutputMessage,
	type Relation,
	type TupleValue
} from './pgoutput.ts';
import { Registry, type ChangeType, type Entry, type Subscriber } from './registry.ts';
import { PUBLICATIONS, ReplicationStream } from './replication.ts';
import { TypeCache } from './types.ts';
import { resolveBinding, SubscribeError, type ResolvedBinding } from './validate.ts';

type MessageListener = Parameters<ChangesEngine['onMessage']>[0];
/** Delivers one authorized change. */
type Send = () => void;
/** Per subscriber, each distinct payload with the ids of the bindings it answers. */
type Deliveries = Map<Subscriber, Map<ChangeData, number[]>>;

type BroadcastMessage = Parameters<MessageListener>[0];

/** Changes authorized concurrently; delivery stays in stream order. */
const MAX_IN_FLIGHT = 4;

/** realtime.change_metadata: what shaping a change for each role needs to know about a table. */
interface TableMeta {
	rls: boolean;
	pk: Array<{ name: string; type: string }>;
	types: Record<string, string>;
	columns: Record<string, string[]>;
	bypass: Record<string, boolean>;
	fetchedAt: number;
}

/** DDL writes this logical message into the WAL (35-realtime-changes.sql): cached metadata is stale. */
const CATALOG_MESSAGE = 'supabase_realtime_catalog';
/** Queued when a new replication session starts: the database may have been rebuilt meanwhile. */
const NEW_SESSION = 'new session';
/** A backstop for catalog changes no event trigger sees (ALTER ROLE, role membership). */
const META_TTL_MS = 10_000;

const REQUIRED_FUNCTION = 'realtime.check_visibility(bigint,oid,text[],text[],text[],text[],text[])';
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
	/** Table metadata per relation OID; dropped on Relation messages, DDL and reconnects. */
	private readonly meta = new Map<number, TableMeta | null>();
	private readonly metaLoads = new Map<number, Promise<TableMeta | null>>();
	private session = 0;
	private nextId = 1;
	private closed = false;

	constructor(private readonly ctx: StackContext) {
		this.types = new TypeCache(ctx.pool);
		this.stream = new ReplicationStream({
			dbUrl: ctx.config.dbUrl,
			log: ctx.log,
			publications: () => this.ensurePublications(),
			currentPublications: () => this.existingPublications(),
			onMessage: (message, session) => {
				if (session !== this.session) {
					// DDL may have happened while no stream was running (or the database was rebuilt).
					this.session = session;
					this.queue.push({ message: { tag: 'message', prefix: NEW_SESSION, content: '' }, session });
				}
				this.queue.push({ message, session });
				void this.drain();
			}
		});
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
	 * created by an older stack would otherwise keep older versions of its functions.
	 */
	private async ensureAuthorizeFunction(): Promise<void> {
		try {
			await this.ctx.pool.query(await fs.readFile(BOOTSTRAP_SQL, 'utf8'));
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
		deliver: DeliverChange
	): Promise<ChangeSubscription> {
		if (this.closed) throw new ChangesError('Realtime was shut down');
		await this.stream.whenReady(5_000);
		const subscriber: Subscriber = { auth, claimsJson: JSON.stringify(auth.claims), deliver };
		const resolved = await this.resolveAll(bindings, auth.role);
		let entries: Entry[] = resolved.map((binding) => ({ id: this.nextId++, subscriber, binding }));
		for (const entry of entries) this.registry.add(entry);
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
				for (const entry of entries) this.registry.remove(entry);
			}
		};
	}

	private async resolveAll(bindings: ChangeBinding[], role: string): Promise<ResolvedBinding[]> {
		const resolved: ResolvedBinding[] = [];
		try {
			for (const binding of bindings) resolved.push(await resolveBinding(this.ctx.pool, binding, role));
		} catch (error) {
			if (error instanceof SubscribeError) throw new ChangesError(error.message);
			throw new ChangesError(
				`Unable to subscribe to changes with given parameters. An exception happened so please check your connect parameters: ${(error as Error).message}`
			);
		}
		return resolved;
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
	 * Works through the stream in order. Changes are authorized concurrently (up to MAX_IN_FLIGHT
	 * round trips at once) but delivered strictly in stream order.
	 */
	private async drain(): Promise<void> {
		if (this.draining) return;
		this.draining = true;
		const inFlight: Array<Promise<Send | undefined>> = [];
		// Jobs never reject (see below); a send only throws if a listener does, and those are caught.
		const settle = async () => (await inFlight.shift()!)?.();
		try {
			while (!this.closed) {
				const item = this.queue.shift();
				if (!item) {
					if (inFlight.length === 0) break;
					await settle();
					continue;
				}
				const message = item.message;
				switch (message.tag) {
					case 'begin':
						this.commitTime = message.commitTime;
						this.xid = message.xid;
						break;
					case 'message':
						if (message.prefix !== CATALOG_MESSAGE && message.prefix !== NEW_SESSION) break;
						// Nothing in flight may store metadata read before this DDL.
						while (inFlight.length > 0) await settle();
						this.meta.clear();
						if (message.prefix === NEW_SESSION) this.types.clear();
						break;
					case 'relation':
						this.meta.delete(message.relation.oid);
						await this.types.ensure(message.relation.columns.map((c) => c.typeOid)).catch((error: Error) => {
							this.ctx.log.error(`realtime changes: could not load column types: ${error.message}`);
						});
						break;
					case 'insert':
					case 'update':
					case 'delete':
						inFlight.push(
							this.prepare(message).catch((error: Error) => {
								this.ctx.log.error(`realtime changes: dropped a change: ${error.stack ?? error}`);
								return undefined;
							})
						);
						if (inFlight.length >= MAX_IN_FLIGHT) await settle();
						break;
					default:
						break;
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

	/** Matches a change to bindings now; resolves with what sends it once authorized. */
	private async prepare(
		message: Extract<PgoutputMessage, { tag: 'insert' | 'update' | 'delete' }>
	): Promise<Send | undefined> {
		const { relation } = message;
		if (isMessagesTable(relation)) {
			return message.tag === 'insert' ? () => this.relayMessage(relation, message.newTuple) : undefined;
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
		const msg: BroadcastMessage = {
			topic: row.get('topic') ?? '',
			event: row.get('event') ?? '',
			payload,
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

	private async route(
		relation: Relation,
		type: ChangeType,
		newTuple: TupleValue[] | null,
		oldTuple: TupleValue[] | null,
		oldIsKeyOnly: boolean
	): Promise<Send | undefined> {
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
		const deliveries = await this.authorize(change, entries, filterRow);
		return () => {
			for (const [subscriber, events] of deliveries) {
				for (const [data, ids] of events) {
					try {
						subscriber.deliver(ids, data);
					} catch (error) {
						this.ctx.log.error(`realtime changes: delivery failed: ${(error as Error).message}`);
					}
				}
			}
			this.ctx.log.debug(
				`realtime changes: ${type} ${relation.schema}.${relation.table} to ${deliveries.size} subscriber(s), ` +
					`${Date.now() - commitTime.getTime()} ms after commit`
			);
		};
	}

	/** Metadata for the table covering these roles, from the cache or one round trip. */
	private async tableMeta(oid: number, roles: string[]): Promise<TableMeta | null> {
		const loading = this.metaLoads.get(oid);
		if (loading) {
			// Another change of this table is fetching it: share that round trip.
			await loading.catch(() => undefined);
			if (this.metaLoads.get(oid) !== loading) return this.tableMeta(oid, roles);
		}
		const cached = this.meta.get(oid);
		if (cached === null) return null;
		const fresh = cached && Date.now() - cached.fetchedAt < META_TTL_MS;
		if (fresh && roles.every((role) => role in cached.columns)) return cached;
		const wanted = fresh ? [...new Set([...Object.keys(cached.columns), ...roles])] : roles;
		const load = (async () => {
			const { rows } = await this.ctx.pool.query<{ meta: string | null }>(
				'select realtime.change_metadata($1, $2)::text as meta',
				[oid, wanted]
			);
			const text = rows[0]?.meta;
			const meta = text
				? { ...(JSON.parse(text) as Omit<TableMeta, 'fetchedAt'>), fetchedAt: Date.now() }
				: null;
			this.meta.set(oid, meta);
			return meta;
		})();
		this.metaLoads.set(oid, load);
		try {
			return await load;
		} finally {
			if (this.metaLoads.get(oid) === load) this.metaLoads.delete(oid);
		}
	}

	/** Decides, for every candidate binding, what (if anything) it receives. */
	private async authorize(
		change: DecodedChange,
		entries: Entry[],
		row: Map<string, string | null>
	): Promise<Deliveries> {
		const { relation, type } = change;
		const out: Deliveries = new Map();
		const meta = await this.tableMeta(relation.oid, [...new Set(entries.map((e) => e.subscriber.auth.role))]);
		if (!meta) return out; // table dropped meanwhile

		const pk = meta.pk.map((c) => c.name);
		const mayReadKey = (role: string) => pk.every((c) => meta.columns[role]?.includes(c));
		// RLS decides per subscriber: one round trip checks every distinct (role, claims).
		const visibility = new Map<string, boolean | null>();
		if (meta.rls && type !== 'DELETE' && pk.length > 0) {
			const roles: string[] = [];
			const claims: string[] = [];
			for (const { subscriber } of entries) {
				const { role } = subscriber.auth;
				const key = `${role}\u0000${subscriber.claimsJson}`;
				if (visibility.has(key) || meta.bypass[role] || !mayReadKey(role)) continue;
				visibility.set(key, false);
				roles.push(role);
				claims.push(subscriber.claimsJson);
			}
			if (roles.length > 0) {
				const { rows } = await this.ctx.pool.query<{ visible: Array<boolean | null> }>(
					'select realtime.check_visibility($1, $2, $3, $4, $5, $6, $7) as visible',
					[
						change.xid,
						relation.oid,
						pk,
						meta.pk.map((c) => c.type),
						pk.map((c) => row.get(c) ?? null),
						roles,
						claims
					]
				);
				const visible = rows[0]?.visible ?? [];
				[...visibility.keys()].forEach((key, i) => visibility.set(key, visible[i] ?? false));
			}
		}

		const primaryKey = new Set(pk);
		const perRole = new Map<string, ChangeData>();
		const errors = new Map<string, ChangeData>();
		const errorFor = (text: string) => {
			let data = errors.get(text);
			if (!data) errors.set(text, (data = errorData(change, text)));
			return data;
		};
		for (const entry of entries) {
			const { role } = entry.subscriber.auth;
			let data: ChangeData | undefined;
			if (type !== 'DELETE' && pk.length === 0) data = errorFor(ERROR_NO_PRIMARY_KEY);
			else if (type !== 'DELETE' && !mayReadKey(role)) data = errorFor(ERROR_UNAUTHORIZED);
			else {
				const visible = visibility.get(`${role}\u0000${entry.subscriber.claimsJson}`);
				if (visible === false) continue;
				if (visible === null) data = errorFor(ERROR_RLS_FAILED);
				// One payload per role and column selection, shared by every subscriber it fits.
				const shape = `${role}\u0000${entry.binding.select?.join(',') ?? ''}`;
				data ??= perRole.get(shape);
				if (!data) {
					data = buildData(change, this.types, {
						selectable: meta.columns[role] ?? [],
						columnTypes: meta.types,
						primaryKey,
						select: entry.binding.select,
						rlsEnabled: meta.rls,
						maxRecordBytes: this.ctx.config.realtime.maxChangePayloadBytes
					});
					perRole.set(shape, data);
				}
			}
			// A subscriber gets one event per distinct payload, naming all its bindings it answers.
			let forSubscriber = out.get(entry.subscriber);
			if (!forSubscriber) out.set(entry.subscriber, (forSubscriber = new Map()));
			const ids = forSubscriber.get(data);
			if (!ids) forSubscriber.set(data, [entry.id]);
			else if (!ids.includes(entry.id)) ids.push(entry.id);
		}
		return out;
	}
}

export async function createChangesEngine(ctx: StackContext): Promise<ChangesEngine> {
	const engine = new Engine(ctx);
	await engine.start();
	return engine;
}
