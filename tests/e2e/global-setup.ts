/**
 * Playwright global setup: an isolated stack (the same helper Vitest uses), the app built and served
 * against it on a free port, and a tiny control endpoint so a test can restart the stack.
 * Tests find everything in process.env (BEACON_APP_URL, SUPABASE_*, BEACON_STACK_CONTROL).
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { appEnv, serveApp } from '../setup/app';
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

export default async function globalSetup() {
	const stack = await startTestStack();
	Object.assign(process.env, stack.env);

	// BEACON_E2E_SKIP_BUILD=1 reuses build/ (the build reads settings at runtime, so any stack works).
	if (process.env.BEACON_E2E_SKIP_BUILD !== '1')
		await run('npx', ['vite', 'build', '--logLevel', 'warn'], appEnv(stack.env));
	const app = await serveApp(stack.env);
	process.env.BEACON_APP_URL = app.url;

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
		if (req.method === 'POST' && req.url === '/restart') {
			stack.restart().then(
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
		await app.close();
		await stack.dispose();
	};
}
