// One REST request: identify the role, pick the schema and media type, plan, run the single
// statement inside a transaction as that role, and answer like PostgREST.

import type { Context } from 'hono';
import type pg from 'pg';
import type { StackContext } from '../context.ts';
import type { GatewayEnv } from '../gateway/env.ts';
import type { Preferences, QueryParams } from './ast.ts';
import { identify, type RequestIdentity } from './auth.ts';
import { columnNotFound, fromPgError, invalidBody, isPgError, RestError, singularity, tableNotFound, unacceptableSchema, undefinedColumn } from './errors.ts';
import { parsePrefer, parseQuery } from './parse.ts';
import { Planner, type LevelPlan } from './plan.ts';
import type { Column, FunctionDef, Relation, SchemaCache } from './schema.ts';
import { deleteSql, functionFrom, insertSql, qualified, readSql, scalarCallSql, SqlBuilder, updateSql } from './sql.ts';

export interface HandlerDeps {
	ctx: StackContext;
	state: { cache: SchemaCache; version: number };
}

type Media = 'json' | 'object' | 'csv';

interface Outcome {
	total: number | null;
	page: number;
	body: string | null;
}

interface Statement {
	sql: string;
	params: unknown[];
	readOnly: boolean;
	/** Rolls back and answers 406 unless exactly one row (Accept: vnd.pgrst.object). */
	singular: boolean;
}

const JSON_TYPE = 'application/json; charset=utf-8';
const OBJECT_TYPE = 'application/vnd.pgrst.object+json; charset=utf-8';
const READ_CACHE_LIMIT = 500;
const readCache = new Map<string, { version: number; sql: string; params: unknown[] }>();

function negotiate(accept: string | undefined): Media {
	if (!accept) return 'json';
	const types = accept.split(',').map((t) => t.split(';')[0].trim().toLowerCase());
	for (const type of types) {
		if (type === 'application/vnd.pgrst.object+json' || type === 'application/vnd.pgrst.object') return 'object';
		if (type === 'application/json' || type === 'application/vnd.pgrst.array+json' || type === '*/*' || type === 'application/*') return 'json';
		if (type === 'text/csv') return 'csv';
	}
	throw new RestError(406, 'PGRST107', `None of these media types are available: ${types.join(', ')}`);
}

function pickSchema(c: Context<GatewayEnv>, schemas: string[], write: boolean): string {
	const requested = c.req.header(write ? 'content-profile' : 'accept-profile');
	if (requested === undefined || requested === '') return schemas[0];
	if (!schemas.includes(requested)) throw unacceptableSchema(requested, schemas);
	return requested;
}

