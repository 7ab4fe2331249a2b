/**
 * The database lifecycle promised by issue #2: a second start is idempotent, busy ports, failing
 * migrations and foreign data folders give sentences that say what to do, `db:reset` rebuilds the
 * seed under live connections, and `npm run stack` prints its status and stops cleanly on SIGTERM.
 * Each test runs its own embedded Postgres in a throwaway folder on free ports.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import getPort from 'get-port';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { MigrationError, resetDatabase } from '../stack/db/migrate.ts';
import { assertPortFree, startCluster, StackStartError } from '../stack/db/postgres.ts';
import { loadConfig, LOCAL_KEYS, startDatabase, startStack, type StackConfig } from '../stack/index.ts';
import type { Logger } from '../stack/log.ts';
import { eventually } from './helpers.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SUPABASE_DIR = path.join(ROOT, 'supabase');
const IS_ROOT = process.getuid?.() === 0;
/** The developer's own stack lives on these; tests never touch them. */
const DEFAULT_PORTS = [54321, 54322];

const cleanups: Array<() => Promise<unknown>> = [];
afterAll(async () => {
	for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
});

async function tempDir(prefix: string): Promise<string> {
	const dir = await mkdtemp(path.join(os.tmpdir(), `beacon-lifecycle-${prefix}-`));
	cleanups.push(() => rm(dir, { recursive: true, force: true }));
	return dir;
}

async function freePorts(): Promise<{ db: number; api: number }> {
	const db = await getPort({ host: '127.0.0.1', exclude: DEFAULT_PORTS });
	const api = await getPort({ host: '127.0.0.1', exclude: [...DEFAULT_PORTS, db] });
	return { db, api };
}

/** A config for an isolated stack: its own folder and ports. */
async function isolatedConfig(env: Record<string, string> = {}): Promise<StackConfig> {
	const ports = await freePorts();
	return loadConfig({
		STACK_DIR: path.join(await tempDir('stack'), 'stack'),
		STACK_DB_PORT: String(ports.db),
		STACK_API_PORT: String(ports.api),
		STACK_SUPABASE_DIR: SUPABASE_DIR,
		STACK_LOG_LEVEL: 'silent',
		STACK_DB_FAST: '1',
		...env
	});
}

/** A logger that keeps what the stack says, so tests can assert on it. */
function recordingLogger(): { log: Logger; lines: string[] } {
	const lines: string[] = [];
	const keep = (message: string) => void lines.push(message);
	return { log: { debug: () => undefined, info: keep, warn: keep, error: keep }, lines };
}

async function withClient<T>(dbUrl: string, body: (client: pg.Client) => Promise<T>): Promise<T> {
	const client = new pg.Client({ connectionString: dbUrl });
	await client.connect();
	try {
		return await body(client);
	} finally {
		await client.end();
	}
}

async function count(client: pg.Client, table: string): Promise<number> {
	const { rows } = await client.query<{ n: number }>(`select count(*)::int as n from ${table}`);
	return rows[0].n;
}

/** Polls until `check` holds; for states no event announces (e.g. a replication slot going live). */
async function until(check: () => Promise<boolean>, what: string, timeoutMs = 15_000): Promise<void> {
	await eventually(
		async () => ((await check()) ? true : undefined),
		timeoutMs,
		`timed out waiting for ${what}`
	);
}

async function migrationsOnDisk(dir = SUPABASE_DIR): Promise<Array<{ version: string; name: string }>> {
	return (await readdir(path.join(dir, 'migrations')))
		.filter((file) => file.endsWith('.sql'))
		.sort()
		.map((file) => {
			const [, version, name] = /^(\d+)_?(.*)\.sql$/.exec(file)!;
			return { version, name };
		});
}

