import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_JWT_SECRET } from './config.ts';
import {
	jwksFor,
	JwtError,
	loadSigningKeys,
	LOCAL_KEYS,
	roleForApiKey,
	SIGNING_KEYS_FILE,
	signJwt,
	signJwtWithKey,
	verifyJwt
} from './keys.ts';

const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');

describe('API keys', () => {
	it('grants the roles the Supabase CLI keys stand for', async () => {
		expect(await roleForApiKey(LOCAL_KEYS.anon, DEFAULT_JWT_SECRET)).toBe('anon');
		expect(await roleForApiKey(LOCAL_KEYS.serviceRole, DEFAULT_JWT_SECRET)).toBe('service_role');
		expect(await roleForApiKey(LOCAL_KEYS.publishable, DEFAULT_JWT_SECRET)).toBe('anon');
		expect(await roleForApiKey(LOCAL_KEYS.secret, DEFAULT_JWT_SECRET)).toBe('service_role');
	});

	it('refuses keys signed with another secret, user tokens and unknown sb_ keys', async () => {
		expect(await roleForApiKey(LOCAL_KEYS.anon, 'another-secret-that-is-at-least-32-chars')).toBeNull();
		const user = await signJwt({ role: 'authenticated', sub: 'x' }, DEFAULT_JWT_SECRET, 60);
		expect(await roleForApiKey(user, DEFAULT_JWT_SECRET)).toBeNull();
		expect(await roleForApiKey('sb_publishable_nope', DEFAULT_JWT_SECRET)).toBeNull();
		// The published opaque keys belong to the demo secret, not to a project's own.
		expect(await roleForApiKey(LOCAL_KEYS.secret, 'another-secret-that-is-at-least-32-chars')).toBeNull();
		expect(
			await roleForApiKey(LOCAL_KEYS.publishable, 'another-secret-that-is-at-least-32-chars')
		).toBeNull();
		expect(await roleForApiKey('', DEFAULT_JWT_SECRET)).toBeNull();
	});
});

describe('verifyJwt', () => {
	it('returns the claims of a token it signed', async () => {
		const token = await signJwt({ role: 'authenticated', sub: 'u1' }, DEFAULT_JWT_SECRET, 60);
		expect(await verifyJwt(token, DEFAULT_JWT_SECRET)).toMatchObject({ role: 'authenticated', sub: 'u1' });
	});

	it('says how long ago an expired token expired', async () => {
		const exp = Math.floor(Date.now() / 1000) - 30;
		const token = await signJwt({ role: 'authenticated', exp }, DEFAULT_JWT_SECRET);
		const error = await verifyJwt(token, DEFAULT_JWT_SECRET).catch((e: unknown) => e);
		expect(error).toBeInstanceOf(JwtError);
		expect((error as JwtError).reason).toBe('expired');
		expect((error as JwtError).expiredFor).toBeGreaterThanOrEqual(30);
	});

	it('refuses alg none, forged signatures and garbage', async () => {
		const none = `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ role: 'service_role' })}.`;
		await expect(verifyJwt(none, DEFAULT_JWT_SECRET)).rejects.toBeInstanceOf(JwtError);
		const [h, p] = LOCAL_KEYS.anon.split('.');
		const forged = `${h}.${b64({ iss: 'supabase-demo', role: 'service_role', exp: 1983812996 })}.${LOCAL_KEYS.anon.split('.')[2]}`;
		await expect(verifyJwt(forged, DEFAULT_JWT_SECRET)).rejects.toMatchObject({ reason: 'invalid' });
		await expect(verifyJwt(`${h}.${p}`, DEFAULT_JWT_SECRET)).rejects.toMatchObject({ reason: 'malformed' });
		await expect(verifyJwt('not a token', DEFAULT_JWT_SECRET)).rejects.toMatchObject({ reason: 'malformed' });
	});
});

describe('signing keys', () => {
	it('makes an ES256 key pair in the data folder once, owner-only, and keeps it across starts', async () => {
		const dir = await mkdtemp(path.join(os.tmpdir(), 'beacon-keys-'));
		const secret = `${'k'.repeat(32)}-${dir}`;
		try {
			const first = await loadSigningKeys(dir, secret);
			expect((await stat(path.join(dir, SIGNING_KEYS_FILE))).mode & 0o777).toBe(0o600);
			const token = await signJwtWithKey({ role: 'authenticated', sub: 'u1' }, first);
			const again = await loadSigningKeys(dir, secret);
			expect(again.kid).toBe(first.kid);
			expect(jwksFor(secret).keys).toEqual([first.publicJwk]);
			expect(await verifyJwt(token, secret)).toMatchObject({ sub: 'u1' });
			// Another project (secret) does not accept this project's tokens.
			await expect(verifyJwt(token, DEFAULT_JWT_SECRET)).rejects.toMatchObject({ reason: 'invalid' });
		} finally {
			await rm(dir, { recursive: true, force: true });
		}
	});

	it('refuses a file that holds no usable private key, saying where it is', async () => {
		const dir = await mkdtemp(path.join(os.tmpdir(), 'beacon-keys-'));
		try {
			await writeFile(path.join(dir, SIGNING_KEYS_FILE), JSON.stringify([{ kty: 'oct', k: 'x' }]));
			await expect(loadSigningKeys(dir, DEFAULT_JWT_SECRET)).rejects.toThrow(
				`bad JWT signing key in ${path.join(dir, SIGNING_KEYS_FILE)}`
			);
		} finally {
			await rm(dir, { recursive: true, force: true });
		}
	});
});