async function readJson(c: Context<GatewayEnv>, allowEmpty: boolean): Promise<unknown> {
	const type = (c.req.header('content-type') ?? 'application/json').split(';')[0].trim().toLowerCase();
	if (type !== 'application/json' && type !== '' && !type.endsWith('+json')) {
		throw new RestError(415, 'PGRST107', `None of these media types are available: ${type}`);
	}
	const text = await c.req.text();
	if (text.trim() === '' && allowEmpty) return {};
	try {
		return JSON.parse(text) as unknown;
	} catch {
		throw invalidBody();
	}
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The columns a payload writes: `columns=` when given, else the union of its keys. */
function payloadColumns(rel: Relation, query: QueryParams, rows: Record<string, unknown>[]): Column[] {
	const names = query.columns ?? [...new Set(rows.flatMap((r) => Object.keys(r)))];
	return names.map((name) => {
		const column = rel.columns.get(name);
		if (!column) throw columnNotFound(rel.name, name);
		return column;
	});
}

function relationFor(cache: SchemaCache, schema: string, name: string): Relation {
	const rel = cache.relation(schema, name);
	if (!rel) throw tableNotFound(schema, name, cache.suggestTable(schema, name));
	return rel;
}

// ---------------------------------------------------------------- statements

function tableStatement(
	c: Context<GatewayEnv>,
	deps: HandlerDeps,
	rel: Relation,
	prefs: Preferences,
	media: Media,
	body: unknown
): Statement {
	const method = c.req.method;
	const url = new URL(c.req.url);
	const { cache, version } = deps.state;
	const singular = media === 'object';
	if (method === 'GET' || method === 'HEAD') {
		const key = `${version}|${rel.schema}.${rel.name}|${url.search}|${prefs.count ?? ''}`;
		const hit = readCache.get(key);
		if (hit) return { sql: hit.sql, params: hit.params, readOnly: true, singular };
		const query = parseQuery(url.searchParams);
		const level = new Planner(cache, query).root(rel.columns, rel.name, rel);
		const b = new SqlBuilder();
		const sql = readSql(b, level, {
			from: qualified(rel.schema, rel.name),
			count: prefs.count !== undefined,
			maxRows: deps.ctx.config.rest.maxRows
		});
		if (readCache.size >= READ_CACHE_LIMIT) readCache.delete(readCache.keys().next().value as string);
		readCache.set(key, { version, sql, params: b.params });
		return { sql, params: b.params, readOnly: true, singular };
	}
	const query = parseQuery(url.searchParams);
	const level = new Planner(cache, query).root(rel.columns, rel.name, rel);
	const representation = prefs.return === 'representation';
	const b = new SqlBuilder();
	if (method === 'POST') {
		const rows = Array.isArray(body) ? body : [body];
		if (!rows.every(isRecord)) throw invalidBody('All object keys must match');
		const columns = payloadColumns(rel, query, rows);
		let onConflict: { columns: string[]; action: 'merge' | 'ignore' } | undefined;
		if (prefs.resolution) {
			const target = query.onConflict ?? rel.primaryKey;
			for (const name of target) if (!rel.columns.has(name)) throw undefinedColumn(rel.name, name);
			if (target.length === 0) {
				throw new RestError(400, '42P10', 'there is no unique or exclusion constraint matching the ON CONFLICT specification');
			}
			onConflict = { columns: target, action: prefs.resolution === 'ignore-duplicates' ? 'ignore' : 'merge' };
		}
		const sql = insertSql(b, rel, level, { columns, rows: JSON.stringify(rows), rowCount: rows.length, onConflict, representation });
		return { sql, params: b.params, readOnly: false, singular };
	}
	if (method === 'PATCH') {
		if (!isRecord(body)) throw invalidBody();
		const columns = payloadColumns(rel, { ...query, columns: undefined }, [body]);
		const sql = updateSql(b, rel, level, columns, JSON.stringify(body), level.conditions, representation);
		return { sql, params: b.params, readOnly: false, singular };
	}
	if (method === 'DELETE') {
		return { sql: deleteSql(b, rel, level, level.conditions, representation), params: b.params, readOnly: false, singular };
	}
	throw new RestError(405, 'PGRST117', `Unsupported HTTP method: ${method}`);
}

const RESERVED_PARAMS = new Set(['select', 'order', 'limit', 'offset', 'columns', 'on_conflict', 'or', 'and', 'not.or', 'not.and', 'apikey']);

function chooseFunction(schema: string, name: string, overloads: FunctionDef[], keys: string[], strict: boolean): FunctionDef {
	const fits = overloads.filter((fn) => {
		const names = new Set(fn.args.map((a) => a.name));
		if (strict && !keys.every((k) => names.has(k))) return false;
		const given = new Set(keys.filter((k) => names.has(k)));
		return fn.args.every((a) => a.hasDefault || given.has(a.name));
	});
	if (fits.length >= 1) {
		// Prefer the overload that uses the most of the given keys.
		return fits.sort((a, b) => b.args.filter((x) => keys.includes(x.name)).length - a.args.filter((x) => keys.includes(x.name)).length)[0];
	}
	const shown = [...keys].sort();
	throw new RestError(
		404,
		'PGRST202',
		`Could not find the function ${schema}.${name}${shown.length ? `(${shown.join(', ')})` : ' without parameters'} in the schema cache`,
		`Searched for the function ${schema}.${name}${shown.length ? ` with parameter${shown.length > 1 ? 's' : ''} ${shown.join(', ')}` : ' without parameters'} or with a single unnamed json/jsonb parameter, but no matches were found in the schema cache.`,
		null
	);
}

function rpcStatement(c: Context<GatewayEnv>, deps: HandlerDeps, schema: string, name: string, prefs: Preferences, media: Media, body: unknown): Statement & { fn: FunctionDef } {
	const method = c.req.method;
	if (method !== 'GET' && method !== 'HEAD' && method !== 'POST') {
		throw new RestError(405, 'PGRST101', `Cannot use the ${method} method on RPC`);
	}
	const url = new URL(c.req.url);
	const { cache } = deps.state;
	const overloads = cache.functionsNamed(schema, name);
	let args: Record<string, unknown>;
	let fn: FunctionDef;
	if (method === 'POST') {
		if (!isRecord(body)) throw invalidBody();
		args = body;
		fn = chooseFunction(schema, name, overloads, Object.keys(args), true);
	} else {
		const candidates = [...url.searchParams.keys()].filter((k) => !RESERVED_PARAMS.has(k) && !k.includes('.'));
		fn = chooseFunction(schema, name, overloads, candidates, false);
		const argNames = new Set(fn.args.map((a) => a.name));
		args = Object.fromEntries([...url.searchParams].filter(([k]) => argNames.has(k)));
	}
	const argNames = new Set(Object.keys(args));
	const readOnly = method !== 'POST' || fn.volatility !== 'volatile';
	const b = new SqlBuilder();
	const singular = media === 'object' || (fn.returns.kind === 'composite' && !fn.returnsSet);
	if (fn.returns.kind !== 'composite') {
		return { sql: scalarCallSql(b, fn, args), params: b.params, readOnly, singular: media === 'object', fn };
	}
	const query = parseQuery(url.searchParams, method === 'POST' ? new Set() : argNames);
	const columns = new Map(fn.returns.columns.map((col) => [col.name, col]));
	const level = new Planner(cache, query).root(columns, name, fn.returns.relation);
	const from = functionFrom(b, fn, args);
	const sql = readSql(b, level, { from, count: prefs.count !== undefined, maxRows: deps.ctx.config.rest.maxRows });
	return { sql, params: b.params, readOnly, singular, fn };
}

// ---------------------------------------------------------------- running

const SETUP_SQL =
	"select set_config('role', $1, true), set_config('request.jwt.claims', $2, true), set_config('request.method', $3, true), " +
	"set_config('request.path', $4, true), set_config('request.headers', $5, true), set_config('search_path', $6, true)";

async function run(deps: HandlerDeps, c: Context<GatewayEnv>, who: RequestIdentity, schema: string, stmt: Statement, prefs: Preferences): Promise<Outcome> {
	const client: pg.PoolClient = await deps.ctx.pool.connect();
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
			`"${schema.replaceAll('"', '""')}", extensions`
		]);
		const result = await client.query<{ total: string | null; page: string; body: string | null }>(stmt.sql, stmt.params);
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
		await client.query(prefs.tx === 'rollback' ? 'ROLLBACK' : 'COMMIT');
		return outcome;
	} catch (error) {
		if (!(error instanceof RestError)) {
			if (!isPgError(error)) broken = error as Error;
			await client.query('ROLLBACK').catch(() => undefined);
		}
		throw error;
	} finally {
		client.release(broken);
	}
}

