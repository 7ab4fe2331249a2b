/**
 * A GoTrue-compatible auth service: what @supabase/auth-js calls, with GoTrue's answers, errors
 * and rules (supabase/auth internal/api). Mounted by the gateway at /auth/v1; paths here are
 * relative to that. SQL runs on the superuser pool, as GoTrue runs as supabase_auth_admin.
 */
import { isIP } from 'node:net';
import { Hono, type Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { StackContext } from '../context.ts';
import { HttpError } from '../errors.ts';
import { jwksFor } from '../keys.ts';
import { passwordGrant, signUp, signUpAnonymously, updateOwnUser } from './account.ts';
import { registerAdmin } from './admin.ts';
import type { AuthDeps, AuthEnv } from './deps.ts';
import {
	API_VERSION_HEADER,
	AuthError,
	badRequest,
	ErrorCode,
	renderAuthError,
	unexpectedFailure,
	unprocessable
} from './errors.ts';
import { requireUser } from './guard.ts';
import { refuseGrant, registerUnsupported } from './unsupported.ts';
import { RateLimiter } from './rate-limit.ts';
import { clientAddress, readParams } from './request.ts';
import { endSessions, TokenService, withTransaction } from './sessions.ts';
import { DEFAULT_AUD, userJson } from './users.ts';

/** What GoTrue's /health reports; `version` names this implementation rather than a GoTrue release. */
const HEALTH = {
	version: 'beacon-stack',
	name: 'GoTrue',
	description: 'GoTrue is a user registration and authentication API'
};

export type { AuthEnv } from './deps.ts';

export function createAuth(ctx: StackContext): Hono<AuthEnv> {
	const { config, pool, log } = ctx;
	const tokens = new TokenService(config);
	// GoTrue's limiters: password and refresh grants share the token limit; sign-ups and user
	// updates use the sign-in/sign-up limit; anonymous sign-ins have their own hourly one.
	const limits = {
		token: new RateLimiter(config.auth.rateLimitTokenRefresh, 5 * 60),
		signIn: new RateLimiter(config.auth.rateLimitSignIn, 5 * 60),
		anonymous: new RateLimiter(config.auth.rateLimitAnonymous, 60 * 60),
		verify: new RateLimiter(config.auth.rateLimitVerify, 5 * 60)
	};
	const addressOf = (c: Context) => clientAddress(c, config.auth.rateLimitHeader, config.auth.trustedProxies);
	const deps: AuthDeps = {
		ctx,
		tokens,
		limit(limiter, c) {
			if (!limiter.take(addressOf(c))) {
				throw new AuthError(429, ErrorCode.OverRequestRateLimit, 'Request rate limit reached');
			}
		},
		requestAud: (c) => c.req.header('x-jwt-aud') || DEFAULT_AUD,
		client: (c) => {
			const ip = addressOf(c);
			return { ip: isIP(ip) ? ip : null, userAgent: c.req.header('user-agent') ?? null };
		}
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

	// The public halves of the signing keys, for clients verifying tokens locally (getClaims()).
	app.get('/.well-known/jwks.json', (c) => c.json(jwksFor(config.jwtSecret)));

	app.get('/settings', (c) =>
		c.json({
			external: {
				anonymous_users: config.auth.enableAnonymous,
				...Object.fromEntries(
					[
						'apple',
						'azure',
						'bitbucket',
						'discord',
						'facebook',
						'snapchat',
						'figma',
						'fly',
						'github',
						'gitlab',
						'google'
					]
						.concat([
							'keycloak',
							'kakao',
							'linkedin',
							'linkedin_oidc',
							'notion',
							'spotify',
							'slack',
							'slack_oidc'
						])
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
				throw unprocessable(ErrorCode.AnonymousProviderDisabled, 'Anonymous sign-ins are disabled');
			}
			deps.limit(limits.anonymous, c);
			return c.json(await signUpAnonymously(deps, c, params));
		}
		deps.limit(limits.signIn, c);
		return c.json(await signUp(deps, c, params));
	});

	app.post('/token', async (c) => {
		const grant = c.req.query('grant_type');
		if (
			grant !== 'password' &&
			grant !== 'refresh_token' &&
			grant !== 'id_token' &&
			grant !== 'pkce' &&
			grant !== 'web3'
		) {
			throw badRequest(ErrorCode.InvalidCredentials, 'unsupported_grant_type');
		}
		deps.limit(limits.token, c);
		const params = await readParams(c);
		if (grant !== 'password' && grant !== 'refresh_token') refuseGrant(grant, params);
		if (grant === 'refresh_token') {
			return c.json(await tokens.refresh(pool, params.string('refresh_token'), deps.client(c)));
		}
		return c.json(await passwordGrant(deps, c, params));
	});

	app.get('/user', async (c) => {
		const { user, claims } = await requireUser(c, pool, config.jwtSecret);
		const aud = c.req.header('x-jwt-aud') || (typeof claims.aud === 'string' ? claims.aud : DEFAULT_AUD);
		if (claims.aud !== aud) {
			throw badRequest(ErrorCode.ValidationFailed, "Token audience doesn't match request audience");
		}
		return c.json(userJson(user));
	});

	app.put('/user', async (c) => {
		const caller = await requireUser(c, pool, config.jwtSecret);
		deps.limit(limits.signIn, c);
		const params = await readParams(c);
		return c.json(await updateOwnUser(deps, caller.user.row.id, caller.session?.id ?? null, params));
	});

	app.post('/logout', async (c) => {
		const { user, session } = await requireUser(c, pool, config.jwtSecret);
		const scope = c.req.query('scope') ?? '';
		if (!['', 'global', 'local', 'others'].includes(scope)) {
			throw badRequest(ErrorCode.ValidationFailed, `Unsupported logout scope ${JSON.stringify(scope)}`);
		}
		const behaviour = scope === 'local' || scope === 'others' ? scope : 'global';
		await withTransaction(pool, (db) => endSessions(db, behaviour, user.row.id, session?.id ?? null));
		return c.body(null, 204);
	});

	registerAdmin(app, deps);
	registerUnsupported(app, deps, limits.verify);

	// GoTrue answers unknown paths with 404; keep it JSON so clients can read it.
	app.all('*', () => {
		throw new AuthError(404, ErrorCode.NotFound, 'Not Found');
	});

	return app;
}
