// Builds the one SQL statement a request needs: reads, inserts/upserts, updates and deletes on
// tables and views, and function calls.

import type { Context } from 'hono';
import type { StackContext } from '../context.ts';
import type { GatewayEnv } from '../gateway/env.ts';
import type { Preferences, QueryParams } from './ast.ts';
import { columnNotFound, invalidBody, RestError, tableNotFound, undefinedColumn } from './errors.ts';
import { parseQuery } from './parse.ts';
import { Planner } from './plan.ts';
import type { Media } from './respond.ts';
import type { Column, FunctionDef, Relation, SchemaCache } from './schema.ts';
import {
	deleteSql,
	functionFrom,
	insertSql,
	qualified,
	readSql,
	scalarCallSql,
	SqlBuilder,
	updateSql
} from './sql.ts';

export interface HandlerDeps {
	ctx: StackContext;
	state: RestState;
}

export interface Statement {
	sql: string;
	params: unknown[];
	readOnly: boolean;
	/** Rolls back and answers 406 unless exactly one row (Accept: vnd.pgrst.object). */
	singular: boolean;
	/** `Prefer: handling=strict, max-affected=N` on PATCH/DELETE: more rows roll back (PGRST124). */
	maxAffected?: number;
}

/** The schema cache in use, and the SQL of recent reads built from it (dropped on reload). */
export interface RestState {
	cache: SchemaCache;
	reads: Map<string, { sql: string; params: unknown[] }>;
}

const READ_CACHE_LIMIT = 500;

export const isRecord = (v: unknown): v is Record<string, unknown> =>
	typeof v === 'object' && v !== null && !Array.isArray(v);

/** The columns a payload writes: `columns=` when given, else the union of its keys. */
function payloadColumns(rel: Relation, query: QueryParams, rows: Record<string, unknown>[]): Column[] {
	const names = query.columns ?? [...new Set(rows.flatMap((r) => Object.keys(r)))];
	return names.map((name) => {
		const column = rel.columns.get(name);
		if (!column) throw columnNotFound(rel.name, name);
		return column;
	});
}

export function relationFor(cache: SchemaCache, schema: string, name: string): Relation {
	const rel = cache.relation(schema, name);
	if (!rel) throw tableNotFound(schema, name, cache.suggestTable(schema, name));
	return rel;
}

// ---------------------------------------------------------------- statements

export function tableStatement(
	c: Context<GatewayEnv>,
	deps: HandlerDeps,
	rel: Relation,
	prefs: Preferences,
	media: Media,
	body: unknown,
	stripNulls = false
): Statement {
	const method = c.req.method;
	const url = new URL(c.req.url);
	const { cache } = deps.state;
	const singular = media === 'object';
	if (method === 'GET' || method === 'HEAD') {
		const key = `${rel.schema}.${rel.name}|${url.search}|${prefs.count ?? ''}|${stripNulls}`;
		const hit = deps.state.reads.get(key);
		if (hit) return { sql: hit.sql, params: hit.params, readOnly: true, singular };
		const query = parseQuery(url.searchParams);
		const level = new Planner(cache, query).root(rel.columns, rel.name, rel);
		const b = new SqlBuilder(stripNulls);
		const sql = readSql(b, level, {
			from: qualified(rel.schema, rel.name),
			count: prefs.count !== undefined,
			maxRows: deps.ctx.config.rest.maxRows
		});
		const reads = deps.state.reads;
		if (reads.size >= READ_CACHE_LIMIT) reads.delete(reads.keys().next().value as string);
		reads.set(key, { sql, params: b.params });
		return { sql, params: b.params, readOnly: true, singular };
	}
	const query = parseQuery(url.searchParams);
	const level = new Planner(cache, query).root(rel.columns, rel.name, rel);
	const representation = prefs.return === 'representation';
	const maxAffected = prefs.handling === 'strict' ? prefs.maxAffected : undefined;
	const b = new SqlBuilder(stripNulls);
	if (method === 'POST') {
		const rows = Array.isArray(body) ? body : [body];
		if (!rows.every(isRecord)) throw invalidBody('All object keys must match');
		const columns = payloadColumns(rel, query, rows);
		let onConflict: { columns: string[]; action: 'merge' | 'ignore' } | undefined;
		if (prefs.resolution) {
			const target = query.onConflict ?? rel.primaryKey;
			for (const name of target) if (!rel.columns.has(name)) throw undefinedColumn(rel.name, name);
			if (target.length === 0) {
				throw new RestError(
					400,
					'42P10',
					'there is no unique or exclusion constraint matching the ON CONFLICT specification'
				);
			}
			onConflict = { columns: target, action: prefs.resolution === 'ignore-duplicates' ? 'ignore' : 'merge' };
		}
		const sql = insertSql(b, rel, level, {
			columns,
			rows: JSON.stringify(rows),
			onConflict,
			missingDefault: prefs.missing === 'default',
			representation
		});
		return { sql, params: b.params, readOnly: false, singular };
	}
	if (method === 'PATCH') {
		if (!isRecord(body)) throw invalidBody();
		const columns = payloadColumns(rel, { ...query, columns: undefined }, [body]);
		const sql = updateSql(b, rel, level, columns, JSON.stringify(body), level.conditions, representation);
		return { sql, params: b.params, readOnly: false, singular, maxAffected };
	}
	if (method === 'DELETE') {
		return {
			sql: deleteSql(b, rel, level, level.conditions, representation),
			params: b.params,
			readOnly: false,
			singular,
			maxAffected
		};
	}
	throw new RestError(405, 'PGRST117', `Unsupported HTTP method: ${method}`);
}

