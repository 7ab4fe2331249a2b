// The schema cache: tables, views, columns, keys, foreign keys and functions of the exposed
// schemas, read from pg_catalog. Every identifier the SQL builder emits comes from here.

import type pg from 'pg';

export interface Column {
	name: string;
	/** `format_type()` of the column: a catalog-made type name usable in casts. */
	type: string;
	typeOid: number;
	nullable: boolean;
	hasDefault: boolean;
	/** The column's DEFAULT expression as the catalog prints it (for Prefer: missing=default). */
	defaultExpr?: string;
	generated: boolean;
}

export interface ForeignKey {
	constraint: string;
	/** Referencing side. */
	schema: string;
	table: string;
	columns: string[];
	/** Referenced side. */
	refSchema: string;
	refTable: string;
	refColumns: string[];
}

export interface Relation {
	schema: string;
	name: string;
	kind: 'table' | 'view' | 'materialized view' | 'foreign table';
	columns: Map<string, Column>;
	primaryKey: string[];
	/** Unique constraints and unique indexes (including the primary key). */
	uniqueKeys: string[][];
}

export interface FunctionArg {
	name: string;
	type: string;
	hasDefault: boolean;
}

export interface FunctionDef {
	schema: string;
	name: string;
	args: FunctionArg[];
	returnsSet: boolean;
	volatility: 'immutable' | 'stable' | 'volatile';
	/**
	 * void: no result; scalar: one value per row; composite: rows with `columns`
	 * (a table type, a composite type, or OUT/TABLE parameters).
	 */
	returns:
		| { kind: 'void' }
		| { kind: 'scalar'; type: string }
		| { kind: 'composite'; columns: Column[]; relation?: Relation };
}

export class SchemaCache {
	constructor(
		readonly relations: Map<string, Relation>,
		readonly foreignKeys: ForeignKey[],
		readonly functions: Map<string, FunctionDef[]>,
		/** Type names a request may use in `::cast`, mapped to their catalog spelling. */
		readonly types: Map<string, string>,
		/**
		 * `ALTER ROLE anon SET statement_timeout = '3s'` and the like: PostgREST applies the
		 * impersonated role's settings in each transaction (SET ROLE alone would not).
		 */
		readonly roleSettings: Map<string, [string, string][]> = new Map()
	) {}

	relation(schema: string, name: string): Relation | undefined {
		return this.relations.get(`${schema}.${name}`);
	}

	functionsNamed(schema: string, name: string): FunctionDef[] {
		return this.functions.get(`${schema}.${name}`) ?? [];
	}

	/** The closest table name (PostgREST's "Perhaps you meant" hint), or undefined. */
	suggestTable(schema: string, name: string): string | undefined {
		let best: string | undefined;
		let bestScore = 0.75;
		for (const rel of this.relations.values()) {
			if (rel.schema !== schema) continue;
			const score = similarity(name, rel.name);
			if (score >= bestScore) [best, bestScore] = [rel.name, score];
		}
		return best;
	}
}

/** Dice coefficient over bigrams: good enough for typo suggestions. */
function similarity(a: string, b: string): number {
	const grams = (s: string) => {
		const out: string[] = [];
		const t = `-${s.toLowerCase()}-`;
		for (let i = 0; i < t.length - 1; i++) out.push(t.slice(i, i + 2));
		return out;
	};
	const ga = grams(a);
	const gb = grams(b);
	let hits = 0;
	const pool = [...gb];
	for (const g of ga) {
		const at = pool.indexOf(g);
		if (at >= 0) {
			hits++;
			pool.splice(at, 1);
		}
	}
	return (2 * hits) / (ga.length + gb.length);
}

const KINDS: Record<string, Relation['kind']> = {
	r: 'table',
	p: 'table',
	v: 'view',
	m: 'materialized view',
	f: 'foreign table'
};

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

interface ColumnRow {
	rel: number;
	name: string;
	type: string;
	type_oid: number;
	notnull: boolean;
	hasdef: boolean;
	default_expr: string | null;
	generated: boolean;
}

