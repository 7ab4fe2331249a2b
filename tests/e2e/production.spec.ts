/**
 * The README's "Going to production" recipe: the adapter-node build (build/, made by the global
 * setup) run as `node build` with only the documented variables, against a stack of its own on
 * other ports (standing in for a hosted project). The sign-in page renders and signing in works.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import getPort from 'get-port';
import { expect, test } from '@playwright/test';
import { startTestStack, type TestStack } from '../setup/stack';

let stack: TestStack;
let app: ChildProcess;
let appUrl: string;
let output = '';

test.beforeAll(async () => {
	test.setTimeout(120_000);
	stack = await startTestStack();
	const port = await getPort({ host: '127.0.0.1' });
	appUrl = `http://127.0.0.1:${port}`;
	// Only what the README documents (plus PATH): nothing inherited from the test run.
	app = spawn(process.execPath, ['build'], {
		env: {
			PATH: process.env.PATH,
			PUBLIC_SUPABASE_URL: stack.env.SUPABASE_URL,
			PUBLIC_SUPABASE_PUBLISHABLE_KEY: stack.env.SUPABASE_PUBLISHABLE_KEY,
			ORIGIN: appUrl,
			HOST: '127.0.0.1',
			PORT: String(port)
		},
		stdio: ['ignore', 'pipe', 'pipe']
	});
	app.stdout!.on('data', (d) => (output += d));
	app.stderr!.on('data', (d) => (output += d));
	await expect
		.poll(
			async () => {
				if (app.exitCode !== null) throw new Error(`node build exited with ${app.exitCode}:\n${output}`);
				return fetch(`${appUrl}/login`).then(
					(r) => r.status,
					() => 0
				);
			},
			{ message: `node build never answered at ${appUrl}/login`, timeout: 30_000 }
		)
		.toBe(200);
});

test.afterAll(async () => {
	if (app && app.exitCode === null) {
		app.kill('SIGTERM');
		await new Promise((resolve) => app.once('exit', resolve));
	}
	await stack?.dispose();
});

test('the production build serves sign-in and signs a user in', async ({ page }) => {
	await page.goto(`${appUrl}/login`);
	await expect(page.getByRole('button', { name: 'Sign in' })).toBeVisible();
	// Without PUBLIC_BEACON_LOCAL the demo accounts are not advertised.
	await expect(page.getByText('password123')).toHaveCount(0);
	await page.getByLabel('Email', { exact: true }).fill('alice@example.com');
	await page.getByLabel('Password', { exact: true }).fill('password123');
	await page.getByRole('button', { name: 'Sign in' }).click();
	await page.waitForURL(`${appUrl}/`);
	await expect(page.getByRole('region', { name: 'Notifications', exact: true })).toBeVisible();
	await expect(page.getByTestId('connection')).toHaveAttribute('data-state-name', 'live');
});