const RESERVED_PARAMS = new Set([
	'select',
	'order',
	'limit',
	'offset',
	'columns',
	'on_conflict',
	'or',
	'and',
	'not.or',
	'not.and',
	'apikey'
]);

function chooseFunction(
	schema: string,
	name: string,
	overloads: FunctionDef[],
	keys: string[],
	strict: boolean
): FunctionDef {
	const fits = overloads.filter((fn) => {
		const names = new Set(fn.args.map((a) => a.name));
		if (strict && !keys.every((k) => names.has(k))) return false;
		const given = new Set(keys.filter((k) => names.has(k)));
		return fn.args.every((a) => a.hasDefault || given.has(a.name));
	});
	if (fits.length >= 1) {
		// Prefer the overload that uses the most of the given keys.
		return fits.sort(
			(a, b) =>
				b.args.filter((x) => keys.includes(x.name)).length -
				a.args.filter((x) => keys.includes(x.name)).length
		)[0];
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

export function rpcStatement(
	c: Context<GatewayEnv>,
	deps: HandlerDeps,
	schema: string,
	name: string,
	prefs: Preferences,
	media: Media,
	body: unknown,
	stripNulls = false
): Statement & { fn: FunctionDef } {
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
		const candidates = [...url.searchParams.keys()].filter(
			(k) => !RESERVED_PARAMS.has(k) && !k.includes('.')
		);
		fn = chooseFunction(schema, name, overloads, candidates, false);
		const argNames = new Set(fn.args.map((a) => a.name));
		args = Object.fromEntries([...url.searchParams].filter(([k]) => argNames.has(k)));
	}
	const argNames = new Set(Object.keys(args));
	const readOnly = method !== 'POST' || fn.volatility !== 'volatile';
	const b = new SqlBuilder(stripNulls);
	const singular = media === 'object' || (fn.returns.kind === 'composite' && !fn.returnsSet);
	if (fn.returns.kind !== 'composite') {
		return { sql: scalarCallSql(b, fn, args), params: b.params, readOnly, singular: media === 'object', fn };
	}
	const query = parseQuery(url.searchParams, method === 'POST' ? new Set() : argNames);
	const columns = new Map(fn.returns.columns.map((col) => [col.name, col]));
	const level = new Planner(cache, query).root(columns, name, fn.returns.relation);
	const sql = readSql(b, level, {
		from: '"pgrst_source"',
		source: `SELECT "pgrst_call".* FROM ${functionFrom(b, fn, args)} AS "pgrst_call"`,
		count: prefs.count !== undefined,
		maxRows: deps.ctx.config.rest.maxRows
	});
	return { sql, params: b.params, readOnly, singular, fn };
}