export async function loadSchema(
	db: pg.Pool | pg.Client,
	schemas: string[],
	roles: string[] = []
): Promise<SchemaCache> {
	const rels = await db.query<{ oid: number; schema: string; name: string; kind: string }>(
		`select c.oid, n.nspname as schema, c.relname as name, c.relkind as kind
		   from pg_class c join pg_namespace n on n.oid = c.relnamespace
		  where n.nspname = any($1) and c.relkind in ('r','p','v','m','f')`,
		[schemas]
	);
	const procs = await db.query<{
		schema: string;
		name: string;
		retset: boolean;
		volatile: string;
		rettype: string;
		rettypename: string;
		typtype: string;
		typrelid: number;
		arg_types: number[];
		arg_modes: string[] | null;
		arg_names: string[] | null;
		ndefaults: number;
	}>(
		`select n.nspname as schema, p.proname as name, p.proretset as retset, p.provolatile as volatile,
		        format_type(p.prorettype, null) as rettype, t.typname as rettypename, t.typtype, t.typrelid::int as typrelid,
		        coalesce(p.proallargtypes, p.proargtypes::oid[])::int[] as arg_types, p.proargmodes::text[] as arg_modes,
		        p.proargnames::text[] as arg_names, p.pronargdefaults as ndefaults
		   from pg_proc p join pg_namespace n on n.oid = p.pronamespace join pg_type t on t.oid = p.prorettype
		  where n.nspname = any($1) and p.prokind = 'f'`,
		[schemas]
	);
	const relOids = [
		...rels.rows.map((r) => r.oid),
		...procs.rows.filter((p) => p.typrelid).map((p) => p.typrelid)
	];
	const cols = await db.query<ColumnRow>(
		`select a.attrelid::int as rel, a.attname as name, format_type(a.atttypid, a.atttypmod) as type, a.atttypid::int as type_oid,
		        a.attnotnull as notnull, a.atthasdef as hasdef, a.attgenerated <> '' as generated,
		        pg_get_expr(d.adbin, d.adrelid) as default_expr
		   from pg_attribute a left join pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum and a.attgenerated = ''
		  where a.attrelid = any($1::oid[]) and a.attnum > 0 and not a.attisdropped
		  order by a.attrelid, a.attnum`,
		[relOids]
	);
	const keys = await db.query<{ rel: number; kind: string; columns: string[] }>(
		`select i.indrelid::int as rel, case when i.indisprimary then 'p' else 'u' end as kind,
		        array(select a.attname from unnest(i.indkey) with ordinality k(attnum, ord)
		              join pg_attribute a on a.attrelid = i.indrelid and a.attnum = k.attnum order by k.ord)::text[] as columns
		   from pg_index i
		  where i.indrelid = any($1::oid[]) and i.indisunique and i.indpred is null and i.indexprs is null`,
		[rels.rows.map((r) => r.oid)]
	);
	const fks = await db.query<{
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
		  where c.contype = 'f' and ns.nspname = any($1) and nr.nspname = any($1)`,
		[schemas]
	);
	const typeOids = [...new Set(procs.rows.flatMap((p) => p.arg_types))];
	const argTypes = await db.query<{ oid: number; name: string }>(
		`select oid::int, format_type(oid, null) as name from pg_type where oid = any($1::oid[])`,
		[typeOids]
	);
	const settings = await db.query<{ role: string; config: string[] }>(
		`select r.rolname as role, s.setconfig::text[] as config
		   from pg_db_role_setting s join pg_roles r on r.oid = s.setrole
		  where r.rolname = any($1) and s.setdatabase in (0, (select oid from pg_database where datname = current_database()))
		  order by s.setdatabase`,
		[roles]
	);
	const castTypes = await db.query<{ name: string; spelled: string }>(
		`select t.typname as name, format_type(t.oid, null) as spelled
		   from pg_type t join pg_namespace n on n.oid = t.typnamespace
		  where (n.nspname = 'pg_catalog' or n.nspname = any($1)) and t.typtype in ('b','e','d','r','m') and t.typisdefined`,
		[schemas]
	);

	const columnsByRel = new Map<number, Column[]>();
	for (const row of cols.rows) {
		let list = columnsByRel.get(row.rel);
		if (!list) columnsByRel.set(row.rel, (list = []));
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
	const relations = new Map<string, Relation>();
	const relByOid = new Map<number, Relation>();
	for (const row of rels.rows) {
		const rel: Relation = {
			schema: row.schema,
			name: row.name,
			kind: KINDS[row.kind],
			columns: new Map((columnsByRel.get(row.oid) ?? []).map((c) => [c.name, c])),
			primaryKey: [],
			uniqueKeys: []
		};
		relations.set(`${row.schema}.${row.name}`, rel);
		relByOid.set(row.oid, rel);
	}
	for (const key of keys.rows) {
		const rel = relByOid.get(key.rel);
		if (!rel) continue;
		if (key.kind === 'p') rel.primaryKey = key.columns;
		rel.uniqueKeys.push(key.columns);
	}

	const typeName = new Map(argTypes.rows.map((t) => [t.oid, t.name]));
	const functions = new Map<string, FunctionDef[]>();
	for (const p of procs.rows) {
		const modes = p.arg_modes ?? p.arg_types.map(() => 'i');
		const names = p.arg_names ?? [];
		const inputs: FunctionArg[] = [];
		const outputs: Column[] = [];
		p.arg_types.forEach((oid, i) => {
			const mode = modes[i];
			const type = typeName.get(oid) ?? 'unknown';
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
		let returns: FunctionDef['returns'];
		if (p.rettypename === 'void') returns = { kind: 'void' };
		else if (p.typtype === 'c') {
			returns = {
				kind: 'composite',
				columns: columnsByRel.get(p.typrelid) ?? [],
				relation: relByOid.get(p.typrelid)
			};
		} else if (outputs.length > 0) {
			// OUT / TABLE parameters (even a single one) make rows with named columns.
			returns = { kind: 'composite', columns: outputs };
		} else returns = { kind: 'scalar', type: p.rettype };
		const def: FunctionDef = {
			schema: p.schema,
			name: p.name,
			args: inputs,
			returnsSet: p.retset,
			volatility: p.volatile === 'i' ? 'immutable' : p.volatile === 's' ? 'stable' : 'volatile',
			returns
		};
		const key = `${p.schema}.${p.name}`;
		functions.set(key, [...(functions.get(key) ?? []), def]);
	}

	const types = new Map<string, string>();
	for (const t of castTypes.rows) if (!types.has(t.name)) types.set(t.name, t.spelled);
	for (const [alias, name] of Object.entries(TYPE_ALIASES)) {
		const spelled = types.get(name);
		if (spelled) types.set(alias, spelled);
	}

	const foreignKeys: ForeignKey[] = fks.rows.map((r) => ({
		constraint: r.constraint,
		schema: r.schema,
		table: r.table,
		columns: r.columns,
		refSchema: r.ref_schema,
		refTable: r.ref_table,
		refColumns: r.ref_columns
	}));
	const roleSettings = new Map<string, [string, string][]>();
	for (const row of settings.rows) {
		const list = roleSettings.get(row.role) ?? [];
		for (const entry of row.config) {
			const at = entry.indexOf('=');
			// The request's own search_path (the exposed schema) wins, as in PostgREST.
			if (at > 0 && entry.slice(0, at) !== 'search_path')
				list.push([entry.slice(0, at), entry.slice(at + 1)]);
		}
		roleSettings.set(row.role, list);
	}
	return new SchemaCache(relations, foreignKeys, functions, types, roleSettings);
}

// ---------------------------------------------------------------- reload after DDL

/**
 * PostgREST's recipe (docs: schema_cache.rst, "automatic schema cache reloading"): event
 * triggers notify channel `pgrst` after DDL. Created idempotently; needs a superuser.
 */
export const DDL_WATCH_SQL = `
create schema if not exists extensions;
create or replace function extensions.pgrst_ddl_watch() returns event_trigger language plpgsql as $$
begin
  perform pg_notify('pgrst', 'reload schema');
end $$;
create or replace function extensions.pgrst_drop_watch() returns event_trigger language plpgsql as $$
begin
  perform pg_notify('pgrst', 'reload schema');
end $$;
do $$
begin
  if not exists (select 1 from pg_event_trigger where evtname = 'pgrst_ddl_watch') then
    create event trigger pgrst_ddl_watch on ddl_command_end execute procedure extensions.pgrst_ddl_watch();
  end if;
  if not exists (select 1 from pg_event_trigger where evtname = 'pgrst_drop_watch') then
    create event trigger pgrst_drop_watch on sql_drop execute procedure extensions.pgrst_drop_watch();
  end if;
end $$;
`;
