/**
 * Subscribe-time checks, in the database and in Supabase's words: the binding must name tables of
 * the `supabase_realtime` publication, the role must exist, and every filter must name a column
 * the role may select, with a value of the column's type and an operator the type supports.
 * Filter values come back canonical (the type's output text), so matching a change is a string
 * comparison against what pgoutput sends.
 */
import type pg from 'pg';
import type { ChangeBinding, ChangeEvent } from '../changes-api.ts';
import {
	countInValues,
	FilterParseError,
	inspectFilters,
	inspectString,
	parseFilters,
	type CompiledFilter,
	type ParsedFilter
} from './filters.ts';

export const PUBLICATION = 'supabase_realtime';

/** The settings pgoutput's walsender runs with, so canonical texts match the stream's. */
export const OUTPUT_SETTINGS: Record<string, string> = {
	timezone: 'UTC',
	datestyle: 'ISO, MDY',
	intervalstyle: 'postgres',
	extra_float_digits: '1'
};

export interface ResolvedBinding {
	event: ChangeEvent;
	schema: string;
	/** '*' for every table of the schema. */
	table: string;
	/** Compiled filters per "schema.table" key of each matching publication table. */
	filtersByTable: Map<string, CompiledFilter[]>;
	/** Canonical value of the first non-negated eq filter, to index the binding by. */
	eq?: { column: string; value: string };
	/** realtime-js `select`: only these columns (and the primary key) in payloads; null for all. */
	select: string[] | null;
}

/** A binding read as Supabase reads it. */
interface NormalizedBinding {
	event: ChangeEvent;
	schema: string;
	table?: string;
	filter?: string;
}

export class SubscribeError extends Error {}

const INTEGER_TYPES = new Set(['int2', 'int4', 'int8']);

export const tableKey = (schema: string, table: string) => `${schema}\u0000${table}`;

const SQLSTATE_NAMES: Record<string, string> = {
	P0001: 'raise_exception',
	'22P02': 'invalid_text_representation',
	'22007': 'invalid_datetime_format',
	'22008': 'datetime_field_overflow',
	'22003': 'numeric_value_out_of_range',
	'22001': 'string_data_right_truncation',
	'22023': 'invalid_parameter_value',
	'2201B': 'invalid_regular_expression',
	'42883': 'undefined_function',
	'42704': 'undefined_object',
	'42703': 'undefined_column',
	'42P01': 'undefined_table',
	'42501': 'insufficient_privilege',
	'42846': 'cannot_coerce',
	'42804': 'datatype_mismatch'
};

/** Postgrex.Error's message: "ERROR 22P02 (invalid_text_representation) invalid input syntax ...". */
function postgrexMessage(error: unknown): string {
	const e = error as pg.DatabaseError;
	if (!e || typeof e.code !== 'string') return String((error as Error)?.message ?? error);
	const name = SQLSTATE_NAMES[e.code] ?? e.code.toLowerCase();
	return `${e.severity ?? 'ERROR'} ${e.code} (${name}) ${e.message}` + (e.detail ? `\n\n${e.detail}` : '');
}

/** "event: *, schema: public, table: x, filters: [], select: nil" as Supabase logs its params. */
function paramsText(
	b: NormalizedBinding,
	table: string,
	filters: ParsedFilter[],
	select: string[] | null
): string {
	const selected = select ? `[${select.map(inspectString).join(', ')}]` : 'nil';
	return `event: ${b.event}, schema: ${b.schema}, table: ${table}, filters: ${inspectFilters(filters)}, select: ${selected}`;
}

/** Supabase's parse_select: a list of names (non-strings dropped, empty = all), never a string. */
function parseSelect(select: unknown): string[] | null {
	if (typeof select === 'string') {
		throw new SubscribeError(
			'Error parsing `select` params: expected a list of column name strings, e.g. select: ["col1", "col2"]'
		);
	}
	if (!Array.isArray(select)) return null;
	const names = select.filter((c): c is string => typeof c === 'string');
	return names.length > 0 ? names : null;
}

class RaiseException extends Error {
	code = 'P0001';
	readonly severity = 'ERROR';
}

interface ColumnInfo {
	name: string;
	/** regtype text: catalog-quoted, safe to splice into SQL. */
	type: string;
	/** pg_type name and category of the (domain's base) type. */
	typname: string;
	category: string;
	selectable: boolean;
}

const RAW = { getTypeParser: () => (value: string) => value };

