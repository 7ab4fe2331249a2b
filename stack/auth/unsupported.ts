/**
 * GoTrue's endpoints for features the local stack does not offer, answering as GoTrue answers when
 * they are switched off (supabase/auth internal/api: otp.go, magic_link.go, recover.go, resend.go,
 * verify.go, external.go, token_oidc.go, mfa.go, middleware.go): the same status, code and text
 * instead of a 404. The stack runs like GoTrue with magic links, phone, SMS, OAuth providers, MFA,
 * passkeys, SAML SSO, web3 and manual linking off, and without a mail server (autoconfirm), which
 * is what the CLI's config.toml leaves off too. Reauthentication works: see `reauthenticate`.
 */
import { createHash, randomInt } from 'node:crypto';
import type { Hono } from 'hono';
import type { AuthDeps, AuthEnv } from './deps.ts';
import { AuthError, badRequest, ErrorCode, forbidden, notFound, unprocessable } from './errors.ts';
import { requireUser } from './guard.ts';
import type { RateLimiter } from './rate-limit.ts';
import { isUuid, readParams, type Params } from './request.ts';
import { findUserByEmail } from './users.ts';
import { validateEmail } from './validate.ts';

/** Seconds between two reauthentication codes (config.toml `[auth.email] max_frequency`, 1s). */
const EMAIL_MAX_FREQUENCY_S = 1;
/** Digits of an email OTP (`[auth.email] otp_length`). */
const OTP_LENGTH = 6;

/** Providers GoTrue knows for /authorize (internal/api/external.go); none is enabled here. */
const OAUTH_PROVIDERS = new Set(
	(
		'apple azure bitbucket discord facebook figma fly github gitlab google kakao keycloak linkedin ' +
		'linkedin_oidc notion snapchat spotify slack slack_oidc twitch twitter x vercel_marketplace workos zoom'
	).split(' ')
);

/** Issuers GoTrue fixes for an id_token grant by provider name (internal/api/provider). */
const OIDC_ISSUERS: Record<string, string> = {
	google: 'https://accounts.google.com',
	facebook: 'https://www.facebook.com',
	kakao: 'https://kauth.kakao.com'
};

const magicLinksOff = () =>
	unprocessable(ErrorCode.EmailProviderDisabled, 'Login with magic link is disabled');
const phoneOff = (message: string) => badRequest(ErrorCode.PhoneProviderDisabled, message);

/** GoTrue's token hash (crypto.GenerateTokenHash): SHA-224 of the address and the code, in hex. */
function tokenHash(email: string, otp: string): string {
	return createHash('sha224')
		.update(email + otp)
		.digest('hex');
}

/** The token grants GoTrue has and the stack turns down as GoTrue does with them off (token*.go). */
export function refuseGrant(grant: 'id_token' | 'pkce' | 'web3', params: Params): never {
	if (grant === 'web3') throw unprocessable(ErrorCode.Web3ProviderDisabled, 'Web3 provider is disabled');
	if (grant === 'pkce') {
		if (!params.string('auth_code') || !params.string('code_verifier')) {
			throw badRequest(
				ErrorCode.ValidationFailed,
				'invalid request: both auth code and code verifier should be non-empty'
			);
		}
		// No OAuth or magic-link flow ever starts here, so no code has a flow state.
		throw notFound(ErrorCode.FlowStateNotFound, 'invalid flow state, no valid flow state found');
	}
	const provider = params.string('provider');
	const issuer = OIDC_ISSUERS[provider] ?? params.string('issuer');
	throw badRequest(ErrorCode.ProviderDisabled, `Provider (issuer ${JSON.stringify(issuer)}) is not enabled`);
}

