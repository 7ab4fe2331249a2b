/**
 * The built app (adapter-node's `build/`) served against a stack on a free port, for Playwright:
 * the global setup serves it against the shared e2e stack, and a spec that needs a stack with other
 * settings serves a second copy against its own.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import getPort from 'get-port';

export interface ServedApp {
	url: string;
	close(): Promise<void>;
}

/** The app's environment for a stack: only the documented public settings. */
export function appEnv(stackEnv: Record<string, string>): NodeJS.ProcessEnv {
	return {
		...process.env,
		PUBLIC_SUPABASE_URL: stackEnv.SUPABASE_URL,
		PUBLIC_SUPABASE_PUBLISHABLE_KEY: stackEnv.SUPABASE_PUBLISHABLE_KEY,
		PUBLIC_BEACON_LOCAL: '1'
	};
}

async function waitForHttp(url: string, timeoutMs: number, app: ChildProcess): Promise<void> {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		if (app.exitCode !== null) throw new Error(`the app exited with ${app.exitCode} before answering`);
		try {
			// A first render can take seconds on a loaded machine: give each try time to answer.
			const res = await fetch(url, { redirect: 'manual', signal: AbortSignal.timeout(5000) });
			if (res.status < 500) return;
		} catch {
			// not listening yet
		}
		if (Date.now() > deadline) throw new Error(`the app did not answer at ${url} within ${timeoutMs} ms`);
		await new Promise((r) => setTimeout(r, 100));
	}
}

/** Runs `node build` against the stack whose variables are `stackEnv`; resolves once it answers. */
export async function serveApp(stackEnv: Record<string, string>): Promise<ServedApp> {
	const port = await getPort({ host: '127.0.0.1' });
	const url = `http://127.0.0.1:${port}`;
	const app = spawn(process.execPath, ['build'], {
		stdio: ['ignore', 'inherit', 'inherit'],
		env: { ...appEnv(stackEnv), HOST: '127.0.0.1', PORT: String(port), ORIGIN: url }
	});
	const exited = new Promise((resolve) => app.once('exit', resolve));
	try {
		await waitForHttp(`${url}/login`, 60_000, app);
	} catch (error) {
		app.kill('SIGTERM');
		throw error;
	}
	return {
		url,
		async close() {
			if (app.exitCode === null && app.signalCode === null) app.kill('SIGTERM');
			await exited;
		}
	};
}