describe('a second start on an existing data folder', () => {
	it('keeps the data, does not re-seed and applies no migration twice', async () => {
		const config = await isolatedConfig();
		const first = await startDatabase(config, recordingLogger().log);
		cleanups.push(() => first.cluster.stop());
		const before = await withClient(config.dbUrl, async (client) => {
			await client.query(
				`insert into public.notifications (user_id, category, priority, title)
				 select id, 'system', 'normal', 'survives a restart' from auth.users where email = 'alice@example.com'`
			);
			return {
				users: await count(client, 'auth.users'),
				profiles: await count(client, 'public.profiles'),
				notifications: await count(client, 'public.notifications')
			};
		});
		expect(before.users).toBeGreaterThan(0);
		expect(before.notifications).toBeGreaterThan(1);
		await first.cluster.stop();

		const { log, lines } = recordingLogger();
		const second = await startDatabase(config, log);
		cleanups.push(() => second.cluster.stop());
		try {
			expect(lines.filter((line) => /creating|applied migration|seeded/.test(line))).toEqual([]);
			await withClient(config.dbUrl, async (client) => {
				expect({
					users: await count(client, 'auth.users'),
					profiles: await count(client, 'public.profiles'),
					notifications: await count(client, 'public.notifications')
				}).toEqual(before);
				const kept = await client.query(
					`select 1 from public.notifications where title = 'survives a restart'`
				);
				expect(kept.rowCount).toBe(1);
				// The table `supabase migration list` and `db push` read, with the CLI's columns.
				const { rows } = await client.query<{ version: string; name: string; statements: string[] }>(
					'select version, name, statements from supabase_migrations.schema_migrations order by version'
				);
				expect(rows.map(({ version, name }) => ({ version, name }))).toEqual(await migrationsOnDisk());
				expect(rows[0].statements.join('\n')).toContain('create table');
			});
		} finally {
			await second.cluster.stop();
		}
	});
});

/** Holds a port the way another program would. */
async function occupy(port: number): Promise<net.Server> {
	const server = net.createServer();
	await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
	cleanups.push(() => new Promise((resolve) => server.close(resolve)));
	return server;
}

describe('a busy port', () => {
	it('STACK_DB_PORT: says which port and which setting to change', async () => {
		const config = await isolatedConfig();
		await occupy(config.dbPort);
		const started = startDatabase(config, recordingLogger().log);
		await expect(started).rejects.toBeInstanceOf(StackStartError);
		await expect(started).rejects.toThrow(
			new RegExp(`Port ${config.dbPort} on 127\\.0\\.0\\.1 is already in use.*STACK_DB_PORT=`)
		);
		expect(existsSync(path.join(config.dir, 'db'))).toBe(false);
	});

	it('STACK_API_PORT: says so before the database starts', async () => {
		const config = await isolatedConfig();
		await occupy(config.apiPort);
		const started = startStack(config, recordingLogger().log);
		await expect(started).rejects.toBeInstanceOf(StackStartError);
		await expect(started).rejects.toThrow(
			new RegExp(`Port ${config.apiPort} on 127\\.0\\.0\\.1 is already in use.*STACK_API_PORT=`)
		);
		await assertPortFree(config.host, config.dbPort, 'STACK_DB_PORT');
	});
});

