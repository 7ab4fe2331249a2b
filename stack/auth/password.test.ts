import { describe, expect, it } from 'vitest';
import { AuthError } from './errors.ts';
import { burnPasswordCheck, checkPasswordStrength, hashPassword, verifyPassword } from './password.ts';

describe('passwords', () => {
	it('hashes as bcrypt $2a$ with cost 10, like GoTrue and pgcrypto', async () => {
		const hash = await hashPassword('password123');
		expect(hash).toMatch(/^\$2a\$10\$[./A-Za-z0-9]{53}$/);
		expect(await verifyPassword('password123', hash)).toBe(true);
		expect(await verifyPassword('password124', hash)).toBe(false);
	});

	it("verifies hashes written by pgcrypto's crypt(pw, gen_salt('bf'))", async () => {
		const pgcrypto = '$2a$06$TcAfKpDrLvrIv1fiR45F6Oa7zJI.ETdXirMgXhg3FuLK.ZEdcBf.y';
		expect(await verifyPassword('password123', pgcrypto)).toBe(true);
		expect(await verifyPassword('password', pgcrypto)).toBe(false);
	});

	it('never matches a missing or unreadable hash', async () => {
		expect(await verifyPassword('', '')).toBe(false);
		expect(await verifyPassword('x', null)).toBe(false);
		expect(await verifyPassword('x', 'not-a-hash')).toBe(false);
	});

	it('applies GoTrue strength rules: minimum length (weak_password) and 72 bytes at most', () => {
		expect(() => checkPasswordStrength('abcdef', 6)).not.toThrow();
		try {
			checkPasswordStrength('abc', 6);
			throw new Error('accepted');
		} catch (error) {
			expect(error).toBeInstanceOf(AuthError);
			expect(error).toMatchObject({
				status: 422,
				errorCode: 'weak_password',
				extra: { weak_password: { reasons: ['length'] } }
			});
		}
		expect(() => checkPasswordStrength('é'.repeat(37), 6)).toThrow(
			'Password cannot be longer than 72 characters'
		);
	});

	it('burns a comparison for an unknown user and never matches', async () => {
		expect(await burnPasswordCheck('')).toBe(false);
		expect(await burnPasswordCheck('password123')).toBe(false);
	});
});
