// One REST request: identify the role, pick the schema and media type, plan, run the single
// statement inside a transaction as that role, and answer like PostgREST.

import type { Context } from 'hono';
import type pg from 'pg';
import type { GatewayEnv } from '../gateway/env.ts';
import { identify, type RequestIdentity } from './auth.ts';
import { fromPgError, invalidBody, isPgError, RestError, singularity, unacceptableSchema } from './errors.ts';
import { openApiSpec } from './openapi.ts';
import { parsePrefer } from './parse.ts';
import {
	errorResponse,
	JSON_TYPE,
	negotiate,
	respondRead,
	respondWrite,
	wantsStrippedNulls,
	type Outcome
} from './respond.ts';
import {
	isRecord,
	relationFor,
	rpcStatement,
	tableStatement,
	type HandlerDeps,
	type Statement
} from './statements.ts';

export type { HandlerDeps } from './statements.ts';

function pickSchema(c: Context<GatewayEnv>, schemas: string[], write: boolean): string {
	const requested = c.req.header(write ? 'content-profile' : 'accept-profile');
	if (requested === undefined || requested === '') return schemas[0];
	if (!schemas.includes(requested)) throw unacceptableSchema(requested, schemas);
	return requested;
}

/** The payload: JSON, or a urlencoded form (one object of strings), as PostgREST accepts. */
async function readPayload(c: Context<GatewayEnv>, allowEmpty: boolean): Promise<unknown> {
	const type = (c.req.header('content-type') ?? 'application/json').split(';')[0].trim().toLowerCase();
	const text = await c.req.text();
	if (type === 'application/x-www-form-urlencoded') return Object.fromEntries(new URLSearchParams(text));
	if (type !== 'application/json' && type !== '' && !type.endsWith('+json')) {
		throw new RestError(415, 'PGRST107', `None of these media types are available: ${type}`);
	}
	if (text.trim() === '' && allowEmpty) return {};
	try {
		return JSON.parse(text) as unknown;
	} catch {
		throw invalidBody();
	}
}

// ---------------------------------------------------------------- running

/** Role, claims and request settings, then the role's own settings (statement_timeout, ...). */
const SETUP_SQL =
	"select set_config('role', $1, true), set_config('request.jwt.claims', $2, true), set_config('request.method', $3, true), " +
	"set_config('request.path', $4, true), set_config('request.headers', $5, true), set_config('search_path', $6, true), " +
	'(select count(set_config(k, v, true)) from unnest($7::text[], $8::text[]) as s(k, v))';

