// Plans -> one SQL statement each. Identifiers come from the schema cache and are quoted;
// every value from the request (including output keys and JSON path keys) is a bind parameter.

import type { ColumnRef, EmbedPlan, LevelPlan, PlannedCondition } from './plan.ts';
import type { Column, FunctionDef, Relation } from './schema.ts';

/** Quotes a catalog identifier. Never called with request text. */
export function ident(name: string): string {
	return `"${name.replaceAll('"', '""')}"`;
}

export function qualified(schema: string, name: string): string {
	return `${ident(schema)}.${ident(name)}`;
}

export class SqlBuilder {
	readonly params: unknown[] = [];
	private aliases = 0;

	/** `Accept: ...;nulls=stripped`: objects leave out keys whose value is null. */
	constructor(readonly stripNulls = false) {}

	param(value: unknown): string {
		this.params.push(value);
		return `$${this.params.length}`;
	}

	/** Text parameter, typed so operator resolution never has to guess. */
	text(value: string): string {
		return `${this.param(value)}::text`;
	}

	alias(): string {
		return ident(`t${this.aliases++}`);
	}
}

const COMPARISON: Record<string, string> = {
	eq: '=',
	neq: '<>',
	gt: '>',
	gte: '>=',
	lt: '<',
	lte: '<=',
	like: 'LIKE',
	ilike: 'ILIKE',
	match: '~',
	imatch: '~*',
	isdistinct: 'IS DISTINCT FROM',
	cs: '@>',
	cd: '<@',
	ov: '&&',
	sl: '<<',
	sr: '>>',
	nxr: '&<',
	nxl: '&>',
	adj: '-|-'
};

const TSQUERY: Record<string, string> = {
	fts: 'to_tsquery',
	plfts: 'plainto_tsquery',
	phfts: 'phraseto_tsquery',
	wfts: 'websearch_to_tsquery'
};

const IS_SQL: Record<string, string> = {
	null: 'IS NULL',
	not_null: 'IS NOT NULL',
	true: 'IS TRUE',
	false: 'IS FALSE',
	unknown: 'IS UNKNOWN'
};

function columnExpr(b: SqlBuilder, alias: string, ref: ColumnRef): string {
	// A computed field is its function applied to the row.
	let expr = ref.computed
		? `${qualified(ref.computed.schema, ref.computed.name)}(${alias})`
		: `${alias}.${ident(ref.column.name)}`;
	for (const step of ref.path) {
		const key = step.index !== undefined ? `${b.param(step.index)}::int` : b.text(step.key);
		expr = `(${expr} ${step.arrow} ${key})`;
	}
	return expr;
}

function conditionSql(
	b: SqlBuilder,
	alias: string,
	cond: PlannedCondition,
	embeds: Map<EmbedPlan, string>
): string {
	if (cond.type === 'logic') {
		const inner = cond.children
			.map((c) => conditionSql(b, alias, c, embeds))
			.join(cond.op === 'and' ? ' AND ' : ' OR ');
		return cond.negated ? `NOT (${inner})` : `(${inner})`;
	}
	if (cond.type === 'embedNull') {
		return `${embeds.get(cond.embed)}."v" ${cond.isNull ? 'IS NULL' : 'IS NOT NULL'}`;
	}
	const lhs = columnExpr(b, alias, cond.ref);
	const c = cond.cond;
	let sql: string;
	if (c.type === 'in') sql = `${lhs} = ANY(${b.param(c.values)})`;
	else if (c.type === 'is') sql = `${lhs} ${IS_SQL[c.value]}`;
	else if (c.type === 'fts') {
		const config = c.config !== undefined ? `${b.param(c.config)}::regconfig, ` : '';
		sql = `${lhs} @@ ${TSQUERY[c.op]}(${config}${b.text(c.value)})`;
	} else if (c.quant) sql = `${lhs} ${COMPARISON[c.op]} ${c.quant.toUpperCase()}(${b.param(c.values ?? [])})`;
	else sql = `${lhs} ${COMPARISON[c.op]} ${b.param(c.value)}`;
	return cond.negated ? `NOT (${sql})` : sql;
}

interface Pair {
	/** The output key: always a bind parameter. */
	key: string;
	expr: string;
}

