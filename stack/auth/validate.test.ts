import { describe, expect, it } from 'vitest';
import { AuthError } from './errors.ts';
import { parseBanDuration, validateEmail, validatePhone } from './validate.ts';

const failure = (fn: () => unknown) => {
	try {
		fn();
	} catch (error) {
		return error as AuthError;
	}
	throw new Error('expected a failure');
};

describe('validateEmail', () => {
	it('lower-cases valid addresses', () => {
		expect(validateEmail('Alice.Chen+tag@Example.COM')).toBe('alice.chen+tag@example.com');
	});

	it('refuses empty, long and malformed addresses with GoTrue texts', () => {
		expect(failure(() => validateEmail(''))).toMatchObject({
			errorCode: 'validation_failed',
			message: 'An email address is required'
		});
		expect(failure(() => validateEmail(`${'a'.repeat(250)}@x.com`)).message).toBe(
			'An email address is too long'
		);
		for (const bad of ['plain', 'a@', '@b.com', 'a b@c.com', 'a@-b.com']) {
			expect(failure(() => validateEmail(bad)).message).toBe(
				'Unable to validate email address: invalid format'
			);
		}
	});
});

describe('validatePhone', () => {
	it('keeps E.164 digits without the plus', () => {
		expect(validatePhone('+1 555 0100')).toBe('15550100');
	});
	it('refuses other formats', () => {
		expect(failure(() => validatePhone('0123')).message).toBe('Invalid phone number format (E.164 required)');
	});
});

describe('parseBanDuration', () => {
	it('reads Go durations and "none"', () => {
		expect(parseBanDuration('24h')).toBe(86_400_000);
		expect(parseBanDuration('1h30m')).toBe(5_400_000);
		expect(parseBanDuration('1.5s')).toBe(1500);
		expect(parseBanDuration('none')).toBe(0);
	});
	it('refuses anything else', () => {
		expect(failure(() => parseBanDuration('tomorrow')).errorCode).toBe('validation_failed');
		expect(failure(() => parseBanDuration('24')).errorCode).toBe('validation_failed');
	});
});
