/**
 * `npm run dev [-- --port 5180] [-- --host 0.0.0.0]`: the embedded stack plus the dashboard's Vite
 * dev server, pointed at each other. The stack runs in this process; Vite runs in a child on plain
 * Node (scripts/vite-dev.js: no TypeScript loader in its way), so the two start side by side on
 * the machine's cores. A stack already running on the API port (`npm run stack` in another
 * terminal) is reused. Ctrl-C (SIGINT) or SIGTERM stops both: nothing is left holding a port, and
 * the next start gets the same one (strictPort: a busy port is an error, never a silent move to 5174).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { loadConfig } from '../stack/config.ts';
import { LOCAL_KEYS } from '../stack/keys.ts';
import type { RunningStack } from '../stack/index.ts';
import { ownSignals } from '../stack/signals.ts';

const VITE_DEV = fileURLToPath(new URL('./vite-dev.js', import.meta.url));

type ViteMessage = { type: 'listening' } | { type: 'error'; message: string; code?: string };

function fail(message: string): never {
	console.error(`\n${message}`);
	process.exit(1);
}

async function stackIsRunning(apiUrl: string): Promise<boolean> {
	try {
		const res = await fetch(`${apiUrl}/health`, { signal: AbortSignal.timeout(1000) });
		return res.ok;
	} catch {
		return false;
	}
}

function options() {
	try {
		const { values } = parseArgs({
			options: { port: { type: 'string' }, host: { type: 'string' } }
		});
		const port = values.port === undefined ? undefined : Number(values.port);
		if (port !== undefined && !(Number.isInteger(port) && port > 0 && port < 65536)) {
			fail(`--port must be a port number, got "${values.port}".`);
		}
		return { port, host: values.host };
	} catch (error) {
		return fail(`${(error as Error).message}. Usage: npm run dev [-- --port 5180] [-- --host 0.0.0.0]`);
	}
}

/** Stops what started, once; a signal that arrives mid-start waits for the start to settle first. */
let startup: Promise<unknown> = Promise.resolve();
let stack: RunningStack | undefined;
let vite: ChildProcess | undefined;
let stopping = false;
async function shutdown(code: number): Promise<void> {
	if (stopping) return;
	stopping = true;
	// Both at once: a terminal's Ctrl-C reaches PostgreSQL too, and by the time it goes the stack
	// must be stopping (not restarting it as after a crash).
	const app = stopVite();
	await startup.catch(() => undefined);
	await Promise.all([app, stack?.stop().catch(() => undefined)]);
	process.exit(code);
}

function stopVite(): Promise<void> {
	const child = vite;
	if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
	return new Promise((resolve) => {
		child.once('exit', () => resolve());
		child.kill('SIGTERM');
	});
}

/** Vite in its own process; resolves once it listens, rejects with a sentence when it cannot. */
function startVite(args: { port?: number; host?: string }): Promise<void> {
	const argv = [
		...(args.port ? ['--port', String(args.port)] : []),
		...(args.host ? ['--host', args.host] : [])
	];
	// fork passes this process's execArgv (the TypeScript loader) on unless told otherwise.
	const child = fork(VITE_DEV, argv, { execArgv: [], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
	vite = child;
	let listening = false;
	return new Promise((resolve, reject) => {
		child.on('message', (raw) => {
			const message = raw as ViteMessage;
			if (message.type === 'listening') {
				listening = true;
				return resolve();
			}
			if (message.code === 'EADDRINUSE' || /already in use/i.test(message.message)) {
				reject(
					new Error(
						`The dashboard's port is busy (${message.message.replace(/\.$/, '')}): another \`npm run dev\` is probably running. ` +
							'Stop it, or pick another port: npm run dev -- --port 5180'
					)
				);
			} else reject(new Error(`The dashboard's dev server could not start: ${message.message}`));
		});
		child.once('exit', (code, signal) => {
			reject(new Error(`The dashboard's dev server stopped (${signal ?? `exit code ${code}`}).`));
			// After a good start, Vite going away takes the stack with it: half a dev setup helps nobody.
			if (listening && !stopping) void shutdown(1);
		});
	});
}

async function start() {
	const args = options();
	const config = loadConfig();
	ownSignals(() => void shutdown(0));
	process.stdin.removeAllListeners('end');

	// SvelteKit reads PUBLIC_ variables from the environment of the process running Vite: its child.
	process.env.PUBLIC_SUPABASE_URL = config.apiUrl;
	process.env.PUBLIC_SUPABASE_PUBLISHABLE_KEY = LOCAL_KEYS.publishable;
	process.env.PUBLIC_BEACON_LOCAL = '1';

	// Vite and the stack start at the same time: neither needs the other until the first request.
	const viteListening = startVite(args);
	viteListening.catch(() => undefined); // awaited below
	const stackStarted = (async () => {
		if (await stackIsRunning(config.apiUrl)) {
			console.log(`Using the stack already running at ${config.apiUrl}.`);
			return;
		}
		const { startStack } = await import('../stack/index.ts');
		const { statusBlock } = await import('../stack/status.ts');
		stack = await startStack(config);
		console.log(`\nBeacon's local stack is running.\n\n${statusBlock(config)}\n`);
	})();
	stackStarted.catch(() => undefined); // awaited below

	const [app, db] = await Promise.allSettled([viteListening, stackStarted]);
	if (app.status === 'fulfilled' && db.status === 'fulfilled') return;
	await stopVite();
	await stack?.stop().catch(() => undefined);
	stack = undefined;
	throw app.status === 'rejected' ? app.reason : (db as PromiseRejectedResult).reason;
}

startup = start();
startup.catch(async (error: unknown) => {
	const { MigrationError } = await import('../stack/db/migrate.ts');
	const { StackStartError } = await import('../stack/db/postgres.ts');
	if (error instanceof StackStartError || error instanceof MigrationError) fail(error.message);
	if (error instanceof Error && error.message.startsWith("The dashboard's")) fail(error.message);
	console.error(error);
	process.exit(1);
});