interface CompiledLevel {
	/** A json expression building one output object per row. */
	object: string;
	pairs: Pair[];
	laterals: { sql: string; neededForFilter: boolean }[];
	where: string[];
	orderBy: string;
}

function compileLevel(b: SqlBuilder, level: LevelPlan, alias: string): CompiledLevel {
	const pairs: Pair[] = [];
	const laterals: CompiledLevel['laterals'] = [];
	const embeds = new Map<EmbedPlan, string>();
	const where: string[] = [];
	const grouped: string[] = [];
	let aggregated = false;
	for (const item of level.select) {
		if (item.type === 'column') {
			let expr = columnExpr(b, alias, item.ref);
			if (item.cast) expr = `CAST(${expr} AS ${item.cast})`;
			pairs.push({ key: b.text(item.key), expr });
			grouped.push(expr);
			continue;
		}
		if (item.type === 'aggregate') {
			aggregated = true;
			let arg = item.ref ? columnExpr(b, alias, item.ref) : '*';
			if (item.ref && item.cast) arg = `CAST(${arg} AS ${item.cast})`;
			let expr = `${item.fn.toUpperCase()}(${arg})`;
			if (item.resultCast) expr = `CAST(${expr} AS ${item.resultCast})`;
			pairs.push({ key: b.text(item.key), expr });
			continue;
		}
		const embedAlias = b.alias();
		embeds.set(item.embed, embedAlias);
		const embed = embedSql(b, item.embed, alias);
		laterals.push({
			sql: `LEFT JOIN LATERAL (${embed.sql}) AS ${embedAlias} ON TRUE`,
			neededForFilter: item.embed.inner
		});
		if (item.embed.spread) {
			// `...rel(a,b)`: the embedded columns join the parent object.
			embed.pairs.forEach((p, i) => pairs.push({ key: p.key, expr: `${embedAlias}."c${i}"` }));
		} else if (item.embed.empty) {
			// `rel()`: joined for its filters only.
		} else {
			const value = item.embed.toOne ? `${embedAlias}."v"` : `COALESCE(${embedAlias}."v", '[]'::json)`;
			pairs.push({ key: b.text(item.key), expr: value });
		}
		if (item.embed.inner) where.push(`${embedAlias}."v" IS NOT NULL`);
	}
	for (const cond of level.conditions) {
		where.push(conditionSql(b, alias, cond, embeds));
		if (cond.type === 'embedNull') {
			const index = [...embeds.keys()].indexOf(cond.embed);
			laterals[index].neededForFilter = true;
		}
	}
	const order = level.order.map((o) => {
		const dir = o.direction === 'desc' ? ' DESC' : o.direction === 'asc' ? ' ASC' : '';
		const nulls = o.nulls === 'first' ? ' NULLS FIRST' : o.nulls === 'last' ? ' NULLS LAST' : '';
		const expr = o.embed ? `${embeds.get(o.embed)}."o${o.index}"` : columnExpr(b, alias, o.ref);
		return `${expr}${dir}${nulls}`;
	});
	const object =
		pairs.length > 0
			? `json_object(${pairs.map((p) => `(${p.key}) : ${p.expr}`).join(', ')}${b.stripNulls ? ' ABSENT ON NULL' : ''} RETURNING json)`
			: `'{}'::json`;
	const groupBy = aggregated && grouped.length > 0 ? ` GROUP BY ${grouped.join(', ')}` : '';
	return {
		object,
		pairs,
		laterals,
		where,
		orderBy: `${groupBy}${order.length > 0 ? ` ORDER BY ${order.join(', ')}` : ''}`
	};
}

function range(b: SqlBuilder, limit: number | undefined, offset: number | undefined): string {
	return `${limit !== undefined ? ` LIMIT ${b.param(limit)}` : ''}${offset ? ` OFFSET ${b.param(offset)}` : ''}`;
}

const whereSql = (conds: string[]) => (conds.length > 0 ? ` WHERE ${conds.join(' AND ')}` : '');

