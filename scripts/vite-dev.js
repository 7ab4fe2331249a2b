// @ts-check
/**
 * The dashboard's Vite dev server as `npm run dev` (scripts/dev.ts) runs it: in a process of its
 * own, on plain Node. Plain JavaScript on purpose: under a TypeScript loader every module Vite
 * loads goes through the loader's hooks, which doubled its start; and in its own process it
 * compiles the first page on one core while the stack starts on the other.
 *
 * Usage (from scripts/dev.ts, over IPC): `node scripts/vite-dev.js [--port N] [--host H]`. It sends
 * `{ type: 'listening' }` or `{ type: 'error', message, code }`, and stops on SIGTERM/SIGINT or when
 * its parent goes away (the IPC channel closes), so it never outlives `npm run dev` holding the port.
 */
import { parseArgs } from 'node:util';
import { createServer } from 'vite';

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

/** @param {{ type: 'listening' } | { type: 'error', message: string, code?: string }} message */
function tell(message) {
	if (process.send) process.send(message);
}

const { values } = parseArgs({ options: { port: { type: 'string' }, host: { type: 'string' } } });

/** @type {import('vite').ViteDevServer | undefined} */
let server;
let stopping = false;
async function stop() {
	if (stopping) return;
	stopping = true;
	await server?.close().catch(() => undefined);
	process.exit(0);
}
for (const signal of /** @type {const} */ (['SIGINT', 'SIGTERM'])) process.on(signal, () => void stop());
process.on('disconnect', () => void stop());

try {
	server = await createServer({
		server: {
			strictPort: true,
			...(values.port ? { port: Number(values.port) } : {}),
			...(values.host ? { host: values.host } : {}),
			warmup: { ssrFiles: WARMUP_SSR_FILES }
		}
	});
	// Vite stops on stdin's end as a CLI would; this process has no stdin of its own (see above).
	process.stdin.removeAllListeners('end');
	await server.listen();
	server.printUrls();
	tell({ type: 'listening' });
} catch (error) {
	const { message = String(error), code } = /** @type {{ message?: string, code?: string }} */ (error);
	tell({ type: 'error', message, code });
	await server?.close().catch(() => undefined);
	process.exit(1);
}