describe('a failing migration', () => {
	it('names the file, line, Postgres message and SQLSTATE; earlier migrations stay; a fix applies', async () => {
		const supabaseDir = await tempDir('supabase');
		const migrations = path.join(supabaseDir, 'migrations');
		await mkdir(migrations);
		await writeFile(
			path.join(migrations, '001_ok.sql'),
			'create table public.lifecycle_ok (id int primary key);\ninsert into public.lifecycle_ok values (1);\n'
		);
		const bad = path.join(migrations, '002_bad.sql');
		await writeFile(
			bad,
			'-- a second table, with a typo\ncreate table public.lifecycle_second (id int);\nselec 1;\n'
		);
		await writeFile(path.join(supabaseDir, 'seed.sql'), 'insert into public.lifecycle_ok values (2);\n');
		const config = await isolatedConfig({ STACK_SUPABASE_DIR: supabaseDir });

		const failed = await startDatabase(config, recordingLogger().log).then(
			() => undefined,
			(error: unknown) => error
		);
		expect(failed).toBeInstanceOf(MigrationError);
		const error = failed as MigrationError;
		expect(error.file).toBe(bad);
		expect(error.message).toContain('002_bad.sql');
		expect(error.message).toContain('line 3, column 1');
		expect(error.message).toContain('syntax error at or near "selec"');
		expect(error.message).toContain('SQLSTATE 42601');
		// startDatabase stopped the cluster it started.
		await assertPortFree(config.host, config.dbPort, 'STACK_DB_PORT');

		const cluster = await startCluster(config, recordingLogger().log);
		cleanups.push(() => cluster.stop());
		try {
			await withClient(config.dbUrl, async (client) => {
				const { rows } = await client.query<{ version: string }>(
					'select version from supabase_migrations.schema_migrations order by version'
				);
				expect(rows.map((r) => r.version)).toEqual(['001']);
				expect(await count(client, 'public.lifecycle_ok')).toBe(1);
				const second = await client.query(`select to_regclass('public.lifecycle_second') as t`);
				expect(second.rows[0].t).toBeNull();
			});
		} finally {
			await cluster.stop();
		}

		await writeFile(bad, '-- a second table\ncreate table public.lifecycle_second (id int);\nselect 1;\n');
		const { log, lines } = recordingLogger();
		const fixed = await startDatabase(config, log);
		cleanups.push(() => fixed.cluster.stop());
		try {
			expect(lines.filter((line) => line.startsWith('applied migration'))).toEqual([
				'applied migration 002_bad.sql'
			]);
			await withClient(config.dbUrl, async (client) => {
				const { rows } = await client.query<{ version: string; name: string }>(
					'select version, name from supabase_migrations.schema_migrations order by version'
				);
				expect(rows).toEqual([
					{ version: '001', name: 'ok' },
					{ version: '002', name: 'bad' }
				]);
				// The first start never got to its seed; the first successful one still owes it.
				const ids = await client.query<{ id: number }>('select id from public.lifecycle_ok order by id');
				expect(ids.rows.map((r) => r.id)).toEqual([1, 2]);
			});
		} finally {
			await fixed.cluster.stop();
		}
	});
});

describe('a failing migration during db:reset', () => {
	it('leaves the database as it was', async () => {
		const supabaseDir = await tempDir('supabase');
		await mkdir(path.join(supabaseDir, 'migrations'));
		await writeFile(
			path.join(supabaseDir, 'migrations', '001_ok.sql'),
			'create table public.lifecycle_ok (id int primary key);\n'
		);
		await writeFile(path.join(supabaseDir, 'seed.sql'), 'insert into public.lifecycle_ok values (1);\n');
		const config = await isolatedConfig({ STACK_SUPABASE_DIR: supabaseDir });
		const db = await startDatabase(config, recordingLogger().log);
		cleanups.push(() => db.cluster.stop());
		try {
			await withClient(config.dbUrl, (client) => client.query('insert into public.lifecycle_ok values (7)'));
			await writeFile(path.join(supabaseDir, 'migrations', '002_bad.sql'), 'select 1/0;\n');
			const reset = resetDatabase(config.dbUrl, config.supabaseDir, recordingLogger().log);
			await expect(reset).rejects.toBeInstanceOf(MigrationError);
			await expect(reset).rejects.toThrow(/002_bad\.sql failed: division by zero \(SQLSTATE 22012\)/);
			await withClient(config.dbUrl, async (client) => {
				const ids = await client.query<{ id: number }>('select id from public.lifecycle_ok order by id');
				expect(ids.rows.map((r) => r.id)).toEqual([1, 7]);
				const databases = await client.query(
					`select datname from pg_database where datname like 'postgres%'`
				);
				expect(databases.rows).toEqual([{ datname: 'postgres' }]);
			});
		} finally {
			await db.cluster.stop();
		}
	});
});

