/**
 * Who receives a change, and what. Table metadata (RLS on?, primary key, column types, each
 * role's selectable columns) comes from realtime.change_metadata and is cached until the catalog
 * changes; RLS is checked for all candidates of a batch of changes in one round trip
 * (realtime.check_visibility), as Supabase's realtime.apply_rls does per subscriber.
 */
import os from 'node:os';
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
import { matchesDeleteFilters } from './filters.ts';
import type { Entry, Subscriber } from './registry.ts';
import type { TypeCache } from './type-cache.ts';
import { tableKey } from './validate.ts';

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

/** A change and the bindings whose event and filters accept it. */
export interface Candidates {
	change: DecodedChange;
	entries: Entry[];
	/** Canonical text of the columns the filters saw (the new row; the old one for DELETE). */
	row: Map<string, string | null>;
}

/** A change on its way through decideAll. */
interface Plan extends Candidates {
	meta: TableMeta;
	pk: string[];
	mayReadKey: (role: string) => boolean;
	/** Per distinct role and claims RLS decides: visible, hidden (false) or the policy raised (null). */
	visibility: Map<string, boolean | null>;
	/** What RLS is asked, by the same keys. */
	checks: Map<string, { role: string; claims: string }>;
}

/**
 * Distinct subscribers' checks of one batch are split into at most this many parts, run at the same
 * time on separate connections, when each part gets at least MIN_CHECKS_PER_PART candidates: a
 * check costs tens of microseconds in PostgreSQL, so 500 subscribers are milliseconds on one core.
 */
const PARALLEL_CHECKS = Math.min(4, Math.max(1, os.availableParallelism()));
const MIN_CHECKS_PER_PART = 100;

const totalChecks = (plans: Plan[]) => plans.reduce((sum, plan) => sum + plan.checks.size, 0);

