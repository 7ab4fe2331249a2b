// Runs a request's statement in one transaction as the request's role, with its claims and
// request settings, as PostgREST does; decides commit or rollback.

import type pg from 'pg';
import { isPgError, RestError, singularity } from './errors.ts';
import type { ApiRequest } from './request.ts';
import type { Outcome } from './respond.ts';
import type { HandlerDeps, Statement } from './statements.ts';

/** Role, claims and request settings, then the role's own settings (statement_timeout, ...). */
const SETUP_SQL =
	"select set_config('role', $1, true), set_config('request.jwt.claims', $2, true), set_config('request.method', $3, true), " +
	"set_config('request.path', $4, true), set_config('request.headers', $5, true), set_config('search_path', $6, true), " +
	'(select count(set_config(k, v, true)) from unnest($7::text[], $8::text[]) as s(k, v))';

export async function runStatement(deps: HandlerDeps, req: ApiRequest, stmt: Statement): Promise<Outcome> {
	const { role, claims } = req.identity;
	const settings = deps.state.cache.roleSettings.get(role) ?? [];
	let client: pg.PoolClient;
	try {
		client = await deps.ctx.pool.connect();
	} catch (error) {
		throw connectionLost(deps, error);
	}
	let broken: Error | undefined;
	try {
		await client.query(stmt.readOnly ? 'BEGIN READ ONLY' : 'BEGIN');
		await client.query(SETUP_SQL, [
			role,
			JSON.stringify(claims),
			req.method,
			req.path,
			req.headers,
			`"${req.schema.replaceAll('"', '""')}", extensions`,
			settings.map(([k]) => k),
			settings.map(([, v]) => v)
		]);
		const result = await client.query<{ total: string | null; page: string; body: string | null }>(
			stmt.sql,
			stmt.params
		);
		const row = result.rows[0];
		const outcome: Outcome = {
			total: row?.total === null || row?.total === undefined ? null : Number(row.total),
			page: Number(row?.page ?? 0),
			body: row?.body ?? null
		};
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
		// Supabase runs PostgREST with db-tx-end=commit: `Prefer: tx=rollback` is not honoured.
		await client.query('COMMIT');
		return outcome;
	} catch (error) {
		if (error instanceof RestError) throw error;
		if (!isPgError(error)) {
			broken = error as Error;
			throw connectionLost(deps, error);
		}
		await client.query('ROLLBACK').catch(() => undefined);
		throw error;
	} finally {
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
