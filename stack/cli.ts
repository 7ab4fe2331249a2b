/**
 * `npm run stack` (start, print status, run until Ctrl-C) and `npm run db:reset`.
 */
import net from 'node:net';
import { loadConfig } from './config.ts';
import { MigrationError, resetDatabase } from './db/migrate.ts';
import { startCluster, StackStartError } from './db/postgres.ts';
import { startStack } from './index.ts';
import { createLogger } from './log.ts';
import { ownSignals } from './signals.ts';
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
	// From before the start: a signal while it is under way waits for it, then stops in order.
	let stopping = false;
	const starting = startStack(config, log);
	ownSignals((signal) => {
		if (stopping) return;
		stopping = true;
		console.log(`\n${signal}: stopping the stack...`);
		void starting
			.then((stack) => stack.stop())
			.catch(() => undefined)
			.then(() => process.exit(0));
	});
	try {
		await starting;
	} catch (error) {
		// A start that failed because it was stopped is not an error; the handler exits.
		if (stopping) return;
		throw error;
	}
	if (stopping) return;
	console.log(
		`\nBeacon's local stack is running (started in ${((performance.now() - started) / 1000).toFixed(1)} s).\n`
	);
	console.log(statusBlock(config));
	console.log('\nPress Ctrl-C to stop.');
}

main(process.argv[2] ?? 'start').catch((error: unknown) => {
	if (error instanceof StackStartError || error instanceof MigrationError) {
		console.error(`\n${error.message}`);
	} else {
		console.error(error);
	}
	process.exit(1);
});
