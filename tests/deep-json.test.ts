/**
 * Deeply nested JSON is the client's mistake, never the server's: auth (sign-up data, PUT /user)
 * and REST bodies answer 4xx with their service's error shape, and the stack keeps serving.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { signedIn, testEnv } from './helpers.ts';

const deep = (depth: number) => '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);
const deepArray = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);

async function post(path: string, body: string, headers: Record<string, string> = {}, method = 'POST') {
	const env = testEnv();
	const response = await fetch(`${env.url}${path}`, {
		method,
		body,
		headers: { apikey: env.anonKey, 'Content-Type': 'application/json', ...headers }
	});
	const text = await response.text();
	return { status: response.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : null };
}

describe('deep JSON', () => {
	it('refuses 5,000-deep sign-up metadata with 400 bad_json', async () => {
		const body = `{"email":"deep-${randomUUID()}@example.com","password":"pw-123456","data":${deep(5000)}}`;
		const { status, body: error } = await post('/auth/v1/signup', body, {
			'X-Supabase-Api-Version': '2024-01-01'
		});
		expect(status).toBe(400);
		expect(error).toEqual({
			code: 'bad_json',
			message: expect.stringMatching(/^Could not parse request body as JSON: .*depth/)
		});
	});

	it('refuses deep user data on PUT /user and keeps the user', async () => {
		const { session } = await signedIn('dave@example.com');
		const { status, body } = await post(
			'/auth/v1/user',
			`{"data":{"x":${deepArray(5000)}}}`,
			{ Authorization: `Bearer ${session.access_token}` },
			'PUT'
		);
		expect(status).toBe(400);
		expect(body).toMatchObject({ error_code: 'bad_json' });
	});

	it('accepts ordinary nesting in metadata', async () => {
		const email = `nested-${randomUUID()}@example.com`;
		const { status } = await post(
			'/auth/v1/signup',
			`{"email":"${email}","password":"pw-123456","data":${deep(20)}}`
		);
		expect(status).toBe(200);
	});

	it('answers a deep REST body with a 4xx', async () => {
		const { session } = await signedIn('dave@example.com');
		for (const body of [deep(5000), `[${deep(5000)}]`, `{"title":${deepArray(5000)}}`]) {
			const response = await post('/rest/v1/notifications', body, {
				Authorization: `Bearer ${session.access_token}`
			});
			expect(response.status, JSON.stringify(response.body)).toBeGreaterThanOrEqual(400);
			expect(response.status, JSON.stringify(response.body)).toBeLessThan(500);
		}
		const rpc = await post('/rest/v1/rpc/nosuchfn', `{"a":${deepArray(5000)}}`, {
			Authorization: `Bearer ${session.access_token}`
		});
		expect(rpc.status, JSON.stringify(rpc.body)).toBeLessThan(500);
	});

	it('answers a deep realtime REST broadcast with a 4xx', async () => {
		const body = JSON.stringify({ messages: [{ topic: 'deep', event: 'e', payload: {} }] }).replace(
			'{}',
			deep(5000)
		);
		const { status } = await post('/realtime/v1/api/broadcast', body);
		expect(status).toBeGreaterThanOrEqual(400);
		expect(status).toBeLessThan(500);
	});
});
