/**
 * Playwright global setup: an isolated stack (the same helper Vitest uses), the app built and served
 * against it on a free port, and a tiny control endpoint so a test can restart the stack.
 * Tests find everything in process.env (BEACON_APP_URL, SUPABASE_*, BEACON_STACK_CONTROL).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import getPort from 'get-port';
import { startTestStack } from '../setup/stack';

function run(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<void> {
	return new Promise((resolve, reject) => {
		const child = spawn(command, args, { stdio: 'inherit', env });
		child.on('error', reject);
		child.on('exit', (code) =>
			code === 0 ? resolve() : reject(new Error(`${command} ${args.join(' ')} exited with ${code}`))
		);
	});
}

async function waitForHttp(url: string, timeoutMs: number, app: ChildProcess): Promise<void> {
	const deadline = Date.now() + timeoutMs;
	while (Date.now() < deadline) {
		if (app.exitCode !== null) throw new Error(`the app exited with ${app.exitCode} before answering`);
		try {
			const res = await fetch(url, { redirect: 'manual', signal: AbortSignal.timeout(1000) });
			if (res.status < 500) return;
		} catch {
			// not listening yet
		}
		await new Promise((r) => setTimeout(r, 200));
	}
	throw new Error(`the app did not answer at ${url} within ${timeoutMs} ms`);
}

export default async function globalSetup() {
	const stack = await startTestStack();
	Object.assign(process.env, stack.env);

	const appEnv = {
		...process.env,
		PUBLIC_SUPABASE_URL: stack.env.SUPABASE_URL,
		PUBLIC_SUPABASE_PUBLISHABLE_KEY: stack.env.SUPABASE_PUBLISHABLE_KEY,
		PUBLIC_BEACON_LOCAL: '1'
	};
	// BEACON_E2E_SKIP_BUILD=1 reuses build/ (the build reads settings at runtime, so any stack works).
	if (process.env.BEACON_E2E_SKIP_BUILD !== '1')
		await run('npx', ['vite', 'build', '--logLevel', 'warn'], appEnv);

	const port = await getPort({ host: '127.0.0.1' });
	const appUrl = `http://127.0.0.1:${port}`;
	const app = spawn(process.execPath, ['build'], {
		stdio: ['ignore', 'inherit', 'inherit'],
		env: { ...appEnv, HOST: '127.0.0.1', PORT: String(port), ORIGIN: appUrl }
	});
	await waitForHttp(`${appUrl}/login`, 30_000, app);
	process.env.BEACON_APP_URL = appUrl;

	// POST /restart stops and starts the stack (same ports, same data), for the reconnect test.
	const control = createServer((req, res) => {
		// POST /kill-postmaster: kill -9 of PostgreSQL under the running stack (the stack restarts it).
		if (req.method === 'POST' && req.url === '/kill-postmaster') {
			try {
				const pidFile = path.join(stack.stack.config.dir, 'db', 'postmaster.pid');
				const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
				process.kill(pid, 'SIGKILL');
				res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ pid }));
			} catch (error) {
				res.writeHead(500).end(String(error));
			}
			return;
		}
		// POST /restart?jwt_expiry=N restarts it with access tokens that last N seconds (until the next
		// plain restart), for the token-expiry test.
		const url = new URL(req.url ?? '/', 'http://control');
		if (req.method === 'POST' && url.pathname === '/restart') {
			const expiry = url.searchParams.get('jwt_expiry');
			stack.restart(expiry ? { STACK_JWT_EXPIRY: expiry } : undefined).then(
				() => res.writeHead(204).end(),
				(error: unknown) => res.writeHead(500).end(String(error))
			);
			return;
		}
		res.writeHead(404).end();
	});
	await new Promise<void>((resolve) => control.listen(0, '127.0.0.1', resolve));
	process.env.BEACON_STACK_CONTROL = `http://127.0.0.1:${(control.address() as AddressInfo).port}`;

	return async () => {
		control.close();
		app.kill('SIGTERM');
		await new Promise((r) => (app.exitCode !== null ? r(null) : app.once('exit', r)));
		await stack.dispose();
	};
}