describe('a data folder the stack cannot use', () => {
	it('from another PostgreSQL version: says which versions and what to do', async () => {
		const config = await isolatedConfig();
		await mkdir(path.join(config.dir, 'db'), { recursive: true });
		await writeFile(path.join(config.dir, 'db', 'PG_VERSION'), '16\n');
		const started = startDatabase(config, recordingLogger().log);
		await expect(started).rejects.toBeInstanceOf(StackStartError);
		await expect(started).rejects.toThrow(/PostgreSQL 16.*PostgreSQL 17.*Delete it .*STACK_DIR/);
		await assertPortFree(config.host, config.dbPort, 'STACK_DB_PORT');
	});

	it('that is not a PostgreSQL data folder at all: says so', async () => {
		const config = await isolatedConfig();
		await mkdir(path.join(config.dir, 'db'), { recursive: true });
		await writeFile(path.join(config.dir, 'db', 'notes.txt'), 'not a database\n');
		const started = startDatabase(config, recordingLogger().log);
		await expect(started).rejects.toBeInstanceOf(StackStartError);
		await expect(started).rejects.toThrow(/db exists but is not a PostgreSQL data folder.*STACK_DIR/);
		expect(await readFile(path.join(config.dir, 'db', 'notes.txt'), 'utf8')).toBe('not a database\n');
	});
});

describe('db:reset', () => {
	it('restores the seed and disconnects other sessions', async () => {
		const config = await isolatedConfig();
		const db = await startDatabase(config, recordingLogger().log);
		cleanups.push(() => db.cluster.stop());
		const bystander = new pg.Client({ connectionString: config.dbUrl });
		bystander.on('error', () => undefined);
		try {
			await bystander.connect();
			const seeded = {
				users: await count(bystander, 'auth.users'),
				notifications: await count(bystander, 'public.notifications')
			};
			await bystander.query('delete from public.notifications');
			await bystander.query(`delete from auth.users where email = 'dave@example.com'`);
			expect(await count(bystander, 'public.notifications')).toBe(0);

			await resetDatabase(config.dbUrl, config.supabaseDir, recordingLogger().log);

			await expect(bystander.query('select 1')).rejects.toThrow();
			await withClient(config.dbUrl, async (client) => {
				expect({
					users: await count(client, 'auth.users'),
					notifications: await count(client, 'public.notifications')
				}).toEqual(seeded);
				const { rows } = await client.query<{ version: string }>(
					'select version from supabase_migrations.schema_migrations order by version'
				);
				expect(rows.map((r) => r.version)).toEqual((await migrationsOnDisk()).map((m) => m.version));
			});
		} finally {
			await bystander.end().catch(() => undefined);
			await db.cluster.stop();
		}
	});

	it('works while the whole stack runs, realtime replication included', { timeout: 90_000 }, async () => {
		const config = await isolatedConfig();
		const stack = await startStack(config, recordingLogger().log);
		cleanups.push(() => stack.stop());
		const streaming = `select count(*)::int as n from pg_replication_slots where database = 'postgres' and active`;
		try {
			await withClient(config.dbUrl, async (client) => {
				await until(
					async () => (await client.query(streaming)).rows[0].n > 0,
					'the realtime replication slot'
				);
				await client.query('delete from public.notifications');
			});
			await resetDatabase(config.dbUrl, config.supabaseDir, recordingLogger().log);
			await withClient(config.dbUrl, async (client) => {
				expect(await count(client, 'public.notifications')).toBeGreaterThan(0);
				// The services reconnect to the rebuilt database: realtime streams from it again...
				await until(async () => (await client.query(streaming)).rows[0].n > 0, 'realtime to stream again');
			});
			// ...and REST serves its rows.
			const response = await fetch(`${stack.url}/rest/v1/notifications?select=id`, {
				headers: { apikey: LOCAL_KEYS.serviceRole, authorization: `Bearer ${LOCAL_KEYS.serviceRole}` }
			});
			expect(response.status).toBe(200);
			expect(((await response.json()) as unknown[]).length).toBeGreaterThan(0);
		} finally {
			await stack.stop();
		}
	});
});

