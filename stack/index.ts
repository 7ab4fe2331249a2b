/**
 * The local stack: embedded PostgreSQL, then auth, REST and realtime behind one gateway.
 */
import type { Server } from 'node:http';
import pg from 'pg';
import { loadConfig, type StackConfig } from './config.ts';
import type { StackContext } from './context.ts';
import { startCluster, assertPortFree, type Cluster } from './db/postgres.ts';
import { prepareDatabase } from './db/migrate.ts';
import { isConnectionError } from './db/errors.ts';
import { DatabaseSupervisor } from './db/supervisor.ts';
import { LOCAL_KEYS } from './keys.ts';
import { createLogger, type Logger } from './log.ts';

export { loadConfig, tempStackDir, type StackConfig } from './config.ts';
export { LOCAL_KEYS } from './keys.ts';

export interface RunningStack {
	config: StackConfig;
	url: string;
	dbUrl: string;
	keys: typeof LOCAL_KEYS;
	/** Stops the gateway and services, then PostgreSQL. Safe to call twice. */
	stop(): Promise<void>;
}

export interface RunningDatabase {
	cluster: Cluster;
	dbUrl: string;
}

/** Starts (creating on first use) the cluster and brings its database up to date. */
export async function startDatabase(config: StackConfig, log: Logger): Promise<RunningDatabase> {
	const cluster = await startCluster(config, log);
	try {
		await prepareDatabase(config.dbUrl, config.supabaseDir, log, { seed: cluster.created });
	} catch (error) {
		await cluster.stop();
		throw error;
	}
	return { cluster, dbUrl: config.dbUrl };
}

/**
 * The services' modules (auth, REST, realtime, the gateway and their libraries): loaded while
 * PostgreSQL starts, since loading them is a large share of a warm start.
 */
function loadServices() {
	return Promise.all([
		import('./auth/index.ts'),
		import('./rest/index.ts'),
		import('./realtime/index.ts'),
		import('./gateway/server.ts')
	]);
}

function listen(server: Server, host: string, port: number): Promise<void> {
	return new Promise((resolve, reject) => {
		server.once('error', reject);
		server.listen(port, host, () => {
			server.off('error', reject);
			resolve();
		});
	});
}

export async function startStack(
	config: StackConfig = loadConfig(),
	log = createLogger(config.logLevel)
): Promise<RunningStack> {
	await assertPortFree(config.host, config.apiPort, 'STACK_API_PORT');
	const modules = loadServices();
	modules.catch(() => undefined); // awaited below; a failing database start comes first
	const db = await startDatabase(config, log);
	const supervisor = new DatabaseSupervisor(db.cluster, config.dbUrl, log);
	// A bounded wait for a connection: while Postgres is down, requests answer 503 instead of hanging.
	const pool = new pg.Pool({
		connectionString: config.dbUrl,
		max: 20,
		connectionTimeoutMillis: config.dbConnectTimeoutMs
	});
	let stopRequested = false;
	// An idle client dying (Postgres restarting, `db:reset`) must not take the process down. During
	// an intended stop or an outage the supervisor already said what happened.
	pool.on('error', (error) => {
		if (stopRequested) return;
		// Postgres going away is the supervisor's one line; each pooled client's loss is detail.
		(supervisor.state === 'down' || isConnectionError(error) ? log.debug : log.warn)(
			`database connection lost: ${error.message}`
		);
	});
	const ctx: StackContext = { config, pool, log, db: supervisor };

	const closers: Array<() => Promise<void>> = [];
	let server: Server | undefined;
	try {
		const [{ createAuth }, { createRest }, { createRealtime }, { createGatewayApp, createGatewayServer }] =
			await modules;
		const auth = createAuth(ctx);
		// REST (schema cache) and realtime (replication) prepare on their own connections at once.
		const [restStarted, realtimeStarted] = await Promise.allSettled([createRest(ctx), createRealtime(ctx)]);
		if (restStarted.status === 'fulfilled') closers.push(() => restStarted.value.close());
		if (realtimeStarted.status === 'fulfilled')
			closers.push(() => realtimeStarted.value.close(config.shutdownGraceMs));
		if (restStarted.status === 'rejected') throw restStarted.reason;
		if (realtimeStarted.status === 'rejected') throw realtimeStarted.reason;
		const rest = restStarted.value;
		const realtime = realtimeStarted.value;
		const services = { auth, rest: rest.app, realtime };
		server = await createGatewayServer(createGatewayApp(ctx, services), services, config);
		await listen(server, config.host, config.apiPort);
	} catch (error) {
		for (const close of closers.reverse()) await close().catch(() => undefined);
		await pool.end().catch(() => undefined);
		await db.cluster.stop();
		throw error;
	}
	supervisor.start();

	let stopping: Promise<void> | undefined;
	const stop = () =>
		(stopping ??= (async () => {
			stopRequested = true;
			supervisor.stop();
			await supervisor.settled();
			// No new connections; requests under way finish (bounded), idle keep-alive sockets go now.
			const closed = new Promise<void>((resolve) => server!.close(() => resolve()));
			server!.closeIdleConnections();
			const grace = setTimeout(() => server!.closeAllConnections(), config.shutdownGraceMs);
			for (const close of closers.reverse()) await close().catch((e) => log.warn(`shutdown: ${e}`));
			await closed;
			clearTimeout(grace);
			await pool.end().catch(() => undefined);
			// Fast shutdown: sessions end, a checkpoint makes every committed write durable.
			await db.cluster.stop();
		})());

	return { config, url: config.apiUrl, dbUrl: config.dbUrl, keys: LOCAL_KEYS, stop };
}