function toCsv(body: string): string {
	const rows = JSON.parse(body) as Record<string, unknown>[];
	if (rows.length === 0) return '';
	const keys = Object.keys(rows[0]);
	const cell = (v: unknown) => {
		if (v === null || v === undefined) return '';
		const s = typeof v === 'object' ? JSON.stringify(v) : String(v);
		return /[",\n\r]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
	};
	return [keys.join(','), ...rows.map((r) => keys.map((k) => cell(r[k])).join(','))].join('\n');
}

function errorResponse(c: Context<GatewayEnv>, error: RestError): Response {
	for (const [name, value] of Object.entries(error.headers)) c.header(name, value);
	return c.body(JSON.stringify(error.body), error.status as 400, { 'Content-Type': JSON_TYPE });
}

/** What the route matched: a table or view, a function, or nothing PostgREST serves. */
export interface Target {
	relation?: string;
	rpc?: string;
}

export async function handleRequest(c: Context<GatewayEnv>, deps: HandlerDeps, target: Target): Promise<Response> {
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
		const prefs = parsePrefer(c.req.header('prefer'));
		if (prefs.handling === 'strict' && prefs.invalid.length > 0) {
			throw new RestError(400, 'PGRST122', 'Invalid preferences given with handling=strict', `Invalid preferences: ${prefs.invalid.join(', ')}`);
		}
		if (target.rpc !== undefined) {
			const body = method === 'POST' ? await readJson(c, true) : undefined;
			const stmt = rpcStatement(c, deps, schema, target.rpc, prefs, media, body);
			const outcome = await run(deps, c, who, schema, stmt, prefs);
			if (stmt.fn.returns.kind === 'void') return c.body(null, 204);
			return respondRead(c, outcome, stmt.singular, media, prefs, method === 'HEAD');
		}

		const rel = relationFor(deps.state.cache, schema, target.relation ?? '');
		const body = method === 'POST' || method === 'PATCH' ? await readJson(c, false) : undefined;
		if (method === 'PATCH' && isRecord(body) && Object.keys(body).length === 0) {
			return prefs.return === 'representation' ? c.body('[]', 200, { 'Content-Type': JSON_TYPE }) : c.body(null, 204);
		}
		const stmt = tableStatement(c, deps, rel, prefs, media, body);
		const outcome = await run(deps, c, who, schema, stmt, prefs);
		if (!write) return respondRead(c, outcome, stmt.singular, media, prefs, method === 'HEAD');
		return respondWrite(c, outcome, stmt.singular, media, prefs, method);
	} catch (error) {
		if (error instanceof RestError) return errorResponse(c, error);
		if (isPgError(error)) return errorResponse(c, fromPgError(error, who?.authenticated ?? false));
		ctx.log.error(`rest: unexpected error on ${c.req.method} ${c.req.path}:`, error);
		return errorResponse(c, new RestError(500, 'PGRSTX00', 'Internal server error'));
	}
}