/** Runs `node --import tsx stack/cli.ts <command>` with the given environment, collecting output. */
function cli(command: string, env: Record<string, string>) {
	const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'stack/cli.ts', command], {
		cwd: ROOT,
		env: { ...process.env, STACK_DB_FAST: '1', STACK_LOG_LEVEL: 'info', ...env },
		stdio: ['ignore', 'pipe', 'pipe']
	});
	cleanups.push(async () => {
		if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
	});
	let stdout = '';
	let stderr = '';
	const waiters: Array<() => void> = [];
	child.stdout!.on('data', (chunk: Buffer) => {
		stdout += chunk.toString();
		for (const wake of waiters.splice(0)) wake();
	});
	child.stderr!.on('data', (chunk: Buffer) => void (stderr += chunk.toString()));
	const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
		child.once('exit', (code, signal) => {
			for (const wake of waiters.splice(0)) wake();
			resolve({ code, signal });
		})
	);
	return {
		child,
		exited,
		get stdout() {
			return stdout;
		},
		get stderr() {
			return stderr;
		},
		/** Resolves once stdout contains `text`; rejects if the process exits first. */
		async printed(text: string): Promise<void> {
			while (!stdout.includes(text)) {
				if (child.exitCode !== null || child.signalCode !== null) {
					throw new Error(`exited (${child.exitCode}) before printing "${text}":\n${stdout}\n${stderr}`);
				}
				await new Promise<void>((resolve) => waiters.push(resolve));
			}
		}
	};
}

function cliEnv(config: StackConfig): Record<string, string> {
	return {
		STACK_DIR: config.dir,
		STACK_DB_PORT: String(config.dbPort),
		STACK_API_PORT: String(config.apiPort),
		STACK_SUPABASE_DIR: config.supabaseDir
	};
}

describe('the command line', () => {
	it(
		'`stack start` prints the status block; SIGTERM stops everything cleanly',
		{ timeout: 120_000 },
		async () => {
			const config = await isolatedConfig();
			const run = cli('start', cliEnv(config));
			await run.printed('Press Ctrl-C to stop.');
			expect(run.stdout).toContain(
				`DB URL: postgresql://postgres:postgres@127.0.0.1:${config.dbPort}/postgres`
			);
			expect(run.stdout).toContain(`API URL: http://127.0.0.1:${config.apiPort}`);
			expect(run.stdout).toContain(`anon key: ${LOCAL_KEYS.anon}`);
			expect(run.stdout).toContain(`service_role key: ${LOCAL_KEYS.serviceRole}`);
			expect(run.stdout).toContain(`Publishable key: ${LOCAL_KEYS.publishable}`);
			await withClient(config.dbUrl, async (client) => {
				expect(await count(client, 'public.notifications')).toBeGreaterThan(0);
			});

			run.child.kill('SIGTERM');
			expect(await run.exited).toEqual({ code: 0, signal: null });
			// Services closed before Postgres went down, so none of them lost its connection.
			expect(run.stderr).not.toMatch(/connection lost|terminating connection/);
			await assertPortFree(config.host, config.dbPort, 'STACK_DB_PORT');
			await assertPortFree(config.host, config.apiPort, 'STACK_API_PORT');
			expect(existsSync(path.join(config.dir, 'db', 'postmaster.pid'))).toBe(false);
		}
	);

	it('`stack start` on a busy port prints the sentence, not a stack trace, and exits 1', async () => {
		const config = await isolatedConfig();
		await occupy(config.dbPort);
		const run = cli('start', cliEnv(config));
		expect(await run.exited).toEqual({ code: 1, signal: null });
		expect(run.stderr.trim()).toBe(
			`Port ${config.dbPort} on 127.0.0.1 is already in use. Stop whatever holds it, or choose another port with ` +
				`STACK_DB_PORT=<port> (for example STACK_DB_PORT=${config.dbPort + 100} npm run stack).`
		);
	});

	it('`db:reset` rebuilds from edited migrations the old database could not take', async () => {
		const supabaseDir = await tempDir('supabase');
		const migrations = path.join(supabaseDir, 'migrations');
		await mkdir(migrations);
		await writeFile(path.join(migrations, '001_table.sql'), 'create table public.lifecycle_t (a int);\n');
		const config = await isolatedConfig({ STACK_SUPABASE_DIR: supabaseDir });
		const db = await startDatabase(config, recordingLogger().log);
		await db.cluster.stop();
		// The developer renames the column in the applied migration and builds on it in a new one.
		await writeFile(path.join(migrations, '001_table.sql'), 'create table public.lifecycle_t (b int);\n');
		await writeFile(path.join(migrations, '002_index.sql'), 'create index on public.lifecycle_t (b);\n');

		const run = cli('reset', cliEnv(config));
		expect(await run.exited, run.stderr).toEqual({ code: 0, signal: null });
		const again = await startCluster(config, recordingLogger().log);
		cleanups.push(() => again.stop());
		try {
			await withClient(config.dbUrl, async (client) => {
				const { rows } = await client.query(
					`select column_name from information_schema.columns where table_name = 'lifecycle_t'`
				);
				expect(rows).toEqual([{ column_name: 'b' }]);
			});
		} finally {
			await again.stop();
		}
	});

	it(
		'`db:reset` with no stack running starts only the database, rebuilds it and stops it',
		{ timeout: 90_000 },
		async () => {
			const config = await isolatedConfig();
			const run = cli('reset', cliEnv(config));
			expect(await run.exited).toEqual({ code: 0, signal: null });
			expect(run.stdout).toMatch(/Database reset in [\d.]+ s/);
			await assertPortFree(config.host, config.dbPort, 'STACK_DB_PORT');
			expect(existsSync(path.join(config.dir, 'db', 'PG_VERSION'))).toBe(true);
			expect(existsSync(path.join(config.dir, 'db', 'postmaster.pid'))).toBe(false);
		}
	);

	it('`db:reset` against a running database rebuilds it in place', { timeout: 90_000 }, async () => {
		const config = await isolatedConfig();
		const db = await startDatabase(config, recordingLogger().log);
		cleanups.push(() => db.cluster.stop());
		try {
			const seeded = await withClient(config.dbUrl, async (client) => {
				const n = await count(client, 'public.notifications');
				await client.query('delete from public.notifications');
				return n;
			});
			const run = cli('reset', cliEnv(config));
			expect(await run.exited).toEqual({ code: 0, signal: null });
			await withClient(config.dbUrl, async (client) => {
				expect(await count(client, 'public.notifications')).toBe(seeded);
			});
		} finally {
			await db.cluster.stop();
		}
	});
});

