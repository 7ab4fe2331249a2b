import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../config.ts';
import { AUTH_RATE_LIMIT_DEFAULTS, parseAuthRateLimits, readAuthRateLimits } from './rate-limit-config.ts';

describe('auth rate limits from config.toml', () => {
	it('reads [auth.rate_limit] as the CLI passes it to GoTrue, env(NAME) included', () => {
		const toml = `[auth]\nenabled = true\n[auth.rate_limit]\nsign_in_sign_ups = 3\ntoken_refresh = "env(REFRESH)"\n`;
		expect(parseAuthRateLimits(toml, 'config.toml', { REFRESH: '7' })).toEqual({
			...AUTH_RATE_LIMIT_DEFAULTS,
			sign_in_sign_ups: 3,
			token_refresh: 7
		});
	});

	it('keeps the defaults without the file or the section, and names a bad value', async () => {
		const dir = await mkdtemp(path.join(os.tmpdir(), 'beacon-toml-'));
		try {
			expect(readAuthRateLimits(dir, {})).toEqual(AUTH_RATE_LIMIT_DEFAULTS);
		} finally {
			await rm(dir, { recursive: true, force: true });
		}
		expect(parseAuthRateLimits('[db]\nport = 1\n', 'c.toml', {})).toEqual(AUTH_RATE_LIMIT_DEFAULTS);
		expect(() => parseAuthRateLimits('[auth.rate_limit]\nweb3 = -1\n', 'c.toml', {})).toThrow(
			'c.toml: [auth.rate_limit] web3 must be a whole number, got "-1"'
		);
		expect(() => parseAuthRateLimits('[auth\n', 'c.toml', {})).toThrow('c.toml is not valid TOML');
	});

	it("takes the project's config.toml values, and STACK_AUTH_RATE_LIMIT_* over them", () => {
		const fromToml = loadConfig({ STACK_SUPABASE_DIR: 'supabase' });
		expect(fromToml.auth.rateLimitSignIn).toBe(30);
		expect(fromToml.auth.rateLimitTokenRefresh).toBe(150);
		expect(fromToml.auth.rateLimitAnonymous).toBe(30);
		expect(fromToml.auth.rateLimitVerify).toBe(30);
		const overridden = loadConfig({ STACK_SUPABASE_DIR: 'supabase', STACK_AUTH_RATE_LIMIT_SIGN_IN: '5' });
		expect(overridden.auth.rateLimitSignIn).toBe(5);
	});
});
