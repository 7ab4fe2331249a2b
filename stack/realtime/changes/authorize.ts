/**
 * Who receives a change, and what. Table metadata (RLS on?, primary key, column types, each
 * role's selectable columns) comes from realtime.change_metadata and is cached until the catalog
 * changes; RLS is checked for all candidates of a change in one round trip
 * (realtime.check_visibility), as Supabase's realtime.apply_rls does per subscriber.
 */
import type { StackContext } from '../../context.ts';
import {
	buildData,
	errorData,
	ERROR_NO_PRIMARY_KEY,
	ERROR_RLS_FAILED,
	ERROR_UNAUTHORIZED,
	type ChangeData,
	type DecodedChange
} from './payload.ts';
import type { Entry, Subscriber } from './registry.ts';
import type { TypeCache } from './types.ts';

/** realtime.change_metadata: what shaping a change for each role needs to know about a table. */
interface TableMeta {
	rls: boolean;
	pk: Array<{ name: string; type: string }>;
	types: Record<string, string>;
	columns: Record<string, string[]>;
	bypass: Record<string, boolean>;
	fetchedAt: number;
}

/** A backstop for catalog changes no event trigger sees (ALTER ROLE, role membership). */
const META_TTL_MS = 10_000;

/** Per subscriber, each distinct payload with the ids of the bindings it answers. */
export type Deliveries = Map<Subscriber, Map<ChangeData, number[]>>;

export class Authorizer {
	/** Table metadata per relation OID; dropped on Relation messages, DDL and reconnects. */
	private readonly meta = new Map<number, TableMeta | null>();
	private readonly metaLoads = new Map<number, Promise<TableMeta | null>>();

	constructor(
		private readonly ctx: StackContext,
		private readonly types: TypeCache
	) {}

	/** The table's definition changed (a Relation message). */
	forget(oid: number): void {
		this.meta.delete(oid);
	}

	/** Some DDL happened, or the stream restarted. */
	forgetAll(): void {
		this.meta.clear();
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
	async decide(
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