export function registerUnsupported(app: Hono<AuthEnv>, deps: AuthDeps, verifyLimit: RateLimiter): void {
	const { config, pool, log } = deps.ctx;

	// Magic links and OTP: an unknown address with create_user false is refused first (otp.go).
	app.post('/otp', async (c) => {
		const params = await readParams(c);
		const email = params.string('email');
		const phone = params.string('phone');
		if (email && phone) {
			throw badRequest(
				ErrorCode.ValidationFailed,
				'Only an email address or phone number should be provided'
			);
		}
		const createUser = params.optionalBoolean('create_user') ?? true;
		if (email && (!createUser || !config.auth.enableSignup)) {
			const known = await findUserByEmail(pool, validateEmail(email), deps.requestAud(c));
			if (!known) throw unprocessable(ErrorCode.OTPDisabled, 'Signups not allowed for otp');
		}
		if (email) throw magicLinksOff();
		if (phone) throw phoneOff('Unsupported phone provider');
		throw badRequest(ErrorCode.ValidationFailed, 'One of email or phone must be set');
	});

	app.post('/magiclink', () => {
		throw magicLinksOff();
	});

	// Recovery mails need a mail server; GoTrue without one fails sending (its 500 and text). An
	// unknown address gets GoTrue's empty 200, so the answer does not reveal who has an account.
	app.post('/recover', async (c) => {
		const params = await readParams(c);
		const email = params.string('email');
		if (!email) throw badRequest(ErrorCode.ValidationFailed, 'Password recovery requires an email');
		const user = await findUserByEmail(pool, validateEmail(email), deps.requestAud(c));
		if (!user) return c.json({});
		throw new AuthError(500, ErrorCode.UnexpectedFailure, 'Error sending recovery email');
	});

	// With autoconfirm every address is confirmed and email changes apply at once: nothing to resend.
	app.post('/resend', async (c) => {
		const params = await readParams(c);
		const type = params.string('type');
		const email = params.string('email');
		const phone = params.string('phone');
		if (!['signup', 'email_change', 'sms', 'phone_change'].includes(type)) {
			throw badRequest(
				ErrorCode.ValidationFailed,
				'Missing one of these types: signup, email_change, sms, phone_change'
			);
		}
		const byEmail = type === 'signup' || type === 'email_change';
		if (byEmail && !email)
			throw badRequest(ErrorCode.ValidationFailed, 'Type provided requires an email address');
		if (!byEmail && !phone)
			throw badRequest(ErrorCode.ValidationFailed, 'Type provided requires a phone number');
		if (email && phone) {
			throw badRequest(
				ErrorCode.ValidationFailed,
				'Only an email address or phone number should be provided.'
			);
		}
		if (phone) throw phoneOff('Phone logins are disabled');
		return c.json({});
	});

	// No link or code is ever sent, so none verifies (verify.go's answer for an unknown token).
	const verify = (type: string, token: string) => {
		if (!type) throw badRequest(ErrorCode.ValidationFailed, 'Verify requires a verification type');
		if (!token) throw badRequest(ErrorCode.ValidationFailed, 'Verify requires a token or a token hash');
		throw forbidden(ErrorCode.OTPExpired, 'Token has expired or is invalid');
	};
	app.get('/verify', (c) => {
		deps.limit(verifyLimit, c);
		return verify(c.req.query('type') ?? '', c.req.query('token') ?? '');
	});
	app.post('/verify', async (c) => {
		deps.limit(verifyLimit, c);
		const params = await readParams(c);
		const token = params.string('token');
		const hash = params.string('token_hash');
		if (params.string('type') && (token === '') === (hash === '')) {
			throw badRequest(ErrorCode.ValidationFailed, 'Verify requires either a token or a token hash');
		}
		verify(params.string('type'), token || hash);
	});

	// OAuth sign-in and identity linking (external.go): no provider is enabled.
	const oauthRefusal = (provider: string) =>
		badRequest(
			ErrorCode.ValidationFailed,
			OAUTH_PROVIDERS.has(provider.toLowerCase())
				? 'Unsupported provider: provider is not enabled'
				: `Unsupported provider: Provider ${provider} could not be found`
		);
	app.get('/authorize', (c) => {
		throw oauthRefusal(c.req.query('provider') ?? '');
	});
	// Manual linking is checked after the caller is known (requireAuthentication, then the switch).
	app.on(['GET', 'DELETE'], ['/user/identities/authorize', '/user/identities/:id'], async (c) => {
		await requireUser(c, pool, config.jwtSecret);
		throw notFound(ErrorCode.ManualLinkingDisabled, 'Manual linking is disabled');
	});

	// MFA (mfa.go): enrolment is off for every factor type and no factor exists to challenge.
	app.post('/factors', async (c) => {
		await requireUser(c, pool, config.jwtSecret);
		const type = (await readParams(c)).string('factor_type');
		if (type === 'totp')
			throw unprocessable(ErrorCode.MFATOTPEnrollNotEnabled, 'MFA enroll is disabled for TOTP');
		if (type === 'phone')
			throw unprocessable(ErrorCode.MFAPhoneEnrollNotEnabled, 'MFA enroll is disabled for Phone');
		if (type === 'webauthn')
			throw unprocessable(ErrorCode.MFAWebAuthnEnrollNotEnabled, 'MFA enroll is disabled for WebAuthn');
		throw badRequest(ErrorCode.ValidationFailed, 'factor_type needs to be totp, phone, or webauthn');
	});
	app.on(['POST', 'PUT', 'DELETE'], ['/factors/:id', '/factors/:id/*'], async (c) => {
		await requireUser(c, pool, config.jwtSecret);
		if (!isUuid(c.req.param('id'))) throw notFound(ErrorCode.ValidationFailed, 'factor_id must be an UUID');
		throw notFound(ErrorCode.MFAFactorNotFound, 'Factor not found');
	});

	app.all('/passkeys/*', () => {
		throw notFound(ErrorCode.PasskeyDisabled, 'Passkeys are disabled');
	});
	app.all('/passkeys', () => {
		throw notFound(ErrorCode.PasskeyDisabled, 'Passkeys are disabled');
	});
	app.all('/sso/*', () => {
		throw notFound(ErrorCode.SAMLProviderDisabled, 'SAML 2.0 is disabled');
	});
	app.all('/sso', () => {
		throw notFound(ErrorCode.SAMLProviderDisabled, 'SAML 2.0 is disabled');
	});

	/**
	 * Reauthentication (reauthenticate.go): a signed-in user with a confirmed email gets a one-time
	 * code, kept hashed in auth.users as GoTrue keeps it, at most once per max_frequency. No mail
	 * server runs here (Supabase's CLI shows such mails in its test inbox): the code goes to the
	 * stack's log instead. Password changes do not ask for it (secure_password_change is off).
	 */
	app.get('/reauthenticate', async (c) => {
		const { user } = await requireUser(c, pool, config.jwtSecret);
		const { email, phone, email_confirmed_at: confirmed } = user.row;
		if (!email && !phone) {
			throw badRequest(
				ErrorCode.ValidationFailed,
				'Reauthentication requires the user to have an email or a phone number'
			);
		}
		if (!email) throw phoneOff('Unsupported phone provider');
		if (!confirmed) throw unprocessable(ErrorCode.EmailNotConfirmed, 'Please verify your email first.');
		const otp = String(randomInt(10 ** OTP_LENGTH)).padStart(OTP_LENGTH, '0');
		const { rows } = await pool.query<{ sent: boolean; wait: number }>(
			`with previous as (select reauthentication_sent_at as at from auth.users where id = $1),
			 sent as (
				update auth.users set reauthentication_token = $2, reauthentication_sent_at = now()
				where id = $1 and (select at from previous) is not distinct from reauthentication_sent_at
					and (reauthentication_sent_at is null or reauthentication_sent_at + make_interval(secs => $3) <= now())
				returning 1)
			 select exists (select 1 from sent) as sent,
				coalesce(floor(extract(epoch from (select at from previous) + make_interval(secs => $3) - now())), 0)::int as wait`,
			[user.row.id, tokenHash(email, otp), EMAIL_MAX_FREQUENCY_S]
		);
		if (!rows[0]?.sent) {
			// GoTrue's own words, with its whole seconds left (0 within the last second).
			throw new AuthError(
				429,
				ErrorCode.OverEmailSendRateLimit,
				`For security purposes, you can only request this after ${Math.max(0, rows[0]?.wait ?? 0)} seconds.`
			);
		}
		log.info(`auth: reauthentication code for ${email}: ${otp} (the local stack sends no mail)`);
		return c.json({});
	});
}
