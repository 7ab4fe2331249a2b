/**
 * The auth app without a database: everything GoTrue decides before reading a row (body parsing,
 * rate limits, settings, JWT checks) and how an unexpected failure is reported.
 */
import type pg from 'pg';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../config.ts';
import { LOCAL_KEYS, signJwt } from '../keys.ts';
import { createLogger } from '../log.ts';
import { createAuth } from './index.ts';

const MODERN = { 'X-Supabase-Api-Version': '2024-01-01' };

function app(env: Record<string, string> = {}) {
	const config = loadConfig({ STACK_LOG_LEVEL: 'silent', ...env });
	// Any database access fails: these requests must be answered before one.
	const pool = {
		query: () => Promise.reject(new Error('database unavailable')),
		connect: () => Promise.reject(new Error('database unavailable'))
	} as unknown as pg.Pool;
	return createAuth({ config, pool, log: createLogger('silent') });
}

async function call(auth: ReturnType<typeof app>, path: string, init: RequestInit = {}) {
	const response = await auth.request(path, init);
	const text = await response.text();
	return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : null };
}

describe('auth app', () => {
	it('answers malformed JSON with bad_json', async () => {
		const result = await call(app(), '/token?grant_type=password', {
			method: 'POST',
			body: '{',
			headers: MODERN
		});
		expect(result.status).toBe(400);
		expect(result.body.code).toBe('bad_json');
	});

	it('limits password and refresh grants per address and answers 429 over_request_rate_limit', async () => {
		const auth = app({ STACK_AUTH_RATE_LIMIT_TOKEN_REFRESH: '2' });
		const attempt = () =>
			call(auth, '/token?grant_type=password', { method: 'POST', body: '{}', headers: MODERN });
		expect((await attempt()).body.code).toBe('validation_failed');
		expect((await attempt()).body.code).toBe('validation_failed');
		const limited = await attempt();
		expect(limited).toMatchObject({
			status: 429,
			body: { code: 'over_request_rate_limit', message: 'Request rate limit reached' }
		});
	});

	it('limits sign-ups with the sign-in/sign-up limit', async () => {
		const auth = app({ STACK_AUTH_RATE_LIMIT_SIGN_IN: '1' });
		const attempt = () =>
			call(auth, '/signup', {
				method: 'POST',
				body: JSON.stringify({ email: 'a@example.com' }),
				headers: MODERN
			});
		expect((await attempt()).body.code).toBe('validation_failed');
		expect((await attempt()).status).toBe(429);
	});

	it('refuses anonymous sign-ins unless enabled, and sign-ups when disabled', async () => {
		const anonymous = await call(app(), '/signup', { method: 'POST', body: '{}', headers: MODERN });
		expect(anonymous).toMatchObject({
			status: 422,
			body: { code: 'anonymous_provider_disabled', message: 'Anonymous sign-ins are disabled' }
		});
		const closed = await call(app({ STACK_AUTH_ENABLE_SIGNUP: 'false' }), '/signup', {
			method: 'POST',
			body: JSON.stringify({ email: 'a@example.com', password: 'password123' }),
			headers: MODERN
		});
		expect(closed).toMatchObject({
			status: 422,
			body: { code: 'signup_disabled', message: 'Signups not allowed for this instance' }
		});
	});

	it('reports settings from the configuration', async () => {
		const { body } = await call(app({ STACK_AUTH_ENABLE_ANONYMOUS: 'true' }), '/settings');
		expect(body).toMatchObject({ external: { email: true, anonymous_users: true }, disable_signup: false });
	});

	it('checks bearer tokens before reading users', async () => {
		const auth = app();
		expect((await call(auth, '/user', { headers: MODERN })).status).toBe(401);
		const forged = await signJwt({ sub: crypto.randomUUID(), role: 'authenticated' }, 'x'.repeat(40), 60);
		const bad = await call(auth, '/user', { headers: { ...MODERN, Authorization: `Bearer ${forged}` } });
		expect(bad).toMatchObject({ status: 403, body: { code: 'bad_jwt' } });
		const notAdmin = await call(auth, '/admin/users', {
			headers: { ...MODERN, Authorization: `Bearer ${LOCAL_KEYS.anon}` }
		});
		expect(notAdmin).toMatchObject({ status: 403, body: { code: 'not_admin', message: 'User not allowed' } });
	});

	it('turns unexpected failures into 500 unexpected_failure without details', async () => {
		const result = await call(app(), '/token?grant_type=password', {
			method: 'POST',
			body: JSON.stringify({ email: 'a@example.com', password: 'password123' }),
			headers: MODERN
		});
		expect(result).toMatchObject({
			status: 500,
			body: {
				code: 'unexpected_failure',
				message: 'Unexpected failure, please check server logs for more information'
			}
		});
	});

	it('answers unknown paths with a JSON 404', async () => {
		expect((await call(app(), '/nope')).status).toBe(404);
	});
});
