// The catalog queries behind the schema cache, one query and decoder per concern (as
// PostgREST's SchemaCache.hs): relations, columns, unique keys, foreign keys, functions, the
// type names a cast may use, and the API roles' own settings. schema.ts joins the results.

import type pg from 'pg';
import type { Column, ForeignKey, FunctionArg, FunctionDef, Relation } from './schema.ts';

type Db = Pick<pg.Pool, 'query'>;

const KINDS: Record<string, Relation['kind']> = {
	r: 'table',
	p: 'table',
	v: 'view',
	m: 'materialized view',
	f: 'foreign table'
};

/** Tables, views and the like of the exposed schemas by oid; columns and keys are filled in later. */
export async function readRelations(db: Db, schemas: string[]): Promise<Map<number, Relation>> {
	const { rows } = await db.query<{ oid: number; schema: string; name: string; kind: string }>(
		`select c.oid::int, n.nspname as schema, c.relname as name, c.relkind as kind
		   from pg_class c join pg_namespace n on n.oid = c.relnamespace
		  where n.nspname = any($1) and c.relkind in ('r','p','v','m','f')`,
		[schemas]
	);
	return new Map(
		rows.map((r) => [
			r.oid,
			{
				schema: r.schema,
				name: r.name,
				kind: KINDS[r.kind],
				columns: new Map(),
				primaryKey: [],
				uniqueKeys: []
			}
		])
	);
}

/** The columns of the given relations (and composite types), in order, by relation oid. */
export async function readColumns(db: Db, relOids: number[]): Promise<Map<number, Column[]>> {
	const { rows } = await db.query<{
		rel: number;
		name: string;
		type: string;
		type_oid: number;
		notnull: boolean;
		hasdef: boolean;
		default_expr: string | null;
		generated: boolean;
	}>(
		`select a.attrelid::int as rel, a.attname as name, format_type(a.atttypid, a.atttypmod) as type, a.atttypid::int as type_oid,
		        a.attnotnull as notnull, a.atthasdef or a.attidentity <> '' as hasdef, a.attgenerated <> '' as generated,
		        case when a.attidentity <> '' then format('nextval(%L::regclass)', pg_get_serial_sequence(a.attrelid::regclass::text, a.attname))
		             else pg_get_expr(d.adbin, d.adrelid) end as default_expr
		   from pg_attribute a left join pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum and a.attgenerated = ''
		  where a.attrelid = any($1::oid[]) and a.attnum > 0 and not a.attisdropped
		  order by a.attrelid, a.attnum`,
		[relOids]
	);
	const byRel = new Map<number, Column[]>();
	for (const row of rows) {
		let list = byRel.get(row.rel);
		if (!list) byRel.set(row.rel, (list = []));
		list.push({
			name: row.name,
			type: row.type,
			typeOid: row.type_oid,
			nullable: !row.notnull,
			hasDefault: row.hasdef,
			defaultExpr: row.default_expr ?? undefined,
			generated: row.generated
		});
	}
	return byRel;
}

/** Primary keys and unique constraints/indexes (plain columns, no predicate). */
export async function readUniqueKeys(
	db: Db,
	relOids: number[]
): Promise<{ rel: number; primary: boolean; columns: string[] }[]> {
	const { rows } = await db.query<{ rel: number; primary: boolean; columns: string[] }>(
		`select i.indrelid::int as rel, i.indisprimary as primary,
		        array(select a.attname from unnest(i.indkey) with ordinality k(attnum, ord)
		              join pg_attribute a on a.attrelid = i.indrelid and a.attnum = k.attnum order by k.ord)::text[] as columns
		   from pg_index i
		  where i.indrelid = any($1::oid[]) and i.indisunique and i.indpred is null and i.indexprs is null`,
		[relOids]
	);
	return rows;
}

