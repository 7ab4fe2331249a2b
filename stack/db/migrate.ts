/**
 * Brings a database to the state `supabase db reset` leaves: what the Supabase Postgres image
 * provides (bootstrap/*.sql), then supabase/migrations/*.sql in file-name order (each in its own
 * transaction, recorded in supabase_migrations.schema_migrations like the CLI), then seed.sql.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import type { Logger } from '../log.ts';

export const BOOTSTRAP_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'bootstrap');

export class MigrationError extends Error {
	constructor(
		message: string,
		readonly file: string
	) {
		super(message);
		this.name = 'MigrationError';
	}
}

async function sqlFiles(dir: string): Promise<string[]> {
	try {
		return (await fs.readdir(dir)).filter((name) => name.endsWith('.sql')).sort();
	} catch (error) {
		if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
		throw error;
	}
}

/** "line 3, column 7" for a 1-based character position in the file's text. */
function where(text: string, position: number): string {
	const before = text.slice(0, position - 1).split('\n');
	return `line ${before.length}, column ${before[before.length - 1].length + 1}`;
}

async function runFile(
	client: pg.Client,
	file: string,
	record?: (c: pg.Client) => Promise<void>
): Promise<void> {
	const text = await fs.readFile(file, 'utf8');
	await client.query('begin');
	try {
		await client.query(text);
		if (record) await record(client);
		await client.query('commit');
	} catch (error) {
		await client.query('rollback').catch(() => undefined);
		const e = error as pg.DatabaseError;
		const at = e.position ? ` at ${where(text, Number(e.position))}` : '';
		const detail = [e.detail, e.hint].filter(Boolean).join(' ');
		const shown = path.relative(process.cwd(), file);
		throw new MigrationError(
			`${shown.startsWith('..') ? file : shown} failed${at}: ${e.message}${e.code ? ` (SQLSTATE ${e.code})` : ''}` +
				(detail ? `\n${detail}` : ''),
			file
		);
	}
}

/** Applies the bootstrap files this database has not seen yet; each once, in name order. */
export async function bootstrap(client: pg.Client, log: Logger, dir = BOOTSTRAP_DIR): Promise<number> {
	await client.query(`create schema if not exists supabase_stack;
		create table if not exists supabase_stack.bootstrap (name text primary key, applied_at timestamptz not null default now());
		create table if not exists supabase_stack.seed_owed (since timestamptz not null default now())`);
	const done = new Set(
		(await client.query<{ name: string }>('select name from supabase_stack.bootstrap')).rows.map(
			(r) => r.name
		)
	);
	let applied = 0;
	for (const name of await sqlFiles(dir)) {
		if (done.has(name)) continue;
		log.debug(`bootstrap ${name}`);
		await runFile(client, path.join(dir, name), (c) =>
			c.query('insert into supabase_stack.bootstrap (name) values ($1)', [name]).then(() => undefined)
		);
		applied++;
	}
	return applied;
}

/** Applies pending migrations in order; earlier ones stay applied when a later one fails. */
export async function migrate(client: pg.Client, supabaseDir: string, log: Logger): Promise<string[]> {
	await client.query(`create schema if not exists supabase_migrations;
		create table if not exists supabase_migrations.schema_migrations (version text not null primary key);
		alter table supabase_migrations.schema_migrations add column if not exists statements text[];
		alter table supabase_migrations.schema_migrations add column if not exists name text`);
	const applied = new Set(
		(
			await client.query<{ version: string }>('select version from supabase_migrations.schema_migrations')
		).rows.map((r) => r.version)
	);
	const dir = path.join(supabaseDir, 'migrations');
	const done: string[] = [];
	for (const file of await sqlFiles(dir)) {
		const match = /^(\d+)_?(.*)\.sql$/.exec(file);
		if (!match) {
			log.warn(`skipping ${file}: migration files are named <timestamp>_name.sql`);
			continue;
		}
		const [, version, name] = match;
		if (applied.has(version)) continue;
		const full = path.join(dir, file);
		const text = await fs.readFile(full, 'utf8');
		await runFile(client, full, (c) =>
			c
				.query(
					'insert into supabase_migrations.schema_migrations (version, name, statements) values ($1, $2, $3)',
					[version, name, [text]]
				)
				.then(() => undefined)
		);
		log.info(`applied migration ${file}`);
		done.push(file);
	}
	return done;
}

