// Builds the one SQL statement a request needs from the `ApiRequest`: reads, inserts/upserts,
// updates and deletes on tables and views, and function calls.

import type { StackContext } from '../context.ts';
import type { QueryParams } from './ast.ts';
import { columnNotFound, RestError, tableNotFound, undefinedColumn } from './errors.ts';
import { Lru } from './lru.ts';
import { parseQuery } from './parse.ts';
import { Planner } from './plan.ts';
import type { Action, ApiRequest } from './request.ts';
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
	/** A function returning void: answered 204. */
	returnsVoid: boolean;
}

/** The schema cache in use, and the SQL of recent reads built from it (dropped on reload). */
export interface RestState {
	cache: SchemaCache;
	reads: Lru<string, { sql: string; params: unknown[] }>;
}

export const newReadCache = (): RestState['reads'] => new Lru(500);

/** The columns a payload writes: `columns=` when given, else the union of its keys. */
function payloadColumns(rel: Relation, names: string[]): Column[] {
	return names.map((name) => {
		const column = rel.columns.get(name);
		if (!column) throw columnNotFound(rel.name, name);
		return column;
	});
}

const keysOf = (rows: Record<string, unknown>[]) => [...new Set(rows.flatMap((r) => Object.keys(r)))];

export function relationFor(cache: SchemaCache, schema: string, name: string): Relation {
	const rel = cache.relation(schema, name);
	if (!rel) throw tableNotFound(schema, name, cache.suggestTable(schema, name));
	return rel;
}

// ---------------------------------------------------------------- statements

/**
 * The statement for a request, or null when there is nothing to run (an empty batch, an empty
 * PATCH object). The OpenAPI root is answered without one.
 */
export function statementFor(req: ApiRequest, deps: HandlerDeps): Statement | null {
	const { action } = req;
	switch (action.type) {
		case 'rpc':
			return rpcStatement(req, action, deps);
		case 'openapi':
			throw new Error('the OpenAPI description is not a statement');
		default:
			return tableStatement(req, action, deps);
	}
}

type TableAction = Exclude<Action, { type: 'rpc' } | { type: 'openapi' }>;

function tableStatement(req: ApiRequest, action: TableAction, deps: HandlerDeps): Statement | null {
	const { cache } = deps.state;
	const rel = relationFor(cache, req.schema, action.relation);
	const singular = req.media === 'object';
	const base = { readOnly: false, singular, returnsVoid: false };
	if (action.type === 'read') {
		const key = `${rel.schema}.${rel.name}|${req.search}|${req.prefer.count ?? ''}|${req.stripNulls}`;
		const hit = deps.state.reads.get(key);
		if (hit) return { ...base, sql: hit.sql, params: hit.params, readOnly: true };
		const level = new Planner(cache, action.query).root(rel.columns, rel.name, rel);
		const b = new SqlBuilder(req.stripNulls);
		const sql = readSql(b, level, {
			from: qualified(rel.schema, rel.name),
			count: req.prefer.count !== undefined,
			maxRows: deps.ctx.config.rest.maxRows
		});
		deps.state.reads.set(key, { sql, params: b.params });
		return { ...base, sql, params: b.params, readOnly: true };
	}
	// Nothing to write: an empty batch or an empty PATCH object.
	if ((action.type === 'insert' || action.type === 'upsert') && action.rows.length === 0) return null;
	if (action.type === 'update' && Object.keys(action.row).length === 0) return null;
	const level = new Planner(cache, action.query).root(rel.columns, rel.name, rel);
	const representation = req.prefer.return === 'representation';
	const maxAffected = req.prefer.handling === 'strict' ? req.prefer.maxAffected : undefined;
	const b = new SqlBuilder(req.stripNulls);
	switch (action.type) {
		case 'insert':
		case 'upsert': {
			const columns = payloadColumns(rel, action.query.columns ?? keysOf(action.rows));
			const sql = insertSql(b, rel, level, {
				columns,
				rows: JSON.stringify(action.rows),
				onConflict:
					action.type === 'upsert' ? conflictTarget(rel, action.query, action.resolution) : undefined,
				missingDefault: req.prefer.missing === 'default',
				representation
			});
			return { ...base, sql, params: b.params };
		}
		case 'update': {
			const columns = payloadColumns(rel, Object.keys(action.row));
			const sql = updateSql(
				b,
				rel,
				level,
				columns,
				JSON.stringify(action.row),
				level.conditions,
				representation
			);
			return { ...base, sql, params: b.params, maxAffected };
		}
		case 'delete':
			return {
				...base,
				sql: deleteSql(b, rel, level, level.conditions, representation),
				params: b.params,
				maxAffected
			};
	}
}

function conflictTarget(
	rel: Relation,
	query: QueryParams,
	resolution: 'merge-duplicates' | 'ignore-duplicates'
): { columns: string[]; action: 'merge' | 'ignore' } {
	const target = query.onConflict ?? rel.primaryKey;
	for (const name of target) if (!rel.columns.has(name)) throw undefinedColumn(rel.name, name);
	if (target.length === 0) {
		throw new RestError(
			400,
			'42P10',
			'there is no unique or exclusion constraint matching the ON CONFLICT specification'
		);
	}
	return { columns: target, action: resolution === 'ignore-duplicates' ? 'ignore' : 'merge' };
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

function rpcStatement(
	req: ApiRequest,
	action: Extract<Action, { type: 'rpc' }>,
	deps: HandlerDeps
): Statement {
	const { cache } = deps.state;
	const { schema } = req;
	const overloads = cache.functionsNamed(schema, action.fn);
	let args: Record<string, unknown>;
	let fn: FunctionDef;
	if (action.args) {
		args = action.args;
		fn = chooseFunction(schema, action.fn, overloads, Object.keys(args), true);
	} else {
		const candidates = action.params
			.map(([k]) => k)
			.filter((k) => !RESERVED_PARAMS.has(k) && !k.includes('.'));
		fn = chooseFunction(schema, action.fn, overloads, candidates, false);
		const argNames = new Set(fn.args.map((a) => a.name));
		args = Object.fromEntries(action.params.filter(([k]) => argNames.has(k)));
	}
	const readOnly = action.via !== 'POST' || fn.volatility !== 'volatile';
	const b = new SqlBuilder(req.stripNulls);
	const returnsVoid = fn.returns.kind === 'void';
	if (fn.returns.kind !== 'composite') {
		return {
			sql: scalarCallSql(b, fn, args),
			params: b.params,
			readOnly,
			singular: req.media === 'object',
			returnsVoid
		};
	}
	const singular = req.media === 'object' || !fn.returnsSet;
	const query = parseQuery(action.params, action.via === 'POST' ? new Set() : new Set(Object.keys(args)));
	const columns = new Map(fn.returns.columns.map((col) => [col.name, col]));
	const level = new Planner(cache, query).root(columns, action.fn, fn.returns.relation);
	const sql = readSql(b, level, {
		from: '"pgrst_source"',
		source: `SELECT "pgrst_call".* FROM ${functionFrom(b, fn, args)} AS "pgrst_call"`,
		count: req.prefer.count !== undefined,
		maxRows: deps.ctx.config.rest.maxRows
	});
	return { sql, params: b.params, readOnly, singular, returnsVoid };
}
