/**
 * The gateway as a browser and curl meet it: CORS, API keys, body limits, JSON errors.
 */
import { describe, expect, it } from 'vitest';
import { testEnv } from './helpers.ts';

const env = testEnv();

describe('gateway', () => {
	it('answers CORS preflights with the headers supabase-js sends and exposes Content-Range', async () => {
		const res = await fetch(`${env.url}/rest/v1/notifications`, {
			method: 'OPTIONS',
			headers: {
				origin: 'http://localhost:5173',
				'access-control-request-method': 'PATCH',
				'access-control-request-headers': 'apikey,authorization,content-type,prefer,x-client-info'
			}
		});
		expect(res.status).toBeLessThan(300);
		expect(res.headers.get('access-control-allow-origin')).toBe('http://localhost:5173');
		expect(res.headers.get('access-control-allow-methods')).toContain('PATCH');
		expect(res.headers.get('access-control-allow-headers')?.toLowerCase()).toContain('apikey');

		const get = await fetch(`${env.url}/rest/v1/notifications?select=id`, {
			headers: { origin: 'http://localhost:5173', apikey: env.anonKey }
		});
		expect(get.headers.get('access-control-expose-headers')).toContain('Content-Range');
	});

	it('refuses requests without an API key, or with a wrong one, as Kong does', async () => {
		const missing = await fetch(`${env.url}/rest/v1/notifications`);
		expect(missing.status).toBe(401);
		expect(await missing.json()).toMatchObject({ message: 'No API key found in request' });

		const wrong = await fetch(`${env.url}/rest/v1/notifications`, { headers: { apikey: 'not-a-key' } });
		expect(wrong.status).toBe(401);
		expect(await wrong.json()).toMatchObject({ message: 'Invalid API key' });
	});

	it('accepts the key as a query parameter and the opaque sb_ keys', async () => {
		// Accepted keys reach the database as anon, which holds no privilege on public tables
		// (20261202000100_revoke_anon): Postgres' 42501, not the gateway's "Invalid API key".
		const byQuery = await fetch(`${env.url}/rest/v1/profiles?select=id&apikey=${env.anonKey}`);
		expect(byQuery.status).toBe(401);
		expect(await byQuery.json()).toMatchObject({ code: '42501' });
		const publishable = await fetch(`${env.url}/rest/v1/profiles?select=id`, {
			headers: { apikey: env.publishableKey }
		});
		expect(publishable.status).toBe(401);
		expect(await publishable.json()).toMatchObject({ code: '42501' });
	});

	it('answers unknown routes and oversized bodies with JSON, and keeps serving', async () => {
		const unknown = await fetch(`${env.url}/nowhere`, { headers: { apikey: env.anonKey } });
		expect(unknown.status).toBe(404);
		expect(await unknown.json()).toHaveProperty('message');

		const huge = await fetch(`${env.url}/rest/v1/notifications`, {
			method: 'POST',
			headers: { apikey: env.anonKey, 'content-type': 'application/json' },
			// Just over the default 1 MiB limit: the server refuses once it has read 1 MiB and closes the
			// connection, so a body much larger than that races the refusal (the client may get EPIPE
			// while still writing, before it reads the 413).
			body: JSON.stringify({ title: 'x'.repeat(1024 * 1024 + 1024) })
		});
		expect(huge.status).toBe(413);
		expect(await huge.json()).toHaveProperty('message');

		const health = await fetch(`${env.url}/health`);
		expect(health.status).toBe(200);
	});
});