async function run(
	deps: HandlerDeps,
	c: Context<GatewayEnv>,
	who: RequestIdentity,
	schema: string,
	stmt: Statement
): Promise<Outcome> {
	const settings = deps.state.cache.roleSettings.get(who.role) ?? [];
	let client: pg.PoolClient;
	try {
		client = await deps.ctx.pool.connect();
	} catch (error) {
		throw connectionLost(deps, error);
	}
	let broken: Error | undefined;
	try {
		await client.query(stmt.readOnly ? 'BEGIN READ ONLY' : 'BEGIN');
		const headers: Record<string, string> = {};
		c.req.raw.headers.forEach((value, key) => (headers[key] = value));
		await client.query(SETUP_SQL, [
			who.role,
			JSON.stringify(who.claims),
			c.req.method,
			new URL(c.req.url).pathname.replace(/^\/rest\/v1(?=\/)/, ''),
			JSON.stringify(headers),
			`"${schema.replaceAll('"', '""')}", extensions`,
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

/** What the route matched: a table or view, a function, or nothing PostgREST serves. */
export interface Target {
	relation?: string;
	rpc?: string;
}

export async function handleRequest(
	c: Context<GatewayEnv>,
	deps: HandlerDeps,
	target: Target
): Promise<Response> {
	const { ctx } = deps;
	let who: RequestIdentity | undefined;
	try {
		const method = c.req.method;
		if (target.relation === undefined && target.rpc === undefined) {
			throw new RestError(404, 'PGRST125', 'Invalid path specified in request URL');
		}
		who = await identify(c.req.header('authorization'), c.get('apiKeyRole'), ctx.config.jwtSecret, ctx.pool);
		const write = method !== 'GET' && method !== 'HEAD';
		const schema = pickSchema(c, ctx.config.rest.schemas, write);
		const media = negotiate(c.req.header('accept'));
		const stripNulls = wantsStrippedNulls(c.req.header('accept'));
		const prefs = parsePrefer(c.req.header('prefer'));
		if (prefs.handling === 'strict' && prefs.invalid.length > 0) {
			throw new RestError(
				400,
				'PGRST122',
				'Invalid preferences given with handling=strict',
				`Invalid preferences: ${prefs.invalid.join(', ')}`
			);
		}
		if (target.rpc !== undefined) {
			const body = method === 'POST' ? await readPayload(c, true) : undefined;
			const stmt = rpcStatement(c, deps, schema, target.rpc, prefs, media, body, stripNulls);
			const outcome = await run(deps, c, who, schema, stmt);
			if (stmt.fn.returns.kind === 'void') return c.body(null, 204);
			return respondRead(c, outcome, stmt.singular, media, prefs, method === 'HEAD');
		}

		const rel = relationFor(deps.state.cache, schema, target.relation ?? '');
		const body = method === 'POST' || method === 'PATCH' ? await readPayload(c, false) : undefined;
		// Nothing to write: an empty PATCH object or an empty batch.
		const emptyPatch = method === 'PATCH' && isRecord(body) && Object.keys(body).length === 0;
		if (emptyPatch || (method === 'POST' && Array.isArray(body) && body.length === 0)) {
			const status = method === 'POST' ? 201 : prefs.return === 'representation' ? 200 : 204;
			if (prefs.return !== 'representation') return c.body(null, status as 201);
			return c.body('[]', status as 200, { 'Content-Type': JSON_TYPE });
		}
		const stmt = tableStatement(c, deps, rel, prefs, media, body, stripNulls);
		const outcome = await run(deps, c, who, schema, stmt);
		if (!write) return respondRead(c, outcome, stmt.singular, media, prefs, method === 'HEAD');
		return respondWrite(c, outcome, stmt.singular, media, prefs, method);
	} catch (error) {
		if (error instanceof RestError) return errorResponse(c, error);
		if (isPgError(error)) return errorResponse(c, fromPgError(error, who?.authenticated ?? false));
		ctx.log.error(`rest: unexpected error on ${c.req.method} ${c.req.path}:`, error);
		return errorResponse(c, new RestError(500, 'PGRSTX00', 'Internal server error'));
	}
}

/** `GET /rest/v1/`: the OpenAPI description of the schema, as far as the caller's role reaches. */
export async function handleRoot(c: Context<GatewayEnv>, deps: HandlerDeps): Promise<Response> {
	const { ctx } = deps;
	try {
		if (c.req.method !== 'GET' && c.req.method !== 'HEAD') {
			throw new RestError(405, 'PGRST117', `Unsupported HTTP method: ${c.req.method}`);
		}
		const who = await identify(
			c.req.header('authorization'),
			c.get('apiKeyRole'),
			ctx.config.jwtSecret,
			ctx.pool
		);
		const schema = pickSchema(c, ctx.config.rest.schemas, false);
		const spec = await openApiSpec(ctx.pool, deps.state.cache, schema, who.role, c.req.header('host') ?? '');
		return c.body(JSON.stringify(spec), 200, { 'Content-Type': 'application/openapi+json; charset=utf-8' });
	} catch (error) {
		if (error instanceof RestError) return errorResponse(c, error);
		ctx.log.error('rest: could not describe the schema:', error);
		return errorResponse(c, new RestError(500, 'PGRSTX00', 'Internal server error'));
	}
}
