import { describe, expect, it } from 'vitest';
import { AuthError, OAuthError, renderAuthError, wantsVersion20240101, weakPassword } from './errors.ts';

describe('GoTrue error rendering', () => {
	const error = new AuthError(400, 'invalid_credentials', 'Invalid login credentials');

	it('uses {code, message} and echoes the version for API version 2024-01-01 and later', () => {
		expect(renderAuthError(error, '2024-01-01')).toEqual({
			status: 400,
			body: { code: 'invalid_credentials', message: 'Invalid login credentials' },
			headers: { 'X-Supabase-Api-Version': '2024-01-01', 'x-sb-error-code': 'invalid_credentials' }
		});
		expect(renderAuthError(error, '2025-06-30').headers['X-Supabase-Api-Version']).toBe('2024-01-01');
	});

	it('uses the legacy {code: status, error_code, msg} without a (valid, recent) version', () => {
		for (const version of [undefined, '', '2023-12-31', 'yesterday']) {
			const rendered = renderAuthError(error, version);
			expect(rendered.body).toEqual({
				code: 400,
				error_code: 'invalid_credentials',
				msg: 'Invalid login credentials'
			});
			expect(rendered.headers).not.toHaveProperty('X-Supabase-Api-Version');
		}
	});

	it('keeps weak_password reasons in both shapes', () => {
		const weak = weakPassword('Password should be at least 6 characters.', ['length']);
		expect(renderAuthError(weak, '2024-01-01').body).toEqual({
			code: 'weak_password',
			message: 'Password should be at least 6 characters.',
			weak_password: { reasons: ['length'] }
		});
		expect(renderAuthError(weak, undefined).body).toMatchObject({
			code: 422,
			weak_password: { reasons: ['length'] }
		});
	});

	it('renders OAuth-style errors the same in every version', () => {
		const oauth = new OAuthError('invalid_request', 'refresh_token required');
		expect(renderAuthError(oauth, '2024-01-01').body).toEqual({
			error: 'invalid_request',
			error_description: 'refresh_token required'
		});
	});

	it('parses the version header like GoTrue (a YYYY-MM-DD date)', () => {
		expect(wantsVersion20240101('2024-01-01')).toBe(true);
		expect(wantsVersion20240101('2024-1-1')).toBe(false);
		expect(wantsVersion20240101('2023-12-31')).toBe(false);
	});
});