/** Runs seed.sql (when there is one) and settles the seed a new database owes (see prepareDatabase). */
export async function seed(client: pg.Client, supabaseDir: string, log: Logger): Promise<boolean> {
	const file = path.join(supabaseDir, 'seed.sql');
	const settle = (c: pg.Client) => c.query('delete from supabase_stack.seed_owed').then(() => undefined);
	try {
		await fs.access(file);
	} catch {
		await settle(client);
		return false;
	}
	await runFile(client, file, settle);
	log.info('seeded the database from supabase/seed.sql');
	return true;
}

/** Connects as the superuser, retrying briefly while a just-started server finishes booting. */
export async function connect(dbUrl: string, database?: string): Promise<pg.Client> {
	const url = new URL(dbUrl);
	if (database) url.pathname = `/${database}`;
	for (let attempt = 0; ; attempt++) {
		const client = new pg.Client({ connectionString: url.toString() });
		try {
			await client.connect();
			client.on('error', () => undefined);
			return client;
		} catch (error) {
			await client.end().catch(() => undefined);
			if (attempt >= 20 || (error as pg.DatabaseError).code === '28P01') throw error;
			await new Promise((r) => setTimeout(r, 100));
		}
	}
}

/**
 * Rebuilds the `postgres` database: bootstrap, migrations, seed. The new database is built beside
 * the old one and swapped in, so a running stack's sessions (disconnected by the swap) reconnect
 * to a complete database, never a half-built one; if the rebuild fails, the old one stays.
 */
export async function resetDatabase(dbUrl: string, supabaseDir: string, log: Logger): Promise<void> {
	const next = 'postgres_reset';
	const admin = await connect(dbUrl, 'template1');
	try {
		await admin.query(`drop database if exists ${next} with (force)`);
		await admin.query(`create database ${next}`);
		try {
			const url = new URL(dbUrl);
			url.pathname = `/${next}`;
			await prepareDatabase(url.toString(), supabaseDir, log, { seed: true });
		} catch (error) {
			await admin.query(`drop database if exists ${next} with (force)`).catch(() => undefined);
			throw error;
		}
		await dropWithForce(admin, 'postgres');
		await admin.query(`alter database ${next} rename to postgres`);
	} finally {
		await admin.end();
	}
}

/**
 * DROP DATABASE ... WITH (FORCE) disconnects ordinary sessions but refuses while a logical
 * replication slot streams from the database (the realtime service's): end those walsenders and drop
 * the slots first, again if one reconnected in between.
 */
async function dropWithForce(admin: pg.Client, database: string): Promise<void> {
	for (let attempt = 1; ; attempt++) {
		await admin.query(
			`select pg_terminate_backend(active_pid, 5000) from pg_replication_slots
			 where database = $1 and active_pid is not null`,
			[database]
		);
		// The realtime service's permanent slot belongs to the old database and would block the drop;
		// the stack recreates it on the new one (and tells subscribers to refetch).
		await admin.query(
			`do $$ declare s record; begin
			   for s in select slot_name from pg_replication_slots
			             where database = ${admin.escapeLiteral(database)} and not temporary and active_pid is null loop
			     begin perform pg_drop_replication_slot(s.slot_name);
			     exception when others then null; end;
			   end loop;
			 end $$`
		);
		try {
			await admin.query(`drop database if exists ${admin.escapeIdentifier(database)} with (force)`);
			return;
		} catch (error) {
			if ((error as pg.DatabaseError).code !== '55006' || attempt === 5) throw error;
		}
	}
}

/**
 * Bootstrap and migrations always (both skip what is done); the seed when asked (a new database)
 * or when still owed: a new database whose first start failed in a migration gets its seed on the
 * first start that gets through.
 */
export async function prepareDatabase(
	dbUrl: string,
	supabaseDir: string,
	log: Logger,
	options: { seed: boolean }
): Promise<void> {
	const client = await connect(dbUrl);
	try {
		await bootstrap(client, log);
		if (options.seed) await client.query('insert into supabase_stack.seed_owed default values');
		await migrate(client, supabaseDir, log);
		const owed = await client.query('select 1 from supabase_stack.seed_owed limit 1');
		if (owed.rows.length > 0) await seed(client, supabaseDir, log);
	} finally {
		await client.end();
	}
}