/** Types whose text form depends on session settings (DateStyle, TimeZone, extra_float_digits...). */
const settingsDependent = (col: ColumnInfo) =>
	col.category === 'D' || col.category === 'T' || ['float4', 'float8', 'money'].includes(col.typname);

/** Types that have every comparison operator (no need to ask the database). */
const comparable = (col: ColumnInfo) =>
	['N', 'S', 'D', 'T', 'B'].includes(col.category) || col.typname === 'uuid';

/**
 * The queries of one subscribe. Most run on the pool; values whose text depends on session
 * settings are cast in a transaction using the replication stream's settings.
 */
class Session {
	private client: pg.PoolClient | undefined;
	constructor(private readonly pool: pg.Pool) {}

	async cast(text: string, values: unknown[], col: ColumnInfo): Promise<Array<string | null>> {
		let runner: pg.Pool | pg.PoolClient = this.pool;
		if (settingsDependent(col)) {
			if (!this.client) {
				this.client = await this.pool.connect();
				await this.client.query('begin');
				const names = Object.keys(OUTPUT_SETTINGS);
				await this.client.query(
					`select ${names.map((_, i) => `set_config($${2 * i + 1}, $${2 * i + 2}, true)`).join(', ')}`,
					names.flatMap((name) => [name, OUTPUT_SETTINGS[name]])
				);
			}
			runner = this.client;
		}
		const result = await runner.query({ text, values, rowMode: 'array', types: RAW });
		return (result.rows as Array<Array<string | null>>).map((row) => row[0]);
	}

	/** Raises Supabase's "operator ... is not supported" when the column's type lacks the operator. */
	async probe(f: ParsedFilter, col: ColumnInfo, sqlOp: string): Promise<void> {
		try {
			await this.pool.query(`select null::${col.type} ${sqlOp} null::${col.type}`);
		} catch (error) {
			throw new RaiseException(
				`operator ${f.op} is not supported on column ${f.column} of type ${col.type}: ${(error as Error).message}`
			);
		}
	}

	async release(): Promise<void> {
		if (!this.client) return;
		await this.client.query('rollback').catch(() => undefined);
		this.client.release();
		this.client = undefined;
	}
}

/** Supabase's limit on an `in` list, and its text. */
const MAX_IN_VALUES = 100;
const TOO_MANY_IN_VALUES = 'too many values for `in` filter. Maximum 100';

const COMPARISON_SQL: Record<string, string> = {
	eq: '=',
	neq: '<>',
	lt: '<',
	lte: '<=',
	gt: '>',
	gte: '>='
};

async function compileFilter(session: Session, f: ParsedFilter, col: ColumnInfo): Promise<CompiledFilter> {
	const compiled: CompiledFilter = {
		column: f.column,
		op: f.op,
		negate: f.negate,
		value: null,
		numeric: col.category === 'N'
	};
	switch (f.op) {
		case 'in': {
			if (countInValues(f.value) > MAX_IN_VALUES) throw new RaiseException(TOO_MANY_IN_VALUES);
			const values = await session.cast(`select unnest($1::${col.type}[])`, [f.value], col);
			if (values.length > MAX_IN_VALUES) throw new RaiseException(TOO_MANY_IN_VALUES);
			compiled.values = new Set(values.filter((v): v is string => v !== null));
			if (!comparable(col)) await session.probe(f, col, '=');
			break;
		}
		default:
			compiled.value = (await session.cast(`select $1::${col.type}`, [f.value], col))[0] ?? null;
			if (!comparable(col)) await session.probe(f, col, COMPARISON_SQL[f.op]);
	}
	return compiled;
}

interface TableRow {
	schemaname: string;
	tablename: string;
	oid: number;
	role_exists: boolean;
	columns: string;
}

/** As Supabase reads a binding: unknown events mean '*', a table without schema is in public. */
function normalize(b: ChangeBinding): NormalizedBinding {
	const upper = typeof b.event === 'string' ? b.event.toUpperCase() : '*';
	const event = upper === 'INSERT' || upper === 'UPDATE' || upper === 'DELETE' ? upper : '*';
	const table = typeof b.table === 'string' && b.table !== '' ? b.table : undefined;
	const schema = typeof b.schema === 'string' && b.schema !== '' ? b.schema : 'public';
	const filter = typeof b.filter === 'string' ? b.filter : undefined;
	return { event, schema, table, filter };
}

