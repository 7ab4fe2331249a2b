/**
 * Auth over plain HTTP for what clients never send: malformed bodies, missing fields, bad grants,
 * and expired, forged or unsigned JWTs. Each gets GoTrue's status, code and words.
 */
import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { signedIn, testEnv } from './helpers.ts';

const MODERN = { 'X-Supabase-Api-Version': '2024-01-01' };

async function auth(
	path: string,
	init: { method?: string; body?: string; headers?: Record<string, string> } = {}
) {
	const env = testEnv();
	const response = await fetch(`${env.url}/auth/v1${path}`, {
		method: init.method ?? 'GET',
		body: init.body,
		headers: { apikey: env.anonKey, 'Content-Type': 'application/json', ...init.headers }
	});
	const text = await response.text();
	return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : null };
}

const base64url = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');

async function userToken(claims: Record<string, unknown>, secret = testEnv().jwtSecret) {
	return new SignJWT(claims)
		.setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
		.sign(new TextEncoder().encode(secret));
}

describe('error shapes', () => {
	it('answers malformed JSON with 400 bad_json in the shape the API version asks for', async () => {
		const modern = await auth('/token?grant_type=password', {
			method: 'POST',
			body: '{"email":',
			headers: MODERN
		});
		expect(modern.status).toBe(400);
		expect(modern.headers.get('x-supabase-api-version')).toBe('2024-01-01');
		expect(modern.body).toEqual({
			code: 'bad_json',
			message: expect.stringMatching(/^Could not parse request body as JSON: /)
		});

		const legacy = await auth('/signup', { method: 'POST', body: 'not json' });
		expect(legacy.status).toBe(400);
		expect(legacy.headers.get('x-supabase-api-version')).toBeNull();
		expect(legacy.body).toEqual({
			code: 400,
			error_code: 'bad_json',
			msg: expect.stringMatching(/^Could not parse request body as JSON: /)
		});
	});

	it('refuses fields of the wrong type', async () => {
		const { status, body } = await auth('/signup', {
			method: 'POST',
			body: JSON.stringify({ email: 42, password: 'secret-password' }),
			headers: MODERN
		});
		expect(status).toBe(400);
		expect(body.code).toBe('bad_json');
	});

	it('names missing fields', async () => {
		const noLogin = await auth('/token?grant_type=password', { method: 'POST', body: '{}', headers: MODERN });
		expect(noLogin).toMatchObject({
			status: 400,
			body: { code: 'validation_failed', message: 'missing email or phone' }
		});

		const noPassword = await auth('/signup', {
			method: 'POST',
			body: JSON.stringify({ email: `http-${randomUUID()}@example.com` }),
			headers: MODERN
		});
		expect(noPassword).toMatchObject({
			status: 400,
			body: { code: 'validation_failed', message: 'Signup requires a valid password' }
		});

		const badEmail = await auth('/signup', {
			method: 'POST',
			body: JSON.stringify({ email: 'not-an-email', password: 'secret-password' }),
			headers: MODERN
		});
		expect(badEmail).toMatchObject({ status: 400, body: { code: 'validation_failed' } });

		const noRefresh = await auth('/token?grant_type=refresh_token', { method: 'POST', body: '{}' });
		expect(noRefresh).toMatchObject({
			status: 400,
			body: { error: 'invalid_request', error_description: 'refresh_token required' }
		});
	});

	it('refuses an unknown grant type', async () => {
		const { status, body } = await auth('/token?grant_type=magic', {
			method: 'POST',
			body: '{}',
			headers: MODERN
		});
		expect(status).toBe(400);
		expect(body).toEqual({ code: 'invalid_credentials', message: 'unsupported_grant_type' });
	});

	it('sends weak_password reasons with the weak password error', async () => {
		const { status, body } = await auth('/signup', {
			method: 'POST',
			body: JSON.stringify({ email: `http-${randomUUID()}@example.com`, password: 'abc' }),
			headers: MODERN
		});
		expect(status).toBe(422);
		expect(body).toEqual({
			code: 'weak_password',
			message: 'Password should be at least 6 characters.',
			weak_password: { reasons: ['length'] }
		});
	});
});

describe('JWTs on /user', () => {
	it('requires a bearer token', async () => {
		const env = testEnv();
		const response = await fetch(`${env.url}/auth/v1/user`, { headers: { apikey: env.anonKey, ...MODERN } });
		expect(response.status).toBe(401);
		expect(await response.json()).toEqual({
			code: 'no_authorization',
			message: 'This endpoint requires a valid Bearer token'
		});
	});

	it('refuses an API key in place of a user token: it has no subject', async () => {
		const { status, body } = await auth('/user', {
			headers: { Authorization: `Bearer ${testEnv().anonKey}`, ...MODERN }
		});
		expect(status).toBe(403);
		expect(body).toEqual({ code: 'bad_jwt', message: 'invalid claim: missing sub claim' });
	});

	it('refuses expired, forged and unsigned tokens with 403 bad_jwt', async () => {
		const { session, user } = await signedIn('carol@example.com');
		const now = Math.floor(Date.now() / 1000);
		const claims = { sub: user.id, aud: 'authenticated', role: 'authenticated', session_id: randomUUID() };
		const expired = await userToken({ ...claims, iat: now - 7200, exp: now - 3600 });
		const forged = await userToken(
			{ ...claims, iat: now, exp: now + 3600 },
			'not-the-project-secret-but-long-enough-anyway'
		);
		const [, payload] = session.access_token.split('.');
		const unsigned = `${base64url({ alg: 'none', typ: 'JWT' })}.${payload}.`;
		const tampered = `${session.access_token.split('.')[0]}.${base64url({ ...claims, role: 'service_role', exp: now + 60 })}.${session.access_token.split('.')[2]}`;

		for (const token of [expired, forged, unsigned, tampered, 'garbage']) {
			const { status, body } = await auth('/user', {
				headers: { Authorization: `Bearer ${token}`, ...MODERN }
			});
			expect(status, token).toBe(403);
			expect(body.code).toBe('bad_jwt');
			expect(body.message).toMatch(/^invalid JWT: unable to parse or verify signature, /);
		}
	});

	it('refuses a valid token whose session no longer exists', async () => {
		const { user } = await signedIn('dave@example.com');
		const now = Math.floor(Date.now() / 1000);
		const token = await userToken({
			sub: user.id,
			aud: 'authenticated',
			role: 'authenticated',
			session_id: randomUUID(),
			iat: now,
			exp: now + 60
		});
		const { status, body } = await auth('/user', {
			headers: { Authorization: `Bearer ${token}`, ...MODERN }
		});
		expect(status).toBe(403);
		expect(body).toEqual({
			code: 'session_not_found',
			message: 'Session from session_id claim in JWT does not exist'
		});
	});

	it('rejects an unknown logout scope', async () => {
		const { session } = await signedIn('dave@example.com');
		const { status, body } = await auth('/logout?scope=everywhere', {
			method: 'POST',
			headers: { Authorization: `Bearer ${session.access_token}`, ...MODERN }
		});
		expect(status).toBe(400);
		expect(body).toEqual({ code: 'validation_failed', message: 'Unsupported logout scope "everywhere"' });
	});
});

describe('service endpoints', () => {
	it('serves /settings and /health like GoTrue', async () => {
		const settings = await auth('/settings');
		expect(settings.status).toBe(200);
		expect(settings.body).toMatchObject({
			external: { email: true, anonymous_users: false },
			disable_signup: false,
			mailer_autoconfirm: true
		});
		const health = await auth('/health');
		expect(health).toMatchObject({ status: 200, body: { name: 'GoTrue' } });
	});
});
