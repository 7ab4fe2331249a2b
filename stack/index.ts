/**
 * The local stack: embedded PostgreSQL, then auth, REST and realtime behind one gateway.
 */
import type { Server } from 'node:http';
import { createAuth } from './auth/index.ts';
import { loadConfig, type StackConfig } from './config.ts';
import type { StackContext } from './context.ts';
import { startCluster, assertPortFree, type Cluster } from './db/postgres.ts';
import { prepareDatabase } from './db/migrate.ts';
import { isConnectionError } from './db/errors.ts';
import { createPool, endPool } from './db/pool.ts';
import { DatabaseSupervisor } from './db/supervisor.ts';
import { createGatewayApp, createGatewayServer } from './gateway/server.ts';
import { LOCAL_KEYS, loadSigningKeys } from './keys.ts';
import { createLogger, type Logger } from './log.ts';
import { createRealtime } from './realtime/index.ts';
import { createRest } from './rest/index.ts';

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
	const db = await startDatabase(config, log);
	const supervisor = new DatabaseSupervisor(db.cluster, config.dbUrl, log);
	// A bounded wait for a connection: while Postgres is down, requests answer 503 instead of hanging.
	const pool = createPool({
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

	let rest: Awaited<ReturnType<typeof createRest>> | undefined;
	let realtime: Awaited<ReturnType<typeof createRealtime>> | undefined;
	let server: Server | undefined;
	try {
		// The parts start side by side: each mostly waits on its own queries (schema cache, replication
		// slot), so a warm start costs the slowest of them, not their sum.
		const [keys, restStart, realtimeStart] = await Promise.allSettled([
			// User tokens are signed with the project's ES256 key, made in the data folder on first start.
			loadSigningKeys(config.dir, config.jwtSecret),
			createRest(ctx),
			createRealtime(ctx)
		]);
		if (restStart.status === 'fulfilled') rest = restStart.value;
		if (realtimeStart.status === 'fulfilled') realtime = realtimeStart.value;
		const failed = [keys, restStart, realtimeStart].find((part) => part.status === 'rejected');
		if (failed || !rest || !realtime) throw failed?.reason;
		const auth = createAuth(ctx);
		const services = { auth, rest: rest.app, realtime };
		server = await createGatewayServer(createGatewayApp(ctx, services), services, config);
		await listen(server, config.host, config.apiPort);
	} catch (error) {
		await realtime?.close().catch(() => undefined);
		await rest?.close().catch(() => undefined);
		await endPool(pool).catch(() => undefined);
		await db.cluster.stop();
		throw error;
	}
	supervisor.start();
	const running = { server, rest, realtime };

	let stopping: Promise<void> | undefined;
	const stop = () =>
		(stopping ??= (async () => {
			stopRequested = true;
			supervisor.stop();
			await supervisor.settled();
			// No new connections; idle keep-alive sockets go now. Realtime flushes the frames it has
			// handed to each socket (bounded), then cuts the sockets (which would keep the server open).
			const closed = new Promise<void>((resolve) => running.server.close(() => resolve()));
			running.server.closeIdleConnections();
			const grace = setTimeout(() => running.server.closeAllConnections(), config.shutdownGraceMs);
			await running.realtime.close(config.shutdownGraceMs).catch((e) => log.warn(`shutdown: ${e}`));
			// Requests under way (one still uploading its body, too) finish with their real answer
			// while the pools and Postgres are still there; only then do those close.
			await closed;
			clearTimeout(grace);
			await running.rest.close().catch((e) => log.warn(`shutdown: ${e}`));
			await endPool(pool).catch(() => undefined);
			// Fast shutdown: sessions end, a checkpoint makes every committed write durable.
			await db.cluster.stop();
		})());

	return { config, url: config.apiUrl, dbUrl: config.dbUrl, keys: LOCAL_KEYS, stop };
}