/** Foreign keys between relations of the exposed schemas: what embedding follows. */
export async function readForeignKeys(db: Db, schemas: string[]): Promise<ForeignKey[]> {
	const { rows } = await db.query<{
		constraint: string;
		schema: string;
		table: string;
		columns: string[];
		ref_schema: string;
		ref_table: string;
		ref_columns: string[];
	}>(
		`select c.conname as constraint, ns.nspname as schema, cs.relname as table,
		        array(select a.attname from unnest(c.conkey) with ordinality k(n, o) join pg_attribute a on a.attrelid = c.conrelid and a.attnum = k.n order by k.o)::text[] as columns,
		        nr.nspname as ref_schema, cr.relname as ref_table,
		        array(select a.attname from unnest(c.confkey) with ordinality k(n, o) join pg_attribute a on a.attrelid = c.confrelid and a.attnum = k.n order by k.o)::text[] as ref_columns
		   from pg_constraint c
		   join pg_class cs on cs.oid = c.conrelid join pg_namespace ns on ns.oid = cs.relnamespace
		   join pg_class cr on cr.oid = c.confrelid join pg_namespace nr on nr.oid = cr.relnamespace
		  where c.contype = 'f' and ns.nspname = any($1) and nr.nspname = any($1)
		  order by ns.nspname, cs.relname, c.conname`,
		[schemas]
	);
	return rows.map((r) => ({
		constraint: r.constraint,
		schema: r.schema,
		table: r.table,
		columns: r.columns,
		refSchema: r.ref_schema,
		refTable: r.ref_table,
		refColumns: r.ref_columns
	}));
}

/** Types a single unnamed parameter may have: the request body is passed to it whole. */
const BODY_TYPES: ReadonlySet<string> = new Set(['json', 'jsonb', 'text', 'xml', 'bytea']);

/**
 * Which base-table column each view column shows (PostgREST's view key dependencies): read from
 * the view's rewrite rule, whose target entries name their origin table and column. The last
 * entry of a name is the view's own (subqueries come earlier in the rule's text).
 */
export async function readViewColumns(
	db: Db,
	schemas: string[]
): Promise<{ view: number; name: string; table: number; column: string }[]> {
	const { rows } = await db.query<{ view: number; name: string; table: number; column: string }>(
		`with te as (
		   select r.ev_class as view, x.m[1] as name, x.m[2]::oid as tbl, x.m[3]::int2 as col, x.ord
		     from pg_rewrite r join pg_class c on c.oid = r.ev_class join pg_namespace n on n.oid = c.relnamespace
		    cross join lateral regexp_matches(r.ev_action::text,
		          ':resname (\\S+) :ressortgroupref \\d+ :resorigtbl (\\d+) :resorigcol (\\d+)', 'g') with ordinality as x(m, ord)
		    where c.relkind in ('v', 'm') and n.nspname = any($1) and r.rulename = '_RETURN')
		 select distinct on (te.view, te.name) te.view::int as view, te.name, te.tbl::int as table, a.attname as column
		   from te join pg_attribute a on a.attrelid = te.tbl and a.attnum = te.col
		  where te.tbl <> 0 and exists (select 1 from pg_attribute va where va.attrelid = te.view and va.attname = te.name and not va.attisdropped)
		  order by te.view, te.name, te.ord desc`,
		[schemas]
	);
	return rows;
}

/**
 * Functions of the exposed schemas. One returning a table or composite type names it in
 * `resultRel`: its columns come from `readColumns`.
 */