const visibilityKey = (subscriber: Subscriber) => `${subscriber.auth.role}\u0000${subscriber.claimsJson}`;

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

	/**
	 * Decides, for every candidate binding of each change, what (if anything) it receives. The RLS
	 * checks of the whole batch go to the database in one round trip; a change whose decision
	 * failed gets its Error instead (the others still go through).
	 */
	async decideAll(batch: Candidates[]): Promise<Array<Deliveries | Error>> {
		const plans = await Promise.all(
			batch.map((candidates) => this.plan(candidates).catch((error: Error) => error))
		);
		const checked = plans.filter((p): p is Plan => p !== null && !(p instanceof Error) && p.checks.size > 0);
		const failed = await this.checkVisibility(checked);
		return plans.map((plan) => {
			if (plan instanceof Error) return plan;
			if (plan === null) return new Map(); // table dropped meanwhile
			const failure = failed.get(plan);
			if (failure) return failure;
			try {
				return this.deliveries(plan);
			} catch (error) {
				return error as Error;
			}
		});
	}

	/** Table metadata and the distinct (role, claims) of the candidates that RLS must decide. */
	private async plan(candidates: Candidates): Promise<Plan | null> {
		const { change, entries } = candidates;
		const meta = await this.tableMeta(change.relation.oid, [
			...new Set(entries.map((e) => e.subscriber.auth.role))
		]);
		if (!meta) return null;
		const pk = meta.pk.map((c) => c.name);
		const mayReadKey = (role: string) => pk.every((c) => meta.columns[role]?.includes(c));
		const plan: Plan = { ...candidates, meta, pk, mayReadKey, visibility: new Map(), checks: new Map() };
		if (change.type === 'DELETE') {
			// A delete is not RLS-checked: with RLS on, only the primary key may discriminate (and is
			// all old_record carries), so a filter on another column cannot probe the deleted row.
			const key = tableKey(change.relation.schema, change.relation.table);
			const keyColumns = meta.rls ? new Set(pk) : null;
			plan.entries = entries.filter((e) =>
				matchesDeleteFilters(e.binding.filtersByTable.get(key) ?? [], candidates.row, keyColumns)
			);
		}
		if (meta.rls && change.type !== 'DELETE' && pk.length > 0) {
			for (const { subscriber } of entries) {
				const { role } = subscriber.auth;
				const key = visibilityKey(subscriber);
				if (plan.checks.has(key) || meta.bypass[role] || !mayReadKey(role)) continue;
				plan.visibility.set(key, false);
				plan.checks.set(key, { role, claims: subscriber.claimsJson });
			}
		}
		return plan;
	}

	/**
	 * Runs the plans' checks in one round trip (realtime.check_visibility) and stores the answers in
	 * their `visibility`. If that fails for a batch, each plan is retried alone so one bad change does
	 * not take the others with it; returns the plans that still failed.
	 */
	private async checkVisibility(plans: Plan[]): Promise<Map<Plan, Error>> {
		const failed = new Map<Plan, Error>();
		if (plans.length === 0) return failed;
		// Each distinct role and claims goes once; candidates point at it (claims are large). Many
		// distinct subscribers are split into parts checked at the same time on separate connections
		// (one PostgreSQL backend, hence one core, each).
		const distinct = new Map<string, { part: number; index: number }>();
		const parts: Array<{
			roles: string[];
			claims: string[];
			changes: number[];
			candidates: number[];
			answers: Array<[Plan, string]>;
		}> = [];
		const partCount = Math.min(PARALLEL_CHECKS, Math.ceil(totalChecks(plans) / MIN_CHECKS_PER_PART));
		for (let i = 0; i < Math.max(1, partCount); i++)
			parts.push({ roles: [], claims: [], changes: [], candidates: [], answers: [] });
		plans.forEach((plan, n) => {
			for (const [key, check] of plan.checks) {
				let subscriber = distinct.get(key);
				if (subscriber === undefined) {
					const part = distinct.size % parts.length;
					subscriber = { part, index: parts[part].roles.length + 1 };
					distinct.set(key, subscriber);
					parts[part].roles.push(check.role);
					parts[part].claims.push(check.claims);
				}
				const part = parts[subscriber.part];
				part.changes.push(n + 1);
				part.candidates.push(subscriber.index);
				part.answers.push([plan, key]);
			}
		});
		const xids = plans.map((p) => p.change.xid);
		const oids = plans.map((p) => p.change.relation.oid);
		const keys = JSON.stringify(
			plans.map((p) => p.meta.pk.map((c) => [c.name, c.type, p.row.get(c.name) ?? null]))
		);
		try {
			const answered = await Promise.all(
				parts
					.filter((part) => part.roles.length > 0)
					.map(async (part) => {
						const { rows } = await this.ctx.pool.query<{ visible: Array<boolean | null> }>(
							'select realtime.check_visibility($1, $2, $3, $4, $5, $6, $7) as visible',
							[xids, oids, keys, part.roles, part.claims, part.changes, part.candidates]
						);
						return { part, visible: rows[0]?.visible ?? [] };
					})
			);
			for (const { part, visible } of answered) {
				// null: the policy raised for this subscriber (Error 500); absent: not visible.
				part.answers.forEach(([plan, key], i) =>
					plan.visibility.set(key, visible[i] === undefined ? false : visible[i])
				);
			}
		} catch (error) {
			if (plans.length === 1) failed.set(plans[0], error as Error);
			else {
				for (const plan of plans) {
					for (const [p, e] of await this.checkVisibility([plan])) failed.set(p, e);
				}
			}
		}
		return failed;
	}

	/** What each candidate binding receives, once RLS has answered. */
	private deliveries(plan: Plan): Deliveries {
		const { change, entries, meta, pk, mayReadKey, visibility } = plan;
		const { type } = change;
		const out: Deliveries = new Map();
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
				const visible = visibility.get(visibilityKey(entry.subscriber));
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
