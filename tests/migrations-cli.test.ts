/**
 * supabase/migrations are real Supabase migrations: the official CLI (`supabase db push`) applies
 * them to a fresh database that holds only what the Supabase image provides, and the schema it
 * builds is the one the stack's own runner built in the main database.
 */
import { execFile } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootstrap } from '../stack/db/migrate.ts';
import { createLogger } from '../stack/log.ts';
import { testEnv } from './helpers.ts';

const run = promisify(execFile);
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const CLI = path.join(ROOT, 'node_modules', 'supabase', 'dist', 'supabase.js');
const FRESH = `cli_check_${process.pid}`;

function urlFor(database: string): string {
	const url = new URL(testEnv().dbUrl);
	url.pathname = `/${database}`;
	url.searchParams.set('sslmode', 'disable');
	return url.toString();
}

async function withClient<T>(database: string, body: (client: pg.Client) => Promise<T>): Promise<T> {
	const client = new pg.Client({ connectionString: urlFor(database) });
	await client.connect();
	try {
		return await body(client);
	} finally {
		await client.end();
	}
}

/** Everything about the public schema a migration decides, read from the catalog in a stable order. */
const SCHEMA_QUERIES: Record<string, string> = {
	columns: `
		select table_name, column_name, ordinal_position, data_type, udt_name, character_maximum_length,
		       is_nullable, column_default, is_generated, generation_expression
		from information_schema.columns where table_schema = 'public'
		order by table_name, ordinal_position`,
	constraints: `
		select conrelid::regclass::text as "table", conname, contype, pg_get_constraintdef(oid) as definition
		from pg_constraint where connamespace = 'public'::regnamespace
		order by 1, 2`,
	indexes: `
		select tablename, indexname, indexdef from pg_indexes where schemaname = 'public'
		order by tablename, indexname`,
	policies: `
		select tablename, policyname, permissive, roles::text[] as roles, cmd, qual, with_check
		from pg_policies where schemaname = 'public'
		order by tablename, policyname`,
	tables: `
		select relname, relkind, relrowsecurity, relforcerowsecurity, relreplident,
		       obj_description(oid, 'pg_class') as comment
		from pg_class where relnamespace = 'public'::regnamespace and relkind in ('r', 'v', 'm', 'p')
		order by relname`,
	triggers: `
		select tgrelid::regclass::text as "table", tgname, pg_get_triggerdef(oid) as definition
		from pg_trigger
		where not tgisinternal
		  and tgrelid in (select oid from pg_class where relnamespace in ('public'::regnamespace, 'auth'::regnamespace))
		order by 1, 2`,
	functions: `
		select proname, pg_get_function_identity_arguments(oid) as arguments, pg_get_function_result(oid) as result,
		       prosecdef, provolatile, proconfig, md5(prosrc) as source, proacl::text[] as acl
		from pg_proc where pronamespace = 'public'::regnamespace
		order by proname, arguments`,
	tablePrivileges: `
		select table_name, grantee, privilege_type from information_schema.role_table_grants
		where table_schema = 'public'
		order by table_name, grantee, privilege_type`,
	columnPrivileges: `
		select c.relname as table_name, a.attname as column_name, acl.grantee::regrole::text as grantee, acl.privilege_type
		from pg_attribute a
		join pg_class c on c.oid = a.attrelid
		cross join lateral aclexplode(a.attacl) acl
		where c.relnamespace = 'public'::regnamespace and a.attacl is not null
		order by 1, 2, 3, 4`,
	publication: `
		select schemaname, tablename from pg_publication_tables where pubname = 'supabase_realtime'
		order by schemaname, tablename`
};

type Snapshot = Record<string, unknown[]>;

async function snapshot(database: string): Promise<Snapshot> {
	return withClient(database, async (client) => {
		const result: Snapshot = {};
		for (const [name, text] of Object.entries(SCHEMA_QUERIES)) result[name] = (await client.query(text)).rows;
		return result;
	});
}

const mainDatabase = (): string => new URL(testEnv().dbUrl).pathname.slice(1) || 'postgres';

beforeAll(async () => {
	await withClient(mainDatabase(), async (admin) => {
		await admin.query(`drop database if exists ${FRESH} with (force)`);
		await admin.query(`create database ${FRESH}`);
	});
	// Only what the Supabase image provides (roles, auth, extensions, publication): no migrations.
	await withClient(FRESH, (client) => bootstrap(client, createLogger('silent')));
}, 60_000);

afterAll(async () => {
	await withClient(mainDatabase(), (admin) => admin.query(`drop database if exists ${FRESH} with (force)`));
});

describe('supabase db push (official CLI)', () => {
	let output = '';

	beforeAll(async () => {
		const pushed = await run(
			process.execPath,
			[CLI, 'db', 'push', '--db-url', urlFor(FRESH), '--include-all', '--yes', '--workdir', ROOT],
			{ cwd: ROOT, timeout: 90_000 }
		);
		output = `${pushed.stdout}\n${pushed.stderr}`;
	}, 120_000);

	it('applies every migration file and records it as the CLI does', async () => {
		const files = (await readdir(path.join(ROOT, 'supabase', 'migrations')))
			.filter((f) => f.endsWith('.sql'))
			.sort();
		expect(files.length).toBeGreaterThan(0);
		for (const file of files) expect(output).toContain(`Applying migration ${file}`);
		const versions = (file: string) => file.split('_')[0];
		const recorded = await withClient(FRESH, async (client) =>
			(
				await client.query('select version from supabase_migrations.schema_migrations order by version')
			).rows.map((r) => r.version)
		);
		expect(recorded).toEqual(files.map(versions));
	});

	it('builds the same schema as the stack’s migration runner', async () => {
		const [viaCli, viaStack] = await Promise.all([snapshot(FRESH), snapshot(mainDatabase())]);
		expect(viaCli.columns.length).toBeGreaterThan(0);
		expect(viaCli.policies.length).toBeGreaterThan(0);
		for (const name of Object.keys(SCHEMA_QUERIES)) expect(viaCli[name], name).toEqual(viaStack[name]);
	});

	it('sees nothing left to push on a second run', async () => {
		const again = await run(
			process.execPath,
			[CLI, 'db', 'push', '--db-url', urlFor(FRESH), '--include-all', '--yes', '--workdir', ROOT],
			{ cwd: ROOT, timeout: 90_000 }
		);
		expect(`${again.stdout}\n${again.stderr}`).toMatch(/up to date/i);
	}, 120_000);
});
