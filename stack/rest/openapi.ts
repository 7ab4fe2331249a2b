// GET /rest/v1/ : the OpenAPI 2.0 description PostgREST serves at its root (what
// `supabase.getOpenApiSpec()` reads), listing only what the caller's role may use.

import type pg from 'pg';
import type { Column, FunctionDef, Relation, SchemaCache } from './schema.ts';

type Json = Record<string, unknown>;

/** PostgREST's mapping of Postgres types to OpenAPI types. */
function property(column: Pick<Column, 'type'>, note?: string): Json {
	const t = column.type;
	const base = t.replace(/\(.*\)/, '').replace(/\[\]$/, '');
	let out: Json;
	if (t.endsWith('[]')) out = { type: 'array', items: { type: scalarType(base) }, format: t };
	else if (base === 'json' || base === 'jsonb') out = { format: base };
	else out = { type: scalarType(base), format: t };
	if (note) out.description = note;
	return out;
}

function scalarType(base: string): string {
	if (['smallint', 'integer', 'bigint'].includes(base)) return 'integer';
	if (['numeric', 'real', 'double precision'].includes(base)) return 'number';
	if (base === 'boolean') return 'boolean';
	return 'string';
}

function definition(rel: Relation): Json {
	const properties: Json = {};
	for (const column of rel.columns.values()) {
		properties[column.name] = property(
			column,
			rel.primaryKey.includes(column.name) ? 'Note:\nThis is a Primary Key.<pk/>' : undefined
		);
	}
	const required = [...rel.columns.values()]
		.filter((c) => !c.nullable && !c.hasDefault && !c.generated)
		.map((c) => c.name);
	return { ...(required.length ? { required } : {}), properties, type: 'object' };
}

const ok = (description: string) => ({ description });

function relationPaths(rel: Relation, privileges: Set<string>): Json {
	const ref = { $ref: `#/definitions/${rel.name}` };
	const tags = [rel.name];
	const path: Json = {};
	if (privileges.has('SELECT')) {
		path.get = {
			tags,
			responses: {
				200: { description: 'OK', schema: { type: 'array', items: ref } },
				206: ok('Partial Content')
			}
		};
	}
	if (privileges.has('INSERT')) {
		path.post = {
			tags,
			parameters: [{ in: 'body', name: rel.name, required: false, schema: ref }],
			responses: { 201: ok('Created') }
		};
	}
	if (privileges.has('UPDATE')) {
		path.patch = {
			tags,
			parameters: [{ in: 'body', name: rel.name, required: false, schema: ref }],
			responses: { 204: ok('No Content') }
		};
	}
	if (privileges.has('DELETE')) path.delete = { tags, responses: { 204: ok('No Content') } };
	return path;
}

function functionPath(fn: FunctionDef): Json {
	const properties: Json = {};
	for (const arg of fn.args) properties[arg.name] = property(arg);
	const required = fn.args.filter((a) => !a.hasDefault).map((a) => a.name);
	const tags = [`(rpc) ${fn.name}`];
	const path: Json = {
		post: {
			tags,
			parameters: [
				{
					in: 'body',
					name: 'args',
					required: true,
					schema: { ...(required.length ? { required } : {}), properties, type: 'object' }
				}
			],
			produces: ['application/json', 'application/vnd.pgrst.object+json'],
			responses: { 200: ok('OK') }
		}
	};
	if (fn.volatility !== 'volatile') {
		path.get = {
			tags,
			parameters: fn.args.map((a) => ({
				in: 'query',
				name: a.name,
				required: !a.hasDefault,
				...property(a)
			})),
			responses: { 200: ok('OK') }
		};
	}
	return path;
}

export async function openApiSpec(
	db: pg.Pool,
	cache: SchemaCache,
	schema: string,
	role: string,
	host: string
): Promise<Json> {
	const [tables, functions] = await Promise.all([
		db.query<{ name: string; privileges: string[] }>(
			`select c.relname as name,
			        array(select p from unnest(array['SELECT','INSERT','UPDATE','DELETE']) p where has_table_privilege($2, c.oid, p)
			              or (p in ('INSERT','UPDATE') and has_any_column_privilege($2, c.oid, p))) as privileges
			   from pg_class c join pg_namespace n on n.oid = c.relnamespace
			  where n.nspname = $1 and c.relkind in ('r','p','v','m','f')`,
			[schema, role]
		),
		db.query<{ name: string }>(
			`select distinct p.proname as name from pg_proc p join pg_namespace n on n.oid = p.pronamespace
			  where n.nspname = $1 and p.prokind = 'f' and has_function_privilege($2, p.oid, 'EXECUTE')`,
			[schema, role]
		)
	]);
	const paths: Json = {
		'/': {
			get: {
				tags: ['Introspection'],
				summary: 'OpenAPI description (this document)',
				produces: ['application/openapi+json', 'application/json'],
				responses: { 200: ok('OK') }
			}
		}
	};
	const definitions: Json = {};
	for (const row of tables.rows.sort((a, b) => a.name.localeCompare(b.name))) {
		const rel = cache.relation(schema, row.name);
		if (!rel || row.privileges.length === 0) continue;
		paths[`/${rel.name}`] = relationPaths(rel, new Set(row.privileges));
		definitions[rel.name] = definition(rel);
	}
	for (const row of functions.rows.sort((a, b) => a.name.localeCompare(b.name))) {
		const [fn] = cache.functionsNamed(schema, row.name);
		if (fn) paths[`/rpc/${fn.name}`] = functionPath(fn);
	}
	return {
		swagger: '2.0',
		info: { description: '', title: 'standard public schema', version: '12.2.3 (beacon local stack)' },
		host,
		basePath: '/',
		schemes: ['http'],
		consumes: [
			'application/json',
			'application/vnd.pgrst.object+json;nulls=stripped',
			'application/vnd.pgrst.object+json',
			'text/csv'
		],
		produces: [
			'application/json',
			'application/vnd.pgrst.object+json;nulls=stripped',
			'application/vnd.pgrst.object+json',
			'text/csv'
		],
		paths,
		definitions
	};
}
