/**
 * Auth rate limits from the project's `supabase/config.toml` `[auth.rate_limit]`, read as the
 * Supabase CLI reads them and hands them to GoTrue (GOTRUE_RATE_LIMIT_*): numbers, or
 * `"env(NAME)"` for a value from the environment. Absent keys keep Supabase's defaults.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'smol-toml';

/** config.toml's `[auth.rate_limit]` keys, with the CLI template's defaults. */
export const AUTH_RATE_LIMIT_DEFAULTS = {
	/** Emails per hour (only with `[auth.email.smtp]`; the stack sends none). */
	email_sent: 2,
	/** SMS per hour (the stack sends none). */
	sms_sent: 30,
	/** Anonymous sign-ins per IP per hour. */
	anonymous_users: 30,
	/** Token refreshes (and password grants, as GoTrue counts them) per IP per 5 minutes. */
	token_refresh: 150,
	/** Sign-ins and sign-ups per IP per 5 minutes. */
	sign_in_sign_ups: 30,
	/** OTP and magic-link verifications per IP per 5 minutes. */
	token_verifications: 30,
	/** Web3 sign-ins per IP per 5 minutes. */
	web3: 30
} as const;

export type AuthRateLimits = { -readonly [K in keyof typeof AUTH_RATE_LIMIT_DEFAULTS]: number };

/** The limits a config.toml text sets; `env` resolves `"env(NAME)"` values. */
export function parseAuthRateLimits(
	text: string,
	file: string,
	env: Record<string, string | undefined>
): AuthRateLimits {
	let doc: Record<string, unknown>;
	try {
		doc = parse(text);
	} catch (error) {
		throw new Error(`${file} is not valid TOML: ${(error as Error).message}`);
	}
	const auth = doc.auth as Record<string, unknown> | undefined;
	const section = (auth?.rate_limit ?? {}) as Record<string, unknown>;
	const limits: AuthRateLimits = { ...AUTH_RATE_LIMIT_DEFAULTS };
	for (const key of Object.keys(limits) as (keyof AuthRateLimits)[]) {
		let value = section[key];
		if (value === undefined) continue;
		const fromEnv = typeof value === 'string' ? /^env\((\w+)\)$/.exec(value) : null;
		if (fromEnv) value = env[fromEnv[1]] === undefined ? undefined : Number(env[fromEnv[1]]);
		if (value === undefined) continue;
		if (typeof value === 'bigint') value = Number(value);
		if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
			throw new Error(
				`${file}: [auth.rate_limit] ${key} must be a whole number, got ${JSON.stringify(String(value))}`
			);
		}
		limits[key] = value;
	}
	return limits;
}

/** The limits in `supabaseDir`/config.toml, or Supabase's defaults when there is no such file. */
export function readAuthRateLimits(
	supabaseDir: string,
	env: Record<string, string | undefined>
): AuthRateLimits {
	const file = path.join(supabaseDir, 'config.toml');
	let text: string;
	try {
		text = readFileSync(file, 'utf8');
	} catch (error) {
		if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { ...AUTH_RATE_LIMIT_DEFAULTS };
		throw error;
	}
	return parseAuthRateLimits(text, file, env);
}
