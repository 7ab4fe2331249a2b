// Runs a request's statement in one transaction as the request's role, with its claims and
// request settings, as PostgREST does; decides commit or rollback.
//
// One round trip: REST's own pool runs its connections in pipeline mode, so BEGIN, the settings,
// the statement and COMMIT are written together and answered together. Only a statement whose
// result decides between commit and rollback (a single object, max-affected) waits for its
// result before a second round trip ends the transaction. Statements are prepared once per
// connection (named by their text), as PostgREST's prepared statements are.

import pg from 'pg';
import type { StackContext } from '../context.ts';
import { createPool } from '../db/pool.ts';
import { isPgError, RestError, singularity } from './errors.ts';
import { Lru } from './lru.ts';
import type { ApiRequest } from './request.ts';
import type { Outcome } from './respond.ts';
import type { HandlerDeps, Statement } from './statements.ts';

/** Role, claims and request settings, then the role's own settings (statement_timeout, ...). */
const SETUP_SQL =
	"select set_config('role', $1, true), set_config('request.jwt.claims', $2, true), set_config('request.method', $3, true), " +
	"set_config('request.path', $4, true), set_config('request.headers', $5, true), set_config('search_path', $6, true), " +
	'(select count(set_config(k, v, true)) from unnest($7::text[], $8::text[]) as s(k, v))';

/** The pool REST runs requests on (the shared pool serves everything else). */
export function createRestPool(ctx: StackContext): pg.Pool {
	const pool = createPool({
		connectionString: ctx.config.dbUrl,
		max: ctx.config.rest.poolSize,
		pipeline: true
	});
	pool.on('error', (error) => ctx.log.warn(`rest: idle database connection lost: ${error.message}`));
	return pool;
}

/** Statement names by SQL text: a name is bound to one text for the life of the process. */
const names = new Lru<string, string>(2000);
let nextName = 0;
/** Statements prepared on each connection; a connection past the cap is replaced, freeing them. */
const prepared = new WeakMap<pg.PoolClient, Set<string>>();
const PREPARED_PER_CONNECTION = 500;

function named(client: pg.PoolClient, text: string, values: unknown[]): pg.QueryConfig {
	let name = names.get(text);
	if (name === undefined) names.set(text, (name = `pgrst_${nextName++}`));
	let set = prepared.get(client);
	if (!set) prepared.set(client, (set = new Set()));
	set.add(name);
	return { name, text, values };
}

type Row = {
	total: string | null;
	page: string;
	body: string | null;
	inserted?: string | null;
	csv?: string | null;
};
type PlanRow = { 'QUERY PLAN': { Plan: { 'Plan Rows': number } }[] };

/** db-tx-end with `Prefer: tx`: whether this request's transaction is rolled back. */
function rollsBack(deps: HandlerDeps, req: ApiRequest): boolean {
	if (req.prefer.tx !== undefined) return req.prefer.tx === 'rollback';
	return deps.ctx.config.rest.txEnd.startsWith('rollback');
}

export async function runStatement(deps: HandlerDeps, req: ApiRequest, stmt: Statement): Promise<Outcome> {
	const { role, claimsJson } = req.identity;
	const settings = deps.state.cache.roleSettings.get(role) ?? [];
	let client: pg.PoolClient;
	try {
		client = await deps.pool.connect();
	} catch (error) {
		throw connectionLost(deps, error);
	}
	let broken: Error | boolean | undefined;
	// The result decides the transaction's end: wait for it before COMMIT or ROLLBACK.
	const decides = stmt.singular || stmt.maxAffected !== undefined || stmt.exactlyOne === true;
	// Rolled back (Prefer: tx=rollback): deferred constraints are still checked, as PostgREST does.
	const end = rollsBack(deps, req) ? ['SET CONSTRAINTS ALL IMMEDIATE', 'ROLLBACK'] : ['COMMIT'];
	try {
		// The four messages leave in one write (each query would otherwise flush on its own).
		const stream = client.connection.stream;
		stream.cork();
		const sent = [
			client.query(stmt.readOnly ? 'BEGIN READ ONLY' : 'BEGIN'),
			client.query(
				named(client, SETUP_SQL, [
					role,
					claimsJson,
					req.method,
					req.path,
					req.headers,
					`"${req.schema.replaceAll('"', '""')}", extensions`,
					settings.map(([k]) => k),
					settings.map(([, v]) => v)
				])
			),
			client.query<Row>(named(client, stmt.sql, stmt.params)),
			...(stmt.planned ? [client.query<PlanRow>(named(client, stmt.planned.sql, stmt.planned.params))] : []),
			// After an error the transaction is aborted and COMMIT answers ROLLBACK.
			...(decides ? [] : end.map((q) => client.query(q)))
		];
		stream.uncork();
		const settled = await Promise.allSettled(sent);
		const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
		if (failed) {
			if (decides) await client.query('ROLLBACK').catch(() => undefined);
			throw failed.reason;
		}
		const result = (settled[2] as PromiseFulfilledResult<pg.QueryResult<Row>>).value;
		const row = result.rows[0];
		const outcome: Outcome = {
			total: row?.total === null || row?.total === undefined ? null : Number(row.total),
			page: Number(row?.page ?? 0),
			body: row?.body ?? null,
			inserted: row?.inserted === null || row?.inserted === undefined ? undefined : Number(row.inserted),
			csv: row?.csv ?? undefined
		};
		if (stmt.planned) {
			const plan = (settled[3] as PromiseFulfilledResult<pg.QueryResult<PlanRow>>).value.rows[0];
			const estimate = Math.round(plan['QUERY PLAN'][0].Plan['Plan Rows']);
			const over = stmt.planned.estimatedOver;
			// estimated: the exact count, unless it passes max-rows (then the larger of both).
			if (over === undefined) outcome.total = estimate;
			else if (outcome.total !== null && outcome.total > over)
				outcome.total = Math.max(outcome.total, estimate);
		}
		if (!decides) return outcome;
		if (stmt.singular && outcome.page !== 1) {
			await client.query('ROLLBACK');
			throw singularity(outcome.page);
		}
		if (stmt.maxAffected !== undefined && (outcome.total ?? 0) > stmt.maxAffected) {
			await client.query('ROLLBACK');
			throw new RestError(
				400,
				'PGRST124',
				'Query result exceeds max-affected preference constraint',
				`The query affects ${outcome.total} rows`
			);
		}
		if (stmt.exactlyOne && outcome.total !== 1) {
			await client.query('ROLLBACK');
			throw new RestError(400, 'PGRST115', 'Payload values do not match URL in primary key column(s)');
		}
		for (const q of end) await client.query(q);
		return outcome;
	} catch (error) {
		if (error instanceof RestError) throw error;
		if (!isPgError(error)) {
			broken = error as Error;
			throw connectionLost(deps, error);
		}
		throw error;
	} finally {
		if (!broken && (prepared.get(client)?.size ?? 0) > PREPARED_PER_CONNECTION) broken = true;
		client.release(broken);
	}
}

/** The database went away mid-request (restart, `db:reset`): PostgREST answers 503. */
function connectionLost(deps: HandlerDeps, error: unknown): RestError {
	deps.ctx.log.warn(`rest: database connection error: ${(error as Error).message}`);
	return new RestError(
		503,
		'PGRST001',
		'Database client error. Retrying the connection.',
		(error as Error).message
	);
}
