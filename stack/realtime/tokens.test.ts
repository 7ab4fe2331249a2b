import { describe, expect, it } from 'vitest';
import { DEFAULT_JWT_SECRET } from '../config.ts';
import { LOCAL_KEYS, signJwt } from '../keys.ts';
import { secondsSinceExpiry, verifyToken } from './tokens.ts';

const secret = DEFAULT_JWT_SECRET;

describe('verifyToken', () => {
	it('accepts the local keys and user tokens', async () => {
		expect(await verifyToken(LOCAL_KEYS.anon, secret)).toMatchObject({
			ok: true,
			role: 'anon',
			exp: 1983812996
		});
		expect(await verifyToken(LOCAL_KEYS.secret, secret)).toMatchObject({ ok: true, role: 'service_role' });
		const user = await signJwt({ role: 'authenticated', sub: 'u1' }, secret, 60);
		expect(await verifyToken(user, secret)).toMatchObject({
			ok: true,
			role: 'authenticated',
			claims: { sub: 'u1' }
		});
	});

	it('words refusals as Supabase Realtime does', async () => {
		const expired = await signJwt({ role: 'authenticated', exp: Math.floor(Date.now() / 1000) - 5 }, secret);
		expect(await verifyToken(expired, secret)).toEqual({
			ok: false,
			code: 'InvalidJWTToken',
			message: expect.stringMatching(/^Token has expired [5-9] seconds ago$/)
		});
		expect(await verifyToken(await signJwt({ role: 'anon' }, secret), secret)).toEqual({
			ok: false,
			code: 'InvalidJWTToken',
			message: 'Fields `role` and `exp` are required in JWT'
		});
		expect(await verifyToken('nope', secret)).toMatchObject({ code: 'MalformedJWT' });
		const foreign = await signJwt({ role: 'anon' }, 'another-secret-that-is-at-least-32-characters', 60);
		expect(await verifyToken(foreign, secret)).toMatchObject({ code: 'JwtSignatureError' });
		expect(await verifyToken('sb_publishable_unknown', secret)).toMatchObject({ ok: false });
	});

	it('counts whole seconds since expiry', () => {
		expect(secondsSinceExpiry(100, 100_000)).toBe(0);
		expect(secondsSinceExpiry(100, 102_900)).toBe(2);
	});
});