export async function readFunctions(
	db: Db,
	schemas: string[]
): Promise<{ def: FunctionDef; resultRel?: number; rowArgRel?: number; callable: boolean }[]> {
	const { rows } = await db.query<{
		schema: string;
		name: string;
		retset: boolean;
		volatile: string;
		rettype: string;
		rettypename: string;
		typtype: string;
		typrelid: number;
		row_arg_rel: number | null;
		arg_types: number[];
		arg_type_names: string[];
		arg_modes: string[] | null;
		arg_names: string[] | null;
		ndefaults: number;
	}>(
		`select n.nspname as schema, p.proname as name, p.proretset as retset, p.provolatile as volatile,
		        format_type(p.prorettype, null) as rettype, t.typname as rettypename, t.typtype, t.typrelid::int as typrelid,
		        a.types::int[] as arg_types,
		        case when p.pronargs = 1 then (select nullif(at.typrelid, 0)::int from pg_type at where at.oid = p.proargtypes[0]) end as row_arg_rel,
		        array(select format_type(x, null) from unnest(a.types) as x)::text[] as arg_type_names,
		        p.proargmodes::text[] as arg_modes, p.proargnames::text[] as arg_names, p.pronargdefaults as ndefaults
		   from pg_proc p join pg_namespace n on n.oid = p.pronamespace join pg_type t on t.oid = p.prorettype
		   cross join lateral (select coalesce(p.proallargtypes, p.proargtypes::oid[]) as types) a
		  where n.nspname = any($1) and p.prokind = 'f' and p.prorettype <> 'trigger'::regtype`,
		[schemas]
	);
	return rows.map((p) => {
		const modes = p.arg_modes ?? p.arg_types.map(() => 'i');
		const names = p.arg_names ?? [];
		const inputs: FunctionArg[] = [];
		const outputs: Column[] = [];
		p.arg_types.forEach((oid, i) => {
			const mode = modes[i];
			const type = p.arg_type_names[i] ?? 'unknown';
			if (mode === 'i' || mode === 'b' || mode === 'v')
				inputs.push({ name: names[i] ?? '', type, hasDefault: false });
			if (mode === 'o' || mode === 'b' || mode === 't') {
				outputs.push({
					name: names[i] ?? '',
					type,
					typeOid: oid,
					nullable: true,
					hasDefault: false,
					generated: false
				});
			}
		});
		inputs.slice(inputs.length - p.ndefaults).forEach((arg) => (arg.hasDefault = true));
		// PostgREST exposes a function only if its parameters are all named, or it has exactly one
		// unnamed parameter, of a type a whole request body can be (json, jsonb, text, xml, bytea).
		const unnamed = inputs.filter((a) => a.name === '').length;
		const callable = !(
			unnamed > 1 ||
			(unnamed === 1 && (inputs.length !== 1 || !BODY_TYPES.has(inputs[0].type)))
		);
		const composite = p.typtype === 'c';
		let returns: FunctionDef['returns'];
		if (p.rettypename === 'void') returns = { kind: 'void' };
		// Filled in from the type's columns by loadSchema.
		else if (composite) returns = { kind: 'composite', columns: [] };
		// OUT / TABLE parameters (even a single one) make rows with named columns.
		else if (outputs.length > 0) returns = { kind: 'composite', columns: outputs };
		else returns = { kind: 'scalar', type: p.rettype };
		const def: FunctionDef = {
			schema: p.schema,
			name: p.name,
			args: inputs,
			returnsSet: p.retset,
			volatility: p.volatile === 'i' ? 'immutable' : p.volatile === 's' ? 'stable' : 'volatile',
			returns
		};
		// One parameter of a table's row type: a computed field or relationship of that table.
		const rowArgRel = p.row_arg_rel ?? undefined;
		return { def, resultRel: composite ? p.typrelid : undefined, rowArgRel, callable };
	});
}

/** SQL aliases a request may write in casts, mapped to pg_type names. */
const TYPE_ALIASES: Record<string, string> = {
	integer: 'int4',
	int: 'int4',
	smallint: 'int2',
	bigint: 'int8',
	real: 'float4',
	'double precision': 'float8',
	boolean: 'bool',
	decimal: 'numeric',
	varchar: 'varchar',
	'character varying': 'varchar',
	character: 'bpchar',
	char: 'bpchar',
	timestamptz: 'timestamptz',
	'timestamp with time zone': 'timestamptz',
	'timestamp without time zone': 'timestamp',
	'time with time zone': 'timetz',
	'time without time zone': 'time'
};

/** Type names a request may use in `::cast`, mapped to their catalog spelling. */
export async function readCastTypes(db: Db, schemas: string[]): Promise<Map<string, string>> {
	const { rows } = await db.query<{ name: string; spelled: string }>(
		`select t.typname as name, format_type(t.oid, null) as spelled
		   from pg_type t join pg_namespace n on n.oid = t.typnamespace
		  where (n.nspname = 'pg_catalog' or n.nspname = any($1)) and t.typtype in ('b','e','d','r','m') and t.typisdefined`,
		[schemas]
	);
	const types = new Map<string, string>();
	for (const t of rows) if (!types.has(t.name)) types.set(t.name, t.spelled);
	for (const [alias, name] of Object.entries(TYPE_ALIASES)) {
		const spelled = types.get(name);
		if (spelled) types.set(alias, spelled);
	}
	return types;
}

/** `ALTER ROLE anon SET ...` settings of the API roles, database-specific ones last (they win). */
export async function readRoleSettings(db: Db, roles: string[]): Promise<Map<string, [string, string][]>> {
	const { rows } = await db.query<{ role: string; config: string[] }>(
		`select r.rolname as role, s.setconfig::text[] as config
		   from pg_db_role_setting s join pg_roles r on r.oid = s.setrole
		  where r.rolname = any($1) and s.setdatabase in (0, (select oid from pg_database where datname = current_database()))
		  order by s.setdatabase`,
		[roles]
	);
	const settings = new Map<string, [string, string][]>();
	for (const row of rows) {
		const list = settings.get(row.role) ?? [];
		for (const entry of row.config) {
			const at = entry.indexOf('=');
			// The request's own search_path (the exposed schema) wins, as in PostgREST.
			if (at > 0 && entry.slice(0, at) !== 'search_path')
				list.push([entry.slice(0, at), entry.slice(at + 1)]);
		}
		settings.set(row.role, list);
	}
	return settings;
}
