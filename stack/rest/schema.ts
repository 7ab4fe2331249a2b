// The schema cache: tables, views, columns, keys, foreign keys and functions of the exposed
// schemas, read from pg_catalog (catalog.ts). Every identifier the SQL builder emits comes from here.

import type pg from 'pg';
import {
	readCastTypes,
	readColumns,
	readForeignKeys,
	readFunctions,
	readRelations,
	readRoleSettings,
	readUniqueKeys,
	readViewColumns
} from './catalog.ts';

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
	/**
	 * Functions taking this relation's row as their one parameter, by name: computed fields
	 * (scalar results) and computed relationships (rows of a relation).
	 */
	computed?: Map<string, FunctionDef>;
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

/**
 * Reads the schema cache: one catalog query and decoder per concern (catalog.ts), then joins
 * them: columns and keys onto relations, result columns onto functions.
 */
export async function loadSchema(db: pg.Pool, schemas: string[], roles: string[] = []): Promise<SchemaCache> {
	const [relations, procs, tableKeys, types, roleSettings, viewColumns] = await Promise.all([
		readRelations(db, schemas),
		readFunctions(db, schemas),
		readForeignKeys(db, schemas),
		readCastTypes(db, schemas),
		readRoleSettings(db, roles),
		readViewColumns(db, schemas)
	]);
	const relOids = [...relations.keys()];
	const [columns, keys] = await Promise.all([
		readColumns(db, [...relOids, ...procs.flatMap((p) => (p.resultRel ? [p.resultRel] : []))]),
		readUniqueKeys(db, relOids)
	]);
	const byName = new Map<string, Relation>();
	for (const [oid, rel] of relations) {
		rel.columns = new Map((columns.get(oid) ?? []).map((c) => [c.name, c]));
		byName.set(`${rel.schema}.${rel.name}`, rel);
	}
	for (const key of keys) {
		const rel = relations.get(key.rel);
		if (!rel) continue;
		if (key.primary) rel.primaryKey = key.columns;
		rel.uniqueKeys.push(key.columns);
	}
	const foreignKeys = [...tableKeys, ...viewRelationships(relations, tableKeys, viewColumns)];
	const functions = new Map<string, FunctionDef[]>();
	for (const { def, resultRel, rowArgRel, callable } of procs) {
		if (resultRel) {
			def.returns = {
				kind: 'composite',
				columns: columns.get(resultRel) ?? [],
				relation: relations.get(resultRel)
			};
		}
		const key = `${def.schema}.${def.name}`;
		// Not callable by RPC (unnamed parameters), but possibly a computed field.
		if (callable) functions.set(key, [...(functions.get(key) ?? []), def]);
		const owner = rowArgRel === undefined ? undefined : relations.get(rowArgRel);
		if (owner && def.schema === owner.schema) (owner.computed ??= new Map()).set(def.name, def);
	}
	return new SchemaCache(byName, foreignKeys, functions, types, roleSettings);
}

/**
 * Relationships through views (PostgREST's view key dependencies): a view showing all columns of
 * a foreign key, or of the key it references, takes part in that relationship under its own
 * column names; a view showing a table's unique key has it too.
 */
function viewRelationships(
	relations: Map<number, Relation>,
	tableKeys: ForeignKey[],
	viewColumns: { view: number; name: string; table: number; column: string }[]
): ForeignKey[] {
	/** For a base table: the views showing its columns, each as base column -> view column. */
	const shown = new Map<string, { view: Relation; names: Map<string, string> }[]>();
	const byView = new Map<number, { table: number; names: Map<string, string> }[]>();
	for (const vc of viewColumns) {
		let list = byView.get(vc.view);
		if (!list) byView.set(vc.view, (list = []));
		let entry = list.find((e) => e.table === vc.table);
		if (!entry) list.push((entry = { table: vc.table, names: new Map() }));
		// The first view column showing a base column names it.
		if (!entry.names.has(vc.column)) entry.names.set(vc.column, vc.name);
	}
	for (const [viewOid, tables] of byView) {
		const view = relations.get(viewOid);
		if (!view) continue;
		for (const { table, names } of tables) {
			const base = relations.get(table);
			if (!base) continue;
			const key = `${base.schema}.${base.name}`;
			shown.set(key, [...(shown.get(key) ?? []), { view, names }]);
			for (const unique of base.uniqueKeys) {
				if (unique.every((c) => names.has(c))) view.uniqueKeys.push(unique.map((c) => names.get(c)!));
			}
		}
	}
	const sides = (schema: string, table: string, cols: string[]) => [
		{ schema, table, cols, self: true },
		...(shown.get(`${schema}.${table}`) ?? [])
			.filter((v) => cols.every((c) => v.names.has(c)))
			.map((v) => ({
				schema: v.view.schema,
				table: v.view.name,
				cols: cols.map((c) => v.names.get(c)!),
				self: false
			}))
	];
	const out: ForeignKey[] = [];
	for (const fk of tableKeys) {
		for (const from of sides(fk.schema, fk.table, fk.columns)) {
			for (const to of sides(fk.refSchema, fk.refTable, fk.refColumns)) {
				if (from.self && to.self) continue;
				out.push({
					constraint: fk.constraint,
					schema: from.schema,
					table: from.table,
					columns: from.cols,
					refSchema: to.schema,
					refTable: to.table,
					refColumns: to.cols
				});
			}
		}
	}
	return out;
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
