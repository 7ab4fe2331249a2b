/**
 * `npm run gen:types`: writes src/lib/database.types.ts, the `Database` type of the public schema,
 * generated the way `supabase gen types typescript` does (same generator, @supabase/postgres-meta)
 * from the migrations in supabase/migrations, applied to a throwaway embedded database.
 * Run it after adding a migration; tests/database-types.test.ts fails until you do.
 */
import { execFile } from 'node:child_process';
import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import getPort from 'get-port';
import * as prettier from 'prettier';
import { loadConfig, tempStackDir } from '../stack/config.ts';
import { connect, prepareDatabase } from '../stack/db/migrate.ts';
import { startCluster } from '../stack/db/postgres.ts';
import { createLogger } from '../stack/log.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const TYPES_FILE = path.join(ROOT, 'src/lib/database.types.ts');
const SERVER = path.join(ROOT, 'node_modules/@supabase/postgres-meta/dist/server/server.js');

/** The generator's output for the database at `dbUrl`, formatted with the project's Prettier settings. */
export async function generateTypes(dbUrl: string): Promise<string> {
	const { stdout } = await promisify(execFile)(process.execPath, [SERVER], {
		env: {
			...process.env,
			PG_META_DB_URL: dbUrl,
			PG_META_GENERATE_TYPES: 'typescript',
			PG_META_GENERATE_TYPES_INCLUDED_SCHEMAS: 'public'
		},
		maxBuffer: 16 * 1024 * 1024,
		timeout: 120_000
	});
	if (!stdout.includes('export type Database')) {
		throw new Error(`postgres-meta printed no Database type:\n${stdout.slice(0, 500)}`);
	}
	const options = (await prettier.resolveConfig(TYPES_FILE)) ?? {};
	return prettier.format(stdout, { ...options, filepath: TYPES_FILE });
}

/**
 * The types the migrations generate, from a new database built beside the others in the cluster
 * at `dbUrl` (bootstrap and migrations, no seed) and dropped afterwards.
 */
export async function generateTypesFromMigrations(dbUrl: string): Promise<string> {
	const name = `beacon_types_${process.pid}_${Date.now().toString(36)}`;
	const admin = await connect(dbUrl, 'template1');
	try {
		await admin.query(`create database ${name}`);
		try {
			const url = new URL(dbUrl);
			url.pathname = `/${name}`;
			await prepareDatabase(url.toString(), path.join(ROOT, 'supabase'), createLogger('warn'), {
				seed: false
			});
			return await generateTypes(url.toString());
		} finally {
			await admin.query(`drop database if exists ${name} with (force)`);
		}
	} finally {
		await admin.end();
	}
}

async function main() {
	const dir = tempStackDir('beacon-types-');
	const config = loadConfig({
		...process.env,
		STACK_DIR: dir,
		STACK_DB_PORT: String(await getPort({ host: '127.0.0.1' })),
		STACK_SUPABASE_DIR: path.join(ROOT, 'supabase'),
		STACK_DB_FAST: '1'
	});
	const cluster = await startCluster(config, createLogger('warn', 'gen:types'));
	try {
		const types = await generateTypesFromMigrations(config.dbUrl);
		await writeFile(TYPES_FILE, types);
		console.log(`wrote ${path.relative(process.cwd(), TYPES_FILE)}`);
	} finally {
		await cluster.stop();
		await rm(dir, { recursive: true, force: true });
	}
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
	main().catch((error) => {
		console.error(error instanceof Error ? error.message : error);
		process.exit(1);
	});
}