describe('where the data folder lives (as root, Postgres runs as the postgres OS user)', () => {
	it('a relative STACK_DIR works', async () => {
		const absolute = path.join(await tempDir('relative'), 'stack');
		const config = await isolatedConfig({ STACK_DIR: path.relative(process.cwd(), absolute) });
		expect(config.dir).toBe(absolute);
		const db = await startDatabase(config, recordingLogger().log);
		cleanups.push(() => db.cluster.stop());
		try {
			await withClient(config.dbUrl, async (client) => {
				expect(await count(client, 'auth.users')).toBeGreaterThan(0);
			});
		} finally {
			await db.cluster.stop();
		}
	});

	it('a parent others cannot enter is opened to them (o+x), and the stack says so', async () => {
		const parent = await tempDir('private');
		await chmod(parent, 0o700);
		const config = await isolatedConfig({ STACK_DIR: path.join(parent, 'stack') });
		const { log, lines } = recordingLogger();
		const db = await startDatabase(config, log);
		cleanups.push(() => db.cluster.stop());
		try {
			if (IS_ROOT) {
				expect(statSync(parent).mode & 0o001).toBe(0o001);
				expect(lines).toContain(
					`granted other users search access to ${parent} so the postgres OS user can reach ${path.join(config.dir, 'db')}`
				);
			}
			await withClient(config.dbUrl, async (client) => {
				expect(await count(client, 'auth.users')).toBeGreaterThan(0);
			});
		} finally {
			await db.cluster.stop();
		}
	});

	it('a restrictive umask (077) does not lock the postgres OS user out', async () => {
		const config = await isolatedConfig();
		const db = await (async () => {
			const previous = process.umask(0o077);
			try {
				return await startDatabase(config, recordingLogger().log);
			} finally {
				process.umask(previous);
			}
		})();
		cleanups.push(() => db.cluster.stop());
		try {
			await withClient(config.dbUrl, async (client) => {
				expect(await count(client, 'auth.users')).toBeGreaterThan(0);
			});
		} finally {
			await db.cluster.stop();
		}
	});
});
