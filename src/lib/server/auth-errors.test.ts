import { describe, expect, it } from 'vitest';
import { explainAuthError } from './auth-errors';

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
