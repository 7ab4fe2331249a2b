/**
 * startup: `npm run stack` to ready ("Press Ctrl-C") on a fresh data folder (initdb, bootstrap,
 * migrations, seed) and again on the same folder; then `npm run dev` (stack + Vite) on that
 * folder to a sign-in page rendered by the server with its form, on free ports: twice, the second
 * (Vite's caches warm too) being dev_warm_ms.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { rm } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import getPort from 'get-port';
import { tempStackDir } from '../stack/config.ts';
import { processTreeCpu, sleep, type Context, type ScenarioResult } from './lib.ts';

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');

/** Runs `npm run <script>` in its own process group (so stopping it stops tsx, the stack and Vite). */
function npmRun(script: string, args: string[], env: Record<string, string>): ChildProcess {
	return spawn('npm', ['run', script, '--', ...args], {
		cwd: ROOT,
		detached: true,
		stdio: ['ignore', 'pipe', 'pipe'],
		env: { ...process.env, STACK_LOG_LEVEL: 'warn', ...env }
	});
}

async function stopGroup(child: ChildProcess): Promise<void> {
	if (child.exitCode !== null || !child.pid) return;
	const exited = new Promise((r) => child.once('exit', r));
	process.kill(-child.pid, 'SIGTERM');
	const done = await Promise.race([exited.then(() => true), sleep(15_000).then(() => false)]);
	if (!done) process.kill(-child.pid, 'SIGKILL');
	// The group's last members (PostgreSQL) may outlive npm by a moment.
	for (let i = 0; i < 100; i++) {
		try {
			process.kill(-child.pid, 0);
		} catch {
			return;
		}
		await sleep(100);
	}
}

/** PostgreSQL (run as another OS user when root) can hold its port a moment after the group is gone. */
async function portsFree(ports: number[]): Promise<void> {
	const free = (port: number) =>
		new Promise<boolean>((resolve) => {
			const server = net.createServer();
			server.once('error', () => resolve(false));
			server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
		});
	for (let i = 0; i < 150; i++) {
		if ((await Promise.all(ports.map(free))).every(Boolean)) return;
		await sleep(100);
	}
	throw new Error(`ports ${ports.join(', ')} still in use 15 s after the stack stopped`);
}

/** CPU ms used so far by a process and its live descendants (tsx, the stack, PostgreSQL, Vite). */
function groupCpu(pid: number | undefined): number {
	if (!pid) return NaN;
	const { ownMs, children } = processTreeCpu(pid);
	return [...children.values()].reduce((sum, ms) => sum + ms, ownMs);
}

/** Time to ready, and the CPU the process tree used to get there (the part the machine's load does not stretch). */
interface Timed {
	ms: number;
	cpuMs: number;
}

async function stackToReady(env: Record<string, string>): Promise<Timed> {
	const t0 = performance.now();
	const child = npmRun('stack', [], env);
	try {
		await new Promise<void>((resolve, reject) => {
			let out = '';
			let err = '';
			child.stdout!.on('data', (c: Buffer) => {
				out += c.toString();
				if (out.includes('Press Ctrl-C')) resolve();
			});
			child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
			child.once('exit', (code) =>
				reject(new Error(`npm run stack exited with ${code}: ${err.slice(-2000)}`))
			);
		});
		return { ms: performance.now() - t0, cpuMs: groupCpu(child.pid) };
	} finally {
		await stopGroup(child);
		await portsFree([Number(env.STACK_DB_PORT), Number(env.STACK_API_PORT)]);
	}
}

async function devToSignIn(env: Record<string, string>): Promise<Timed> {
	const port = await getPort({ host: '127.0.0.1' });
	const t0 = performance.now();
	const child = npmRun('dev', ['--port', String(port)], env);
	let err = '';
	child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
	child.stdout!.resume();
	try {
		const deadline = Date.now() + 180_000;
		let last = 'no answer';
		while (Date.now() < deadline) {
			if (child.exitCode !== null)
				throw new Error(`npm run dev exited with ${child.exitCode}: ${err.slice(-2000)}`);
			try {
				const res = await fetch(`http://127.0.0.1:${port}/login`, { signal: AbortSignal.timeout(30_000) });
				const html = await res.text();
				if (res.ok && html.includes('type="password"'))
					return { ms: performance.now() - t0, cpuMs: groupCpu(child.pid) };
				last = `HTTP ${res.status}: ${html.slice(0, 200)}`;
			} catch (error) {
				last = String(error); // not listening yet
			}
			await sleep(50);
		}
		throw new Error(`npm run dev did not render the sign-in page within 180 s (${last}; ${err.slice(-500)})`);
	} finally {
		await stopGroup(child);
	}
}

export async function startup({ mode }: Context): Promise<ScenarioResult> {
	const dir = tempStackDir('beacon-bench-startup-');
	const dbPort = await getPort({ host: '127.0.0.1' });
	const apiPort = await getPort({ host: '127.0.0.1', exclude: [dbPort] });
	const env = { STACK_DIR: dir, STACK_DB_PORT: String(dbPort), STACK_API_PORT: String(apiPort) };
	try {
		const cold = await stackToReady(env);
		const warm = await stackToReady(env);
		// Warm means Vite's caches too: the first `npm run dev` of a fresh clone bundles the browser's
		// dependencies and has nothing cached; it is printed, the second one is the figure.
		const devFirst = mode.tiny ? undefined : await devToSignIn(env);
		const dev = await devToSignIn(env);
		return {
			rows: [
				{ metric: 'stack_cold_ms', value: cold.ms, target: '<= 5,000', met: cold.ms <= 5000, digits: 0 },
				{ metric: 'stack_warm_ms', value: warm.ms, target: '<= 1,500', met: warm.ms <= 1500, digits: 0 },
				{ metric: 'dev_warm_ms', value: dev.ms, target: '<= 5,000', met: dev.ms <= 5000, digits: 0 },
				{ metric: 'stack_cold_cpu_ms', value: cold.cpuMs, digits: 0, extra: true },
				{ metric: 'stack_warm_cpu_ms', value: warm.cpuMs, digits: 0, extra: true },
				{ metric: 'dev_warm_cpu_ms', value: dev.cpuMs, digits: 0, extra: true },
				...(devFirst
					? [{ metric: 'dev_first_ms (before it, same folder)', value: devFirst.ms, digits: 0, extra: true }]
					: [])
			],
			notes: mode.tiny
				? []
				: [
						'each measured once: startup figures vary with what else the machine is doing; ' +
							'*_cpu_ms is the CPU the process tree (npm, tsx, the stack, PostgreSQL, Vite) used until ready'
					]
		};
	} finally {
		await rm(dir, { recursive: true, force: true });
	}
}