function embedSql(b: SqlBuilder, embed: EmbedPlan, parentAlias: string): { sql: string; pairs: Pair[] } {
	const alias = b.alias();
	const c = compileLevel(b, embed, alias);
	const through = embed.through;
	let from = `${qualified(embed.relation.schema, embed.relation.name)} AS ${alias}`;
	let join: string[];
	if (embed.fn) {
		// A computed relationship: the function's rows for the parent row.
		from = `${qualified(embed.fn.schema, embed.fn.name)}(${parentAlias}) AS ${alias}`;
		join = [];
	} else if (through) {
		// Many-to-many: the child rows the junction links to the parent row.
		const j = b.alias();
		const on = through.toChild.map(([jc, cc]) => `${j}.${ident(jc)} = ${alias}.${ident(cc)}`);
		from += ` JOIN ${qualified(through.relation.schema, through.relation.name)} AS ${j} ON ${on.join(' AND ')}`;
		join = through.toParent.map(([jc, pc]) => `${j}.${ident(jc)} = ${parentAlias}.${ident(pc)}`);
	} else {
		join = embed.join.map(([parent, child]) => `${alias}.${ident(child)} = ${parentAlias}.${ident(parent)}`);
	}
	const ordered = embed.orderBy.map((ref, i) => `${columnExpr(b, alias, ref)} AS "o${i}"`);
	const selectList = embed.spread
		? [`TRUE AS "v"`, ...c.pairs.map((p, i) => `${p.expr} AS "c${i}"`), ...ordered].join(', ')
		: [`${c.object} AS "v"`, ...ordered].join(', ');
	const rows =
		`SELECT ${selectList} FROM ${from} ` +
		c.laterals.map((l) => l.sql).join(' ') +
		whereSql([...join, ...c.where]) +
		c.orderBy +
		range(b, embed.limit, embed.offset);
	if (embed.toOne) return { sql: rows, pairs: c.pairs };
	if (embed.spread) {
		// A to-many spread: each column becomes the array of its values (PostgREST 13).
		const arrays = c.pairs.map((_, i) => `COALESCE(json_agg("x"."c${i}"), '[]'::json) AS "c${i}"`);
		return {
			sql: `SELECT bool_or("x"."v") AS "v"${arrays.map((a) => `, ${a}`).join('')} FROM (${rows}) AS "x"`,
			pairs: c.pairs
		};
	}
	return { sql: `SELECT json_agg("x"."v") AS "v" FROM (${rows}) AS "x"`, pairs: c.pairs };
}

export interface ReadOptions {
	/** FROM-clause item that the root alias is given to: a relation, or "pgrst_source" with `source`. */
	from: string;
	/** A query for the CTE "pgrst_source" (a function call, run once even when counted). */
	source?: string;
	count: boolean;
	/** Row cap (config.rest.maxRows) applied to the root. */
	maxRows?: number;
	/**
	 * text/csv: also return the rows in Postgres' record text form (as PostgREST builds CSV:
	 * each row's text without its parentheses, one per line), in the "csv" column.
	 */
	csv?: boolean;
}

/** total (when counted), page (rows returned), body (a JSON array, as text) and csv. */
export function readSql(b: SqlBuilder, level: LevelPlan, options: ReadOptions): string {
	const alias = b.alias();
	const c = compileLevel(b, level, alias);
	const from = `${options.from} AS ${alias}`;
	const where = whereSql(c.where);
	let limit = level.limit;
	if (options.maxRows !== undefined) limit = Math.min(limit ?? options.maxRows, options.maxRows);
	const record = options.csv ? `, ROW(${c.pairs.map((p) => p.expr).join(', ')}) AS "r"` : '';
	const main = `SELECT ${c.object} AS "v"${record} FROM ${from} ${c.laterals.map((l) => l.sql).join(' ')}${where}${c.orderBy}${range(b, limit, level.offset)}`;
	const needed = c.laterals
		.filter((l) => l.neededForFilter)
		.map((l) => l.sql)
		.join(' ');
	const total = options.count ? `(SELECT count(*) FROM ${from} ${needed}${where})` : 'NULL::bigint';
	const cte = options.source ? `WITH "pgrst_source" AS MATERIALIZED (${options.source}) ` : '';
	const csv = options.csv
		? `COALESCE(string_agg(substring("p"."r"::text, 2, length("p"."r"::text) - 2), E'\\n'), '')`
		: 'NULL::text';
	return `${cte}SELECT ${total} AS "total", count(*) AS "page", COALESCE(json_agg("p"."v"), '[]')::text AS "body", ${csv} AS "csv" FROM (${main}) AS "p"`;
}

