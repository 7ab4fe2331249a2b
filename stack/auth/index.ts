/**
 * A GoTrue-compatible auth service: what @supabase/auth-js calls, with GoTrue's answers, errors
 * and rules (supabase/auth internal/api). Mounted by the gateway at /auth/v1; paths here are
 * relative to that. SQL runs on the superuser pool, as GoTrue runs as supabase_auth_admin.
 */
import { createHash, randomUUID } from 'node:crypto';
import { Hono, type Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { StackContext } from '../context.ts';
import { HttpError } from '../errors.ts';
import { registerAdmin } from './admin.ts';
import { isUniqueViolation, type AuthDeps, type AuthEnv } from './deps.ts';
import { API_VERSION_HEADER, AuthError, badRequest, forbidden, renderAuthError, unexpectedFailure, unprocessable } from './errors.ts';
import { requireUser } from './guard.ts';
import { checkPasswordStrength, hashPassword, verifyPassword } from './password.ts';
import { RateLimiter } from './rate-limit.ts';
import { clientAddress, readParams, remoteAddress, type Params } from './request.ts';
import { endSessions, TokenService, withTransaction, type TokenResponse } from './sessions.ts';
import {
	DEFAULT_AUD,
	DEFAULT_ROLE,
	emailTaken,
	findUserByEmail,
	findUserById,
	insertIdentity,
	insertUser,
	mergeMetadata,
	userJson,
	type JsonObject
} from './users.ts';
import { validateEmail, validatePhone } from './validate.ts';

/** What GoTrue's /health reports; `version` names this implementation rather than a GoTrue release. */
const HEALTH = { version: 'beacon-stack', name: 'GoTrue', description: 'GoTrue is a user registration and authentication API' };

export type { AuthEnv } from './deps.ts';

export function createAuth(ctx: StackContext): Hono<AuthEnv> {
	const { config, pool, log } = ctx;
	const tokens = new TokenService(config);
	// GoTrue's limiters: password and refresh grants share the token limit; sign-ups and user
	// updates use the sign-in/sign-up limit; anonymous sign-ins have their own hourly one.
	const limits = {
		token: new RateLimiter(config.auth.rateLimitTokenRefresh, 5 * 60),
		signIn: new RateLimiter(config.auth.rateLimitSignIn, 5 * 60),
		anonymous: new RateLimiter(30, 60 * 60)
	};
	const deps: AuthDeps = {
		ctx,
		tokens,
		limit(limiter, c) {
			if (!limiter.take(remoteAddress(c))) throw new AuthError(429, 'over_request_rate_limit', 'Request rate limit reached');
		},
		requestAud: (c) => c.req.header('x-jwt-aud') || DEFAULT_AUD,
		client: (c) => ({ ip: clientAddress(c), userAgent: c.req.header('user-agent') ?? null })
	};

	const app = new Hono<AuthEnv>();

	app.onError((error, c) => {
		let known: HttpError;
		if (error instanceof HttpError) known = error;
		else {
			log.error(`auth ${c.req.method} ${c.req.path} failed:`, error);
			known = unexpectedFailure();
		}
		const { status, body, headers } = renderAuthError(known, c.req.header(API_VERSION_HEADER));
		return c.json(body, status as ContentfulStatusCode, headers);
	});

	app.get('/health', (c) => c.json(HEALTH));

	app.get('/settings', (c) =>
		c.json({
			external: {
				anonymous_users: config.auth.enableAnonymous,
				...Object.fromEntries(
					['apple', 'azure', 'bitbucket', 'discord', 'facebook', 'snapchat', 'figma', 'fly', 'github', 'gitlab', 'google']
						.concat(['keycloak', 'kakao', 'linkedin', 'linkedin_oidc', 'notion', 'spotify', 'slack', 'slack_oidc'])
						.concat(['workos', 'twitch', 'twitter'])
						.map((provider) => [provider, false])
				),
				email: true,
				phone: false,
				zoom: false
			},
			disable_signup: !config.auth.enableSignup,
			mailer_autoconfirm: true,
			phone_autoconfirm: false,
			sms_provider: '',
			saml_enabled: false,
			saml_private_key_next_configured: false,
			passkeys_enabled: false
		})
	);

	app.post('/signup', async (c) => {
		const params = await readParams(c);
		if (params.string('email') === '' && params.string('phone') === '') {
			if (!config.auth.enableAnonymous) {
				throw unprocessable('anonymous_provider_disabled', 'Anonymous sign-ins are disabled');
			}
			deps.limit(limits.anonymous, c);
			return c.json(await signUpAnonymously(deps, c, params));
		}
		deps.limit(limits.signIn, c);
		return c.json(await signUp(deps, c, params));
	});

	app.post('/token', async (c) => {
		const grant = c.req.query('grant_type');
		if (grant !== 'password' && grant !== 'refresh_token') {
			throw badRequest('invalid_credentials', 'unsupported_grant_type');
		}
		deps.limit(limits.token, c);
		const params = await readParams(c);
		if (grant === 'refresh_token') {
			return c.json(await tokens.refresh(pool, params.string('refresh_token'), deps.client(c)));
		}
		return c.json(await passwordGrant(deps, c, params));
	});

	app.get('/user', async (c) => {
		const { user, claims } = await requireUser(c, pool, config.jwtSecret);
		const aud = c.req.header('x-jwt-aud') || (typeof claims.aud === 'string' ? claims.aud : DEFAULT_AUD);
		if (claims.aud !== aud) throw badRequest('validation_failed', "Token audience doesn't match request audience");
		return c.json(userJson(user));
	});

	app.put('/user', async (c) => {
		const caller = await requireUser(c, pool, config.jwtSecret);
		deps.limit(limits.signIn, c);
		const params = await readParams(c);
		return c.json(await updateUser(deps, caller.user.row.id, caller.session?.id ?? null, params));
	});

	app.post('/logout', async (c) => {
		const { user, session } = await requireUser(c, pool, config.jwtSecret);
		const scope = c.req.query('scope') ?? '';
		if (!['', 'global', 'local', 'others'].includes(scope)) {
			throw badRequest('validation_failed', `Unsupported logout scope ${JSON.stringify(scope)}`);
		}
		const behaviour = scope === 'local' || scope === 'others' ? scope : 'global';
		await withTransaction(pool, (db) => endSessions(db, behaviour, user.row.id, session?.id ?? null));
		return c.body(null, 204);
	});

	registerAdmin(app, deps);

	// GoTrue answers unknown paths with 404; keep it JSON so clients can read it.
	app.all('*', () => {
		throw new AuthError(404, 'not_found', 'Not Found');
	});

	return app;
}

async function signUp(deps: AuthDeps, c: Context, params: Params): Promise<TokenResponse> {
	const { config, pool } = deps.ctx;
	if (!config.auth.enableSignup) throw unprocessable('signup_disabled', 'Signups not allowed for this instance');
	const password = params.string('password');
	const data = params.object('data') ?? {};
	if (password === '') throw badRequest('validation_failed', 'Signup requires a valid password');
	checkPasswordStrength(password, config.auth.minPasswordLength);
	if (params.string('email') !== '' && params.string('phone') !== '') {
		throw badRequest('validation_failed', 'Only an email address or phone number should be provided on signup.');
	}
	if (params.string('phone') !== '') throw badRequest('phone_provider_disabled', 'Phone signups are disabled');
	const email = validateEmail(params.string('email'));
	const aud = deps.requestAud(c);
	const alreadyRegistered = () => unprocessable('user_already_exists', 'User already registered');
	if (await findUserByEmail(pool, email, aud)) throw alreadyRegistered();

	// Hash outside the transaction: it is the slow part.
	const encryptedPassword = await hashPassword(password);
	try {
		return await withTransaction(pool, async (db) => {
			const id = randomUUID();
			// GoTrue's identity data: the provider's claims, then the sign-up data where it does not clash.
			const identityData = { ...data, sub: id, email, email_verified: false, phone_verified: false };
			await insertUser(db, {
				id,
				aud,
				role: DEFAULT_ROLE,
				email,
				phone: null,
				encryptedPassword,
				appMetadata: { provider: 'email', providers: ['email'] },
				// A new user's metadata becomes its identity's data; local Supabase confirms the email at
				// once (mailer autoconfirm), which marks it verified.
				userMetadata: { ...identityData, email_verified: true },
				isAnonymous: false,
				emailConfirmed: true,
				phoneConfirmed: false
			});
			await insertIdentity(db, id, 'email', identityData);
			return deps.tokens.issue(db, id, 'password', deps.client(c));
		});
	} catch (error) {
		if (isUniqueViolation(error)) throw alreadyRegistered();
		throw error;
	}
}

async function signUpAnonymously(deps: AuthDeps, c: Context, params: Params): Promise<TokenResponse> {
	const { config, pool } = deps.ctx;
	if (!config.auth.enableSignup) throw unprocessable('signup_disabled', 'Signups not allowed for this instance');
	const data = params.object('data') ?? {};
	return withTransaction(pool, async (db) => {
		const id = await insertUser(db, {
			aud: deps.requestAud(c),
			role: DEFAULT_ROLE,
			email: null,
			phone: null,
			encryptedPassword: null,
			appMetadata: {},
			userMetadata: data,
			isAnonymous: true,
			emailConfirmed: false,
			phoneConfirmed: false
		});
		return deps.tokens.issue(db, id, 'anonymous', deps.client(c));
	});
}

async function passwordGrant(deps: AuthDeps, c: Context, params: Params): Promise<TokenResponse> {
	const { config, pool } = deps.ctx;
	const email = params.string('email');
	const phone = params.string('phone');
	const password = params.string('password');
	if (email !== '' && phone !== '') {
		throw badRequest('validation_failed', 'Only an email address or phone number should be provided on login.');
	}
	if (phone !== '') throw unprocessable('phone_provider_disabled', 'Phone logins are disabled');
	if (email === '') throw badRequest('validation_failed', 'missing email or phone');

	const invalid = () => badRequest('invalid_credentials', 'Invalid login credentials');
	const user = await findUserByEmail(pool, email, deps.requestAud(c));
	if (!user || !user.row.encrypted_password) throw invalid();
	if (user.row.is_banned) throw badRequest('user_banned', 'User is banned');
	if (!(await verifyPassword(password, user.row.encrypted_password))) throw invalid();
	if (!user.row.email_confirmed_at) throw badRequest('email_not_confirmed', 'Email not confirmed');

	let weak: TokenResponse['weak_password'];
	try {
		checkPasswordStrength(password, config.auth.minPasswordLength);
	} catch (error) {
		const reasons = (error as AuthError).extra?.weak_password as { reasons: string[] } | undefined;
		if (reasons) weak = { message: (error as AuthError).message, reasons: reasons.reasons };
	}
	const session = await withTransaction(pool, (db) => deps.tokens.issue(db, user.row.id, 'password', deps.client(c)));
	return weak ? { ...session, weak_password: weak } : session;
}

/** PUT /user (GoTrue's UserUpdate) for a signed-in user. */
async function updateUser(deps: AuthDeps, userId: string, sessionId: string | null, params: Params): Promise<JsonObject> {
	const { config, pool } = deps.ctx;
	const emailParam = params.string('email');
	const email = emailParam === '' ? '' : validateEmail(emailParam);
	const phone = params.string('phone');
	if (phone !== '') validatePhone(phone);
	const password = params.optionalString('password');
	if (password !== undefined) checkPasswordStrength(password, config.auth.minPasswordLength);
	const data = params.object('data');
	if (params.object('app_metadata') !== undefined) {
		throw forbidden('not_admin', 'Updating app_metadata requires admin privileges');
	}

	const user = await findUserById(pool, userId);
	if (!user) throw forbidden('user_not_found', 'User from sub claim in JWT does not exist');
	const { row } = user;
	if (row.is_anonymous && password && email === '' && phone === '') {
		throw unprocessable(
			'validation_failed',
			'Updating password of an anonymous user without an email or phone is not allowed'
		);
	}
	const changingEmail = email !== '' && email !== (row.email ?? '');
	if (changingEmail && (await emailTaken(pool, email, row.aud ?? DEFAULT_AUD, row.id))) {
		throw unprocessable('email_exists', 'A user with this email address has already been registered');
	}
	if (phone !== '' && validatePhone(phone) !== (row.phone ?? '')) {
		// Changing a phone number needs an SMS provider, which the local stack does not have.
		throw unprocessable('phone_provider_disabled', 'Phone logins are disabled');
	}
	let encryptedPassword: string | null = null;
	if (password) {
		if (await verifyPassword(password, row.encrypted_password)) {
			throw unprocessable('same_password', 'New password should be different from the old password.');
		}
		encryptedPassword = await hashPassword(password);
	}

	try {
		await withTransaction(pool, async (db) => {
			if (password !== undefined) {
				await db.query(
					`update auth.users set encrypted_password = $2, updated_at = now(), confirmation_token = '',
						confirmation_sent_at = null, recovery_token = '', recovery_sent_at = null, email_change_token_current = '',
						email_change_token_new = '', email_change_sent_at = null, phone_change_token = '',
						phone_change_sent_at = null, reauthentication_token = '', reauthentication_sent_at = null
					 where id = $1`,
					[userId, encryptedPassword ?? '']
				);
				// A new password signs out every other session (GoTrue's UpdatePassword).
				await endSessions(db, sessionId ? 'others' : 'global', userId, sessionId);
			}
			if (data) await mergeMetadata(db, userId, 'raw_user_meta_data', data);
			if (changingEmail) await changeEmail(db, row.id, row.is_anonymous, email);
		});
	} catch (error) {
		if (isUniqueViolation(error)) {
			throw unprocessable('email_exists', 'A user with this email address has already been registered');
		}
		throw error;
	}
	const updated = await findUserById(pool, userId);
	if (!updated) throw forbidden('user_not_found', 'User from sub claim in JWT does not exist');
	return userJson(updated);
}

/**
 * An anonymous user adding an email is confirmed at once (mailer autoconfirm). A permanent user's
 * new address waits for confirmation from both addresses, as `supabase start` does: the user
 * shows it as `new_email`. The local stack sends no mail, so that change is only recorded.
 */
async function changeEmail(db: Parameters<typeof insertIdentity>[0], userId: string, anonymous: boolean, email: string) {
	if (anonymous) {
		await db.query(
			`update auth.users set email = $2, email_confirmed_at = now(), is_anonymous = false, email_change = '',
				raw_app_meta_data = coalesce(raw_app_meta_data, '{}'::jsonb) || '{"provider":"email","providers":["email"]}'::jsonb,
				updated_at = now()
			 where id = $1`,
			[userId, email]
		);
		await insertIdentity(db, userId, 'email', { sub: userId, email, email_verified: true, phone_verified: false });
		return;
	}
	await db.query(
		`update auth.users set email_change = $2, email_change_sent_at = now(), email_change_confirm_status = 0,
			email_change_token_new = $3, updated_at = now()
		 where id = $1`,
		// GoTrue stores a hash of the one-time token it mails; nothing is mailed here.
		[userId, email, createHash('sha224').update(`${email}${randomUUID()}`).digest('hex')]
	);
}
