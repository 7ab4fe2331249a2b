/**
 * `npm run dev`: the embedded stack plus the dashboard's Vite dev server, pointed at each other.
 * A stack already running on the API port (`npm run stack` in another terminal) is reused.
 */
import { spawn } from 'node:child_process';
import { statusBlock } from '../stack/status.ts';
import { loadConfig, startStack, type RunningStack } from '../stack/index.ts';

const config = loadConfig();

async function stackIsRunning(): Promise<boolean> {
	try {
		const res = await fetch(`${config.apiUrl}/health`, { signal: AbortSignal.timeout(1000) });
		return res.ok;
	} catch {
		return false;
	}
}

let stack: RunningStack | undefined;
if (await stackIsRunning()) {
	console.log(`Using the stack already running at ${config.apiUrl}.`);
} else {
	stack = await startStack(config);
	console.log(`\nBeacon's local stack is running.\n\n${statusBlock(config)}\n`);
}

const app = spawn('npx', ['vite', 'dev', ...process.argv.slice(2)], {
	stdio: 'inherit',
	env: {
		...process.env,
		PUBLIC_SUPABASE_URL: config.apiUrl,
		PUBLIC_SUPABASE_PUBLISHABLE_KEY:
			stack?.keys.publishable ?? 'sb_publishable_ACJWlzQHlZjBrEguHvfOxg_3BJgxAaH',
		PUBLIC_BEACON_LOCAL: '1'
	}
});

let stopping = false;
async function shutdown(code: number) {
	if (stopping) return;
	stopping = true;
	app.kill('SIGTERM');
	await stack?.stop();
	process.exit(code);
}
app.on('exit', (code) => void shutdown(code ?? 0));
process.on('SIGINT', () => void shutdown(0));
process.on('SIGTERM', () => void shutdown(0));