/**
 * `count=planned`: the planner's row estimate for the root's rows (PostgREST explains its count
 * query). Built with its own parameters: only the root's filters (embedded filters are left out
 * of the estimate), so every parameter is referenced.
 */
export function plannedCountSql(level: LevelPlan, from: string): { sql: string; params: unknown[] } {
	const b = new SqlBuilder();
	const alias = b.alias();
	const onEmbed = (c: PlannedCondition): boolean =>
		c.type === 'embedNull' || (c.type === 'logic' && c.children.some(onEmbed));
	const conds = level.conditions.filter((c) => !onEmbed(c)).map((c) => conditionSql(b, alias, c, new Map()));
	return {
		sql: `EXPLAIN (FORMAT JSON) SELECT 1 FROM ${from} AS ${alias}${whereSql(conds)}`,
		params: b.params
	};
}

/**
 * Wraps a data-modifying statement (RETURNING rows) and shapes its rows like a read. With
 * `countInserted`, the statement returns "pgrst_ins" (a row was inserted, not updated).
 */
function mutationSql(
	b: SqlBuilder,
	level: LevelPlan,
	mutation: string,
	returning: string,
	representation: boolean,
	countInserted = false
): string {
	const inserted = countInserted ? `(SELECT count(*) FROM "pgrst_source" WHERE "pgrst_ins")` : 'NULL::bigint';
	const ins = countInserted ? `, (${returning}.xmax = 0) AS "pgrst_ins"` : '';
	if (!representation) {
		return `WITH "pgrst_source" AS (${mutation} RETURNING 1 AS "pgrst_one"${ins}) SELECT count(*) AS "total", count(*) AS "page", NULL::text AS "body", ${inserted} AS "inserted" FROM "pgrst_source"`;
	}
	const alias = b.alias();
	// The level's filters already restricted the mutation itself.
	const c = compileLevel(b, { ...level, conditions: [] }, alias);
	const main = `SELECT ${c.object} AS "v" FROM "pgrst_source" AS ${alias} ${c.laterals.map((l) => l.sql).join(' ')}${c.orderBy}`;
	return `WITH "pgrst_source" AS (${mutation} RETURNING ${returning}.*${ins}) SELECT (SELECT count(*) FROM "pgrst_source") AS "total", count(*) AS "page", COALESCE(json_agg("p"."v"), '[]')::text AS "body", ${inserted} AS "inserted" FROM (${main}) AS "p"`;
}

export interface InsertOptions {
	columns: Column[];
	/** Rows as a JSON array (bound as one parameter). */
	rows: string;
	onConflict?: { columns: string[]; action: 'merge' | 'ignore' };
	/** Prefer: missing=default: a key absent from a row takes the column default, not NULL. */
	missingDefault: boolean;
	representation: boolean;
	/** PUT: the URL's primary-key filters, which the payload row itself must pass. */
	bodyConditions?: PlannedCondition[];
	/** Report how many rows were inserted rather than updated (tables only: reads xmax). */
	countInserted?: boolean;
}

export function insertSql(b: SqlBuilder, rel: Relation, level: LevelPlan, o: InsertOptions): string {
	const target = qualified(rel.schema, rel.name);
	let insert: string;
	if (o.columns.length === 0) {
		insert = `INSERT INTO ${target} DEFAULT VALUES`;
	} else {
		const cols = o.columns.map((c) => ident(c.name)).join(', ');
		if (o.missingDefault) {
			// Default expressions are the catalog's own text (pg_get_expr), never request text.
			const values = o.columns.map((c) =>
				c.defaultExpr === undefined
					? `"pgrst_rec".${ident(c.name)}`
					: `CASE WHEN "pgrst_elem"."j" ? ${b.text(c.name)} THEN "pgrst_rec".${ident(c.name)} ELSE ${c.defaultExpr} END`
			);
			insert =
				`INSERT INTO ${target} (${cols}) SELECT ${values.join(', ')} ` +
				`FROM jsonb_array_elements(${b.param(o.rows)}::jsonb) WITH ORDINALITY AS "pgrst_elem"("j", "n") ` +
				`CROSS JOIN LATERAL jsonb_populate_record(NULL::${target}, "pgrst_elem"."j") AS "pgrst_rec" ORDER BY "pgrst_elem"."n"`;
		} else {
			const where = o.bodyConditions
				? whereSql(o.bodyConditions.map((c) => conditionSql(b, '"pgrst_body"', c, new Map())))
				: '';
			insert = `INSERT INTO ${target} (${cols}) SELECT ${cols} FROM json_populate_recordset(NULL::${target}, ${b.param(o.rows)}::json) AS "pgrst_body"${where}`;
		}
	}
	if (o.onConflict) {
		const updates = o.columns.map((c) => `${ident(c.name)} = EXCLUDED.${ident(c.name)}`);
		const conflict = `(${o.onConflict.columns.map(ident).join(', ')})`;
		insert +=
			o.onConflict.action === 'ignore' || updates.length === 0
				? ` ON CONFLICT ${conflict} DO NOTHING`
				: ` ON CONFLICT ${conflict} DO UPDATE SET ${updates.join(', ')}`;
	}
	return mutationSql(b, level, insert, target, o.representation, o.countInserted);
}

