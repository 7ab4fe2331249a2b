import { describe, expect, it } from 'vitest';
import { explainAuthError, safeRedirect } from './auth-errors';

describe('explainAuthError', () => {
	it('says the credentials do not match, under the password', () => {
		expect(
			explainAuthError({ code: 'invalid_credentials', status: 400, message: 'Invalid login credentials' })
		).toEqual({
			field: 'password',
			message: "That email and password don't match."
		});
	});
	it('treats server errors and unreachable servers as retryable', () => {
		expect(explainAuthError({ code: undefined, status: 0, message: 'fetch failed' }).message).toMatch(
			/isn't answering/
		);
		expect(explainAuthError({ code: 'unexpected_failure', status: 500, message: '' }).field).toBe('form');
	});
});

describe('safeRedirect', () => {
	it('follows same-site paths only', () => {
		expect(safeRedirect('/?tab=unread')).toBe('/?tab=unread');
		expect(safeRedirect('//evil.example')).toBe('/');
		expect(safeRedirect('https://evil.example')).toBe('/');
		expect(safeRedirect(null)).toBe('/');
	});
});
