// Builds the one SQL statement a request needs from the `ApiRequest`: reads, inserts/upserts,
// updates and deletes on tables and views, and function calls.

import type pg from 'pg';
import type { StackContext } from '../context.ts';
import type { QueryParams } from './ast.ts';
import { columnNotFound, RestError, tableNotFound, undefinedColumn } from './errors.ts';
import { Lru } from './lru.ts';
import { hasOperator, parseNameList, parseQuery } from './parse.ts';
import { Planner } from './plan.ts';
import type { Action, ApiRequest, RpcBody } from './request.ts';
import type { Column, FunctionDef, Relation, SchemaCache } from './schema.ts';
import {
	type CallArgs,
	deleteSql,
	functionFrom,
	insertSql,
	plannedCountSql,
	qualified,
	readSql,
	scalarCallSql,
	SqlBuilder,
	updateSql
} from './sql.ts';

export interface HandlerDeps {
	ctx: StackContext;
	state: RestState;
	/** REST's own pool, in pipeline mode (transaction.ts). */
	pool: pg.Pool;
}

export interface Statement {
	sql: string;
	params: unknown[];
	readOnly: boolean;
	/** Rolls back and answers 406 unless exactly one row (Accept: vnd.pgrst.object). */
	singular: boolean;
	/**
	 * The result is one value, not an array (a function not returning a set): its first row, or
	 * `null` when filters left none.
	 */
	single?: boolean;
	/** `Prefer: handling=strict, max-affected=N` on PATCH/DELETE/RPC: more rows roll back (PGRST124). */
	maxAffected?: number;
	/** A function returning void: answered 204. */
	returnsVoid: boolean;
	/** PUT: anything but exactly one row written rolls back (PGRST115). */
	exactlyOne?: boolean;
	/**
	 * `count=planned|estimated`: EXPLAIN of the count query, run in the same transaction; with
	 * `estimated` its figure is used only past `estimatedOver` rows (the exact count below).
	 */
	planned?: { sql: string; params: unknown[]; estimatedOver?: number };
}