/** Validates one binding for a role; throws SubscribeError with Supabase's system message text. */
export async function resolveBinding(
	pool: pg.Pool,
	requested: ChangeBinding,
	role: string,
	maxFilters?: number
): Promise<ResolvedBinding> {
	const binding = normalize(requested);
	const table = binding.table ?? '*';
	const select = parseSelect(requested.select);
	let parsed: ParsedFilter[];
	try {
		parsed = binding.table === undefined ? [] : parseFilters(binding.filter, maxFilters);
	} catch (error) {
		if (error instanceof FilterParseError)
			throw new SubscribeError(`Error parsing \`filter\` params: ${error.message}`);
		throw error;
	}
	if (select && (binding.schema === '*' || table === '*')) {
		throw new SubscribeError(
			'Column selection is not supported for wildcard subscriptions. Provide an explicit schema and table name.'
		);
	}

	// One catalog round trip: the publication's tables matching the binding, whether the role
	// exists, and the filtered columns with the role's privileges.
	const { rows: tables } = await pool.query<TableRow>(
		`select p.schemaname, p.tablename, c.oid::int4 as oid, r.role_exists,
		        coalesce((
		          select json_agg(json_build_object(
		                   'name', a.attname,
		                   'type', a.atttypid::regtype::text,
		                   'typname', bt.typname,
		                   'category', bt.typcategory,
		                   'selectable', case when r.role_exists
		                                      then pg_catalog.has_column_privilege($4, a.attrelid, a.attnum, 'SELECT')
		                                      else false end))
		            from pg_catalog.pg_attribute a
		            join pg_catalog.pg_type t on t.oid = a.atttypid
		            join pg_catalog.pg_type bt on bt.oid = case when t.typtype = 'd' then t.typbasetype else t.oid end
		           where a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped and a.attname = any($5::text[])
		        ), '[]')::text as columns
		   from pg_catalog.pg_publication_tables p
		   join pg_catalog.pg_namespace n on n.nspname = p.schemaname
		   join pg_catalog.pg_class c on c.relnamespace = n.oid and c.relname = p.tablename
		  cross join (select exists(select 1 from pg_catalog.pg_roles where rolname = $4) as role_exists) r
		  where p.pubname = $1
		    and p.schemaname like (case $2 when '*' then '%' else $2 end) escape ''
		    and p.tablename like (case $3 when '*' then '%' else $3 end) escape ''
		  order by 1, 2`,
		[PUBLICATION, binding.schema, table, role, [...parsed.map((f) => f.column), ...(select ?? [])]]
	);
	if (tables.length === 0) {
		throw new SubscribeError(
			'Unable to subscribe to changes with given parameters. Please check Realtime is enabled for the given connect parameters: ' +
				`[${paramsText(binding, table, parsed, select)}]`
		);
	}

	const session = new Session(pool);
	try {
		if (!tables[0].role_exists) {
			const e = new RaiseException(`role "${role}" does not exist`);
			e.code = '42704';
			throw e;
		}
		const filtersByTable = new Map<string, CompiledFilter[]>();
		const indexable = new Set<string>();
		for (const t of tables) {
			const byName = new Map((JSON.parse(t.columns) as ColumnInfo[]).map((c) => [c.name, c]));
			const compiled: CompiledFilter[] = [];
			for (const f of parsed) {
				const col = byName.get(f.column);
				if (!col || !col.selectable) throw new RaiseException(`invalid column for filter ${f.column}`);
				compiled.push(await compileFilter(session, f, col));
				// Integers have one text form per value; numeric and float do not ('1.0' = '1').
				if (col.category !== 'N' || INTEGER_TYPES.has(col.typname)) indexable.add(f.column);
			}
			for (const name of select ?? []) {
				if (!byName.get(name)?.selectable) throw new RaiseException(`invalid column for select ${name}`);
			}
			filtersByTable.set(tableKey(t.schemaname, t.tablename), compiled);
		}
		const first: CompiledFilter[] = filtersByTable.values().next().value ?? [];
		const eqFilter =
			table === '*'
				? undefined
				: first.find((f) => f.op === 'eq' && !f.negate && f.value !== null && indexable.has(f.column));
		return {
			event: binding.event,
			schema: binding.schema,
			table,
			filtersByTable,
			eq: eqFilter ? { column: eqFilter.column, value: eqFilter.value as string } : undefined,
			select
		};
	} catch (error) {
		if (error instanceof SubscribeError) throw error;
		throw new SubscribeError(
			'Unable to subscribe to changes with given parameters. An exception happened so please check your connect parameters: ' +
				`[${paramsText(binding, table, parsed, select)}]. Exception: ${postgrexMessage(error)}`
		);
	} finally {
		await session.release();
	}
}
