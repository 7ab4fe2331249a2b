/**
 * Auth rate limits key on the client, not on the app server in front of it: a trusted proxy (here
 * 127.0.0.1, as the dashboard's SvelteKit server is) names the client in X-Forwarded-For, and
 * the stack ignores that header from anyone else. Runs on a stack of its own with a low limit.
 */
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_PASSWORD } from './helpers.ts';
import { startTestStack, type TestStack } from './setup/stack.ts';

let test: TestStack;

beforeAll(async () => {
	test = await startTestStack({
		STACK_AUTH_RATE_LIMIT_TOKEN_REFRESH: '30',
		STACK_TRUSTED_PROXIES: '127.0.0.1'
	});
});
afterAll(() => test?.dispose());

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