function respondRead(c: Context<GatewayEnv>, o: Outcome, singular: boolean, media: Media, prefs: Preferences, head: boolean): Response {
	const offset = Number(new URL(c.req.url).searchParams.get('offset') ?? 0) || 0;
	const total = prefs.count ? o.total : null;
	const totalText = total === null ? '*' : String(total);
	if (total !== null && offset > total && total >= 0 && o.page === 0 && offset > 0) {
		c.header('Content-Range', `*/${total}`);
		throw new RestError(416, 'PGRST103', 'Requested range not satisfiable', `An offset of ${offset} was requested, but there are only ${total} rows.`);
	}
	c.header('Content-Range', o.page > 0 ? `${offset}-${offset + o.page - 1}/${totalText}` : `*/${totalText}`);
	if (prefs.count) c.header('Preference-Applied', `count=${prefs.count}`);
	const status = total !== null && offset + o.page < total && !singular ? 206 : 200;
	let body = o.body ?? 'null';
	let type = JSON_TYPE;
	if (singular && body.startsWith('[')) {
		body = JSON.stringify((JSON.parse(body) as unknown[])[0] ?? null);
		type = media === 'object' ? OBJECT_TYPE : JSON_TYPE;
	} else if (media === 'csv') {
		body = toCsv(body);
		type = 'text/csv; charset=utf-8';
	}
	if (head) return c.body(null, status as 200, { 'Content-Type': type });
	return c.body(body, status as 200, { 'Content-Type': type });
}

function respondWrite(c: Context<GatewayEnv>, o: Outcome, singular: boolean, media: Media, prefs: Preferences, method: string): Response {
	const totalText = prefs.count ? String(o.total ?? o.page) : '*';
	const representation = prefs.return === 'representation';
	c.header('Content-Range', representation && o.page > 0 ? `0-${o.page - 1}/${totalText}` : `*/${totalText}`);
	const applied = [prefs.return && `return=${prefs.return}`, prefs.count && `count=${prefs.count}`, prefs.resolution && method === 'POST' && `resolution=${prefs.resolution}`].filter(Boolean);
	if (applied.length > 0) c.header('Preference-Applied', applied.join(', '));
	const status = method === 'POST' ? 201 : representation ? 200 : 204;
	if (!representation) return c.body(null, status as 201);
	let body = o.body ?? '[]';
	let type = JSON_TYPE;
	if (singular) {
		body = JSON.stringify((JSON.parse(body) as unknown[])[0] ?? null);
		type = OBJECT_TYPE;
	} else if (media === 'csv') {
		body = toCsv(body);
		type = 'text/csv; charset=utf-8';
	}
	return c.body(body, status as 200, { 'Content-Type': type });
}
