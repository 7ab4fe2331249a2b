/**
 * Auth features the stack does not offer answer as GoTrue does with them switched off (status,
 * error code and text, through supabase-js where it has a call), and reauthenticate works.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { client, closeSql, signedIn, sql, testEnv } from './helpers.ts';

afterAll(() => closeSql());

/** What supabase-js reports for a refusal: HTTP status, GoTrue error code and message. */
function refusal(error: { status?: number; code?: string; message: string } | null) {
	return error && { status: error.status, code: error.code, message: error.message };
}

async function http(method: string, path: string, init: { token?: string; body?: unknown } = {}) {
	const { url, anonKey } = testEnv();
	const response = await fetch(`${url}/auth/v1${path}`, {
		method,
		redirect: 'manual',
		headers: {
			apikey: anonKey,
			Authorization: `Bearer ${init.token ?? anonKey}`,
			'Content-Type': 'application/json',
			'X-Supabase-Api-Version': '2024-01-01'
		},
		body: init.body === undefined ? undefined : JSON.stringify(init.body)
	});
	return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

describe('features the stack does not offer', () => {
	it('refuses magic links and OTP with GoTrue codes, create_user false first', async () => {
		const auth = client().auth;
		expect(refusal((await auth.signInWithOtp({ email: 'alice@example.com' })).error)).toEqual({
			status: 422,
			code: 'email_provider_disabled',
			message: 'Login with magic link is disabled'
		});
		const unknown = { email: 'nobody-otp@example.com', options: { shouldCreateUser: false } };
		expect(refusal((await auth.signInWithOtp(unknown)).error)).toEqual({
			status: 422,
			code: 'otp_disabled',
			message: 'Signups not allowed for otp'
		});
		expect(refusal((await auth.signInWithOtp({ phone: '+15555550100' })).error)).toEqual({
			status: 400,
			code: 'phone_provider_disabled',
			message: 'Unsupported phone provider'
		});
		const verify = await auth.verifyOtp({ email: 'alice@example.com', token: '123456', type: 'email' });
		expect(refusal(verify.error)).toEqual({
			status: 403,
			code: 'otp_expired',
			message: 'Token has expired or is invalid'
		});
		expect((await auth.resend({ type: 'signup', email: 'alice@example.com' })).error).toBeNull();
	});

	it('answers password recovery as GoTrue without a mail server, revealing no accounts', async () => {
		const auth = client().auth;
		expect((await auth.resetPasswordForEmail('nobody-recover@example.com')).error).toBeNull();
		// GoTrue failing to send: a 500 (supabase-js reads any 5xx as retryable, without a code).
		expect(refusal((await auth.resetPasswordForEmail('alice@example.com')).error)).toEqual({
			status: 500,
			code: undefined,
			message: 'Error sending recovery email'
		});
		expect(await http('POST', '/recover', { body: { email: 'alice@example.com' } })).toEqual({
			status: 500,
			body: { code: 'unexpected_failure', message: 'Error sending recovery email' }
		});
		expect(refusal((await auth.resetPasswordForEmail('')).error)).toMatchObject({
			status: 400,
			message: 'Password recovery requires an email'
		});
	});

	it('refuses OAuth, id_token, PKCE, web3 and SSO sign-ins with GoTrue words', async () => {
		expect(await http('GET', '/authorize?provider=github')).toEqual({
			status: 400,
			body: { code: 'validation_failed', message: 'Unsupported provider: provider is not enabled' }
		});
		// The browser navigates there itself, with no API key: the gateway lets it through as Kong does.
		const navigated = await fetch(`${testEnv().url}/auth/v1/authorize?provider=github`, {
			redirect: 'manual'
		});
		expect(navigated.status).toBe(400);
		// No API version header: GoTrue's older error shape.
		expect(await navigated.json()).toMatchObject({ code: 400, error_code: 'validation_failed' });
		expect((await http('GET', '/authorize?provider=myspace')).body.message).toBe(
			'Unsupported provider: Provider myspace could not be found'
		);
		const auth = client().auth;
		const idToken = await auth.signInWithIdToken({ provider: 'google', token: 'x.y.z' });
		expect(refusal(idToken.error)).toEqual({
			status: 400,
			code: 'provider_disabled',
			message: 'Provider (issuer "https://accounts.google.com") is not enabled'
		});
		expect(
			await http('POST', '/token?grant_type=pkce', { body: { auth_code: 'abc', code_verifier: 'def' } })
		).toEqual({
			status: 404,
			body: { code: 'flow_state_not_found', message: 'invalid flow state, no valid flow state found' }
		});
		expect((await http('POST', '/token?grant_type=web3', { body: {} })).body).toEqual({
			code: 'web3_provider_disabled',
			message: 'Web3 provider is disabled'
		});
		expect(refusal((await auth.signInWithSSO({ domain: 'example.com' })).error)).toEqual({
			status: 404,
			code: 'saml_provider_disabled',
			message: 'SAML 2.0 is disabled'
		});
		expect(await http('POST', '/passkeys/authentication/options', { body: {} })).toEqual({
			status: 404,
			body: { code: 'passkey_disabled', message: 'Passkeys are disabled' }
		});
	});

	it('refuses MFA enrolment, unknown factors and manual linking for a signed-in user', async () => {
		const { supabase, session } = await signedIn('bob@example.com');
		expect(refusal((await supabase.auth.mfa.enroll({ factorType: 'totp' })).error)).toEqual({
			status: 422,
			code: 'mfa_totp_enroll_not_enabled',
			message: 'MFA enroll is disabled for TOTP'
		});
		const challenge = await supabase.auth.mfa.challenge({ factorId: crypto.randomUUID() });
		expect(refusal(challenge.error)).toEqual({
			status: 404,
			code: 'mfa_factor_not_found',
			message: 'Factor not found'
		});
		expect(
			await http('GET', '/user/identities/authorize?provider=github', { token: session.access_token })
		).toEqual({
			status: 404,
			body: { code: 'manual_linking_disabled', message: 'Manual linking is disabled' }
		});
		// Signed out, these need a user first (GoTrue's requireAuthentication).
		expect((await http('POST', '/factors', { body: { factor_type: 'totp' } })).status).toBe(403);
	});
});

describe('reauthenticate', () => {
	it('issues a one-time code for a confirmed user, once per max_frequency', async () => {
		const { supabase, user } = await signedIn('carol@example.com');
		const first = await supabase.auth.reauthenticate();
		expect(first.error).toBeNull();
		const [row] = await sql<{ token: string; sent: Date | null }>(
			'select reauthentication_token as token, reauthentication_sent_at as sent from auth.users where id = $1',
			[user.id]
		);
		// Kept hashed as GoTrue keeps it (SHA-224 hex), never the code itself.
		expect(row.token).toMatch(/^[0-9a-f]{56}$/);
		expect(row.sent).not.toBeNull();
		const again = await supabase.auth.reauthenticate();
		expect(refusal(again.error)).toMatchObject({
			status: 429,
			code: 'over_email_send_rate_limit',
			message: expect.stringMatching(/^For security purposes, you can only request this after \d+ seconds\.$/)
		});
		// Signed out: no user to reauthenticate.
		expect((await http('GET', '/reauthenticate')).status).toBe(403);
	});
});