export function updateSql(
	b: SqlBuilder,
	rel: Relation,
	level: LevelPlan,
	columns: Column[],
	row: string,
	conditions: PlannedCondition[],
	representation: boolean
): string {
	const target = qualified(rel.schema, rel.name);
	const alias = b.alias();
	const where = whereSql(conditions.map((c) => conditionSql(b, alias, c, new Map())));
	const mutation =
		`UPDATE ${target} AS ${alias} SET ${columns.map((c) => `${ident(c.name)} = "pgrst_body".${ident(c.name)}`).join(', ')} ` +
		`FROM json_populate_record(NULL::${target}, ${b.param(row)}::json) AS "pgrst_body"${where}`;
	return mutationSql(b, level, mutation, alias, representation);
}

export function deleteSql(
	b: SqlBuilder,
	rel: Relation,
	level: LevelPlan,
	conditions: PlannedCondition[],
	representation: boolean
): string {
	const alias = b.alias();
	const where = whereSql(conditions.map((c) => conditionSql(b, alias, c, new Map())));
	return mutationSql(
		b,
		level,
		`DELETE FROM ${qualified(rel.schema, rel.name)} AS ${alias}${where}`,
		alias,
		representation
	);
}

/**
 * A call's arguments: named ones (one JSON object, typed by json_to_record with the catalog's
 * parameter types), or the whole request body for a single unnamed parameter.
 */
export type CallArgs = { named: Record<string, unknown> } | { whole: string | Uint8Array; type: string };

/** The FROM item of a function call. */
export function functionFrom(b: SqlBuilder, fn: FunctionDef, args: CallArgs, scalarColumn?: string): string {
	const target = qualified(fn.schema, fn.name);
	const as = (call: string) => (scalarColumn ? `${call} AS "pgrst_call"(${ident(scalarColumn)})` : call);
	if ('whole' in args) {
		// The type is the catalog's (json, jsonb, text, xml or bytea), never request text.
		return as(`${target}(${b.param(args.whole)}::${fn.args[0].type})`);
	}
	const named = args.named;
	const used = fn.args.filter((a) => a.name in named);
	const call = as(
		`${target}(${used.map((a) => `${ident(a.name)} => "pgrst_args".${ident(a.name)}`).join(', ')})`
	);
	if (used.length === 0) return call;
	const record = used.map((a) => `${ident(a.name)} ${a.type}`).join(', ');
	return `json_to_record(${b.param(JSON.stringify(named))}::json) AS "pgrst_args"(${record}) CROSS JOIN LATERAL ${call}`;
}

/** A function whose result is not a relation: one JSON value (or an array of them for SETOF). */
export function scalarCallSql(b: SqlBuilder, fn: FunctionDef, args: CallArgs): string {
	const from = functionFrom(b, fn, args, 'pgrst_scalar');
	if (fn.returns.kind === 'void') return `SELECT 1 AS "page", NULL::text AS "body" FROM ${from}`;
	if (fn.returnsSet) {
		return `SELECT count(*) AS "total", count(*) AS "page", COALESCE(json_agg("pgrst_scalar"), '[]')::text AS "body" FROM ${from}`;
	}
	return `SELECT 1 AS "total", 1 AS "page", to_json("pgrst_scalar")::text AS "body" FROM ${from}`;
}
