/**
 * Auth rate limits key on the client, not on the app server in front of it: a trusted proxy (here
 * 127.0.0.1, as the dashboard's SvelteKit server is) names the client in X-Forwarded-For, and
 * the stack ignores that header from anyone else. Runs on a stack of its own whose limit comes from
 * its supabase/config.toml `[auth.rate_limit]`, as the CLI hands it to GoTrue.
 */
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_PASSWORD } from './helpers.ts';
import { startTestStack, type TestStack } from './setup/stack.ts';

let test: TestStack;
let project: string;

beforeAll(async () => {
	// The project's supabase folder with token_refresh lowered from 150 to 30 in config.toml.
	project = await mkdtemp(path.join(os.tmpdir(), 'beacon-ratelimit-'));
	await cp('supabase', project, { recursive: true });
	const toml = path.join(project, 'config.toml');
	const text = await readFile(toml, 'utf8');
	if (!/^token_refresh = 150$/m.test(text))
		throw new Error('supabase/config.toml: token_refresh = 150 not found');
	await writeFile(toml, text.replace(/^token_refresh = 150$/m, 'token_refresh = 30'));
	test = await startTestStack({
		STACK_SUPABASE_DIR: project,
		// The test stack sets a high limit for everyone else; here config.toml decides.
		STACK_AUTH_RATE_LIMIT_TOKEN_REFRESH: '',
		STACK_TRUSTED_PROXIES: '127.0.0.1'
	});
});
afterAll(async () => {
	await test?.dispose();
	if (project) await rm(project, { recursive: true, force: true });
});

/** A password grant sent from `from` (a loopback address of this machine) with optional headers. */
function signIn(email: string, password: string, from: string, headers: Record<string, string> = {}) {
	const url = new URL(`${test.env.SUPABASE_URL}/auth/v1/token?grant_type=password`);
	const body = JSON.stringify({ email, password });
	return new Promise<number>((resolve, reject) => {
		const req = http.request(
			url,
			{
				method: 'POST',
				localAddress: from,
				headers: {
					apikey: test.env.SUPABASE_ANON_KEY,
					'Content-Type': 'application/json',
					'Content-Length': Buffer.byteLength(body),
					...headers
				}
			},
			(res) => {
				res.resume();
				res.on('end', () => resolve(res.statusCode ?? 0));
			}
		);
		req.on('error', reject);
		req.end(body);
	});
}

describe('auth rate limits behind a proxy', () => {
	it("does not lock bob out because of carol's attacker behind the same app server", async () => {
		const attacker = { 'X-Forwarded-For': '203.0.113.7' };
		const statuses: number[] = [];
		for (let i = 0; i < 35; i++) {
			statuses.push(await signIn('carol@example.com', 'wrong-password', '127.0.0.1', attacker));
		}
		expect(statuses.slice(0, 30).every((s) => s === 400)).toBe(true);
		expect(statuses.at(-1), 'the attacker is limited').toBe(429);

		const bob = await signIn('bob@example.com', DEMO_PASSWORD, '127.0.0.1', {
			'X-Forwarded-For': '198.51.100.2'
		});
		expect(bob).toBe(200);
		// A client cannot slip out of its bucket by prepending addresses for the proxy to pass on.
		const prepended = await signIn('carol@example.com', 'wrong-password', '127.0.0.1', {
			'X-Forwarded-For': '192.0.2.99, 203.0.113.7'
		});
		expect(prepended).toBe(429);
	});

	it('ignores a forged X-Forwarded-For from an address that is not a trusted proxy', async () => {
		const statuses: number[] = [];
		for (let i = 0; i < 35; i++) {
			statuses.push(
				await signIn('carol@example.com', 'wrong-password', '127.0.0.2', {
					'X-Forwarded-For': `198.18.0.${i + 1}`
				})
			);
		}
		expect(statuses.at(-1), 'every forged address shares the real peer bucket').toBe(429);
	});
});