/** The schema cache in use, and the SQL of recent reads built from it (dropped on reload). */
export interface RestState {
	cache: SchemaCache;
	reads: Lru<string, { sql: string; params: unknown[]; planned?: Statement['planned'] }>;
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
		const { count } = req.prefer;
		const key = `${rel.schema}.${rel.name}|${req.search}|${action.range ?? ''}|${count ?? ''}|${req.stripNulls}|${req.media}`;
		const hit = deps.state.reads.get(key);
		if (hit) return { ...base, sql: hit.sql, params: hit.params, planned: hit.planned, readOnly: true };
		const level = new Planner(cache, action.query, deps.ctx.config.rest.aggregates).root(
			rel.columns,
			rel.name,
			rel
		);
		const b = new SqlBuilder(req.stripNulls);
		const { maxRows } = deps.ctx.config.rest;
		const from = qualified(rel.schema, rel.name);
		const exact = count === 'exact' || count === 'estimated';
		const sql = readSql(b, level, { from, count: exact, maxRows, csv: req.media === 'csv' });
		const planned =
			count === 'planned' || count === 'estimated'
				? { ...plannedCountSql(level, from), estimatedOver: count === 'estimated' ? maxRows : undefined }
				: undefined;
		deps.state.reads.set(key, { sql, params: b.params, planned });
		return { ...base, sql, params: b.params, planned, readOnly: true };
	}
	// Nothing to write: an empty batch or an empty PATCH object.
	if ((action.type === 'insert' || action.type === 'upsert') && action.rows.length === 0) return null;
	if (action.type === 'update' && Object.keys(action.row).length === 0) return null;
	const level = new Planner(cache, action.query, deps.ctx.config.rest.aggregates).root(
		rel.columns,
		rel.name,
		rel
	);
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
				representation,
				countInserted: action.type === 'upsert' && rel.kind === 'table'
			});
			return { ...base, sql, params: b.params };
		}
		case 'put': {
			const filters = level.conditions;
			const pk = rel.primaryKey;
			const byEq = filters.every(
				(c) =>
					c.type === 'filter' &&
					!c.negated &&
					c.ref.path.length === 0 &&
					c.cond.type === 'op' &&
					c.cond.op === 'eq' &&
					!c.cond.quant
			);
			const names = new Set(filters.map((c) => (c.type === 'filter' ? c.ref.column.name : '')));
			if (
				pk.length === 0 ||
				!byEq ||
				names.size !== filters.length ||
				names.size !== pk.length ||
				!pk.every((k) => names.has(k))
			) {
				throw new RestError(
					405,
					'PGRST105',
					"Filters must include all and only primary key columns with 'eq' operators"
				);
			}
			const columns = payloadColumns(rel, action.query.columns ?? Object.keys(action.row));
			const sql = insertSql(b, rel, level, {
				columns,
				rows: JSON.stringify([action.row]),
				onConflict: { columns: pk, action: 'merge' },
				missingDefault: false,
				representation,
				bodyConditions: filters,
				countInserted: rel.kind === 'table'
			});
			return { ...base, sql, params: b.params, exactlyOne: true };
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

const RESERVED_PARAMS = new Set(['select', 'order', 'limit', 'offset', 'columns', 'on_conflict', 'apikey']);

/** `a=1` is an argument of GET /rpc; `a=eq.1`, `a.b=...`, `or=(...)` are filters on its result. */
function isArgumentParam([key, value]: [string, string]): boolean {
	if (RESERVED_PARAMS.has(key) || key.includes('.') || key === 'or' || key === 'and') return false;
	return !hasOperator(value);
}

/** How a body reached the function: keys of a JSON object / form, or the raw body of a media type. */
type CallMedia = RpcBody['media'] | 'none';

/**
 * PostgREST's overload resolution (Plan.hs `findProc`): the functions whose parameter names fit
 * the given keys (every required one given, the rest optional ones); failing that, the one
 * taking the whole body as its single unnamed parameter. More than one fit is ambiguous.
 */
function chooseFunction(
	schema: string,
	name: string,
	overloads: FunctionDef[],
	keys: string[],
	media: CallMedia
): { fn: FunctionDef; wholeBody: boolean } {
	const given = new Set(keys);
	const rawMedia = media === 'text' || media === 'xml' || media === 'bytea';
	const named: FunctionDef[] = [];
	const unnamed: FunctionDef[] = [];
	for (const fn of overloads) {
		if (fn.args.length === 0 ? given.size === 0 && !rawMedia : fitsKeys(fn, given)) named.push(fn);
		else if (fn.args.length === 1 && fn.args[0].name === '' && takesBody(fn.args[0].type, media))
			unnamed.push(fn);
	}
	const fits = named.length > 0 ? named : unnamed;
	if (fits.length === 1) return { fn: fits[0], wholeBody: named.length === 0 };
	if (fits.length > 1) {
		const shown = [...fits]
			.map((fn) => ({
				n: fn.args.length,
				text: `${fn.schema}.${fn.name}(${fn.args.map((a) => `${a.name} => ${a.type}`).join(', ')})`
			}))
			.sort((a, b) => a.n - b.n || (a.text < b.text ? -1 : 1))
			.map((f) => f.text);
		throw new RestError(
			300,
			'PGRST203',
			`Could not choose the best candidate function between: ${shown.join(', ')}`,
			null,
			'Try renaming the parameters or the function itself in the database so function overloading can be resolved'
		);
	}
	throw noFunction(schema, name, keys, media);
}

function fitsKeys(fn: FunctionDef, given: Set<string>): boolean {
	let required = 0;
	for (const arg of fn.args) {
		if (arg.hasDefault) continue;
		if (!given.has(arg.name)) return false;
		required++;
	}
	// Every key names a parameter (the required ones are all present, counted above).
	let known = required;
	for (const key of given) if (fn.args.some((a) => a.hasDefault && a.name === key)) known++;
	return known === given.size;
}

function takesBody(type: string, media: CallMedia): boolean {
	if (media === 'json') return type === 'json' || type === 'jsonb';
	return media === type;
}

/** PGRST202, worded as PostgREST words it for the request's keys and media type. */
function noFunction(schema: string, name: string, keys: string[], media: CallMedia): RestError {
	const fn = `${schema}.${name}`;
	const rawMedia = media === 'text' || media === 'xml' || media === 'bytea';
	const shown = keys.join(', ');
	const withKeys = keys.length === 0 ? ' without parameters' : `(${shown})`;
	const detailKeys =
		keys.length === 0 ? ' without parameters' : ` with parameter${keys.length > 1 ? 's' : ''} ${shown}`;
	const searched = rawMedia
		? ` with a single unnamed ${media} parameter`
		: media === 'json'
			? `${detailKeys} or with a single unnamed json/jsonb parameter`
			: detailKeys;
	return new RestError(
		404,
		'PGRST202',
		`Could not find the function ${fn}${rawMedia ? '' : withKeys} in the schema cache`,
		`Searched for the function ${fn}${searched}, but no matches were found in the schema cache.`,
		null
	);
}

function rpcStatement(
	req: ApiRequest,
	action: Extract<Action, { type: 'rpc' }>,
	deps: HandlerDeps
): Statement {
	const { cache } = deps.state;
	const { schema, prefer } = req;
	const overloads = cache.functionsNamed(schema, action.fn);
	let args: Record<string, unknown>;
	let keys: string[];
	if (action.via === 'POST') {
		args = action.args ?? {};
		const columns = new URLSearchParams(action.params).get('columns');
		keys = columns !== null ? parseNameList('columns parameter', columns) : Object.keys(args);
	} else {
		args = Object.fromEntries(action.params.filter(isArgumentParam));
		keys = Object.keys(args);
	}
	const media: CallMedia = action.via === 'POST' ? (action.body?.media ?? 'json') : 'none';
	const { fn, wholeBody } = chooseFunction(schema, action.fn, overloads, [...new Set(keys)].sort(), media);
	if (prefer.handling === 'strict' && prefer.maxAffected !== undefined && !fn.returnsSet) {
		throw new RestError(
			400,
			'PGRST128',
			'Function must return SETOF or TABLE when max-affected preference is used with handling=strict'
		);
	}
	const maxAffected = prefer.handling === 'strict' ? prefer.maxAffected : undefined;
	const call: CallArgs = wholeBody
		? { whole: action.body!.raw, type: fn.args[0].type }
		: { named: Object.fromEntries(keys.filter((k) => k in args).map((k) => [k, args[k]])) };
	const readOnly = action.via !== 'POST' || fn.volatility !== 'volatile';
	const b = new SqlBuilder(req.stripNulls);
	const returnsVoid = fn.returns.kind === 'void';
	const singular = req.media === 'object';
	if (fn.returns.kind !== 'composite') {
		return {
			sql: scalarCallSql(b, fn, call),
			params: b.params,
			readOnly,
			singular,
			returnsVoid,
			maxAffected
		};
	}
	const skip = action.via === 'POST' ? new Set<string>() : new Set(Object.keys(args));
	const query = parseQuery(
		action.params.filter(([k]) => k !== 'columns'),
		skip
	);
	const columns = new Map(fn.returns.columns.map((col) => [col.name, col]));
	const level = new Planner(cache, query, deps.ctx.config.rest.aggregates).root(
		columns,
		action.fn,
		fn.returns.relation
	);
	const sql = readSql(b, level, {
		from: '"pgrst_source"',
		source: `SELECT "pgrst_call".* FROM ${functionFrom(b, fn, call)} AS "pgrst_call"`,
		count: req.prefer.count !== undefined || maxAffected !== undefined,
		maxRows: deps.ctx.config.rest.maxRows,
		csv: req.media === 'csv'
	});
	return { sql, params: b.params, readOnly, singular, single: !fn.returnsSet, returnsVoid, maxAffected };
}
