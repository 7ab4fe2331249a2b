/**
 * Who is calling: GoTrue's requireAuthentication and requireAdminCredentials
 * (internal/api/auth.go, middleware.go). A user JWT must verify with the project secret, its
 * user must exist, and its session too: a token whose session was signed out is refused with
 * session_not_found, which auth-js turns into AuthSessionMissingError.
 */
import type { Context } from 'hono';
import { roleForApiKey, verifyJwt, JwtError, type ApiKeyRole, type JwtClaims } from '../keys.ts';
import { AuthError, badRequest, forbidden, ErrorCode } from './errors.ts';
import { bearerToken, isUuid } from './request.ts';
import { findSession, type SessionRow } from './sessions.ts';
import { findUserById, NIL_UUID, type Db, type User } from './users.ts';

/** Roles GoTrue treats as admin (GOTRUE_JWT_ADMIN_ROLES default). */
const ADMIN_ROLES = ['service_role', 'supabase_admin'];

export interface Caller {
	claims: JwtClaims;
	user: User | null;
	session: SessionRow | null;
}

function noAuthorization(): AuthError {
	return new AuthError(401, ErrorCode.NoAuthorization, 'This endpoint requires a valid Bearer token');
}

/**
 * The claims a bearer credential carries. The opaque sb_ keys are not JWTs: Supabase's gateway
 * swaps them for the matching role's JWT before GoTrue sees them, so they read as that role.
 */
async function claimsOf(token: string, secret: string): Promise<JwtClaims> {
	if (token.startsWith('sb_')) {
		const role = await roleForApiKey(token, secret);
		if (role) return { role };
	}
	try {
		return await verifyJwt(token, secret);
	} catch (error) {
		const reason = error instanceof JwtError ? error.message : 'token is malformed';
		throw forbidden(ErrorCode.BadJWT, `invalid JWT: unable to parse or verify signature, ${reason}`);
	}
}

/** GoTrue's maybeLoadUserOrSession. */
async function loadUserAndSession(db: Db, claims: JwtClaims): Promise<Caller> {
	if (!claims.sub) throw forbidden(ErrorCode.BadJWT, 'invalid claim: missing sub claim');
	if (!isUuid(claims.sub)) throw badRequest(ErrorCode.BadJWT, 'invalid claim: sub claim must be a UUID');
	const user = await findUserById(db, claims.sub);
	if (!user) throw forbidden(ErrorCode.UserNotFound, 'User from sub claim in JWT does not exist');
	let session: SessionRow | null = null;
	const sessionId = claims.session_id;
	if (sessionId && sessionId !== NIL_UUID) {
		if (!isUuid(sessionId))
			throw forbidden(ErrorCode.BadJWT, 'invalid claim: session_id claim must be a UUID');
		session = await findSession(db, sessionId);
		if (!session)
			throw forbidden(ErrorCode.SessionNotFound, 'Session from session_id claim in JWT does not exist');
	}
	return { claims, user, session };
}

/** A signed-in user with a live session (GET/PUT /user, /logout). */
export async function requireUser(c: Context, db: Db, secret: string): Promise<Caller & { user: User }> {
	const token = bearerToken(c);
	if (!token) throw noAuthorization();
	const caller = await loadUserAndSession(db, await claimsOf(token, secret));
	if (caller.user?.row.is_banned) throw forbidden(ErrorCode.UserBanned, 'User is banned');
	return caller as Caller & { user: User };
}

/**
 * The service key or a JWT whose role is an admin role. Without an Authorization header the API
 * key the gateway checked stands in, as Supabase's gateway forwards it.
 */
export async function requireAdmin(c: Context, db: Db, secret: string, apiKeyRole: ApiKeyRole | undefined) {
	const token = bearerToken(c);
	let claims: JwtClaims;
	if (token) claims = await claimsOf(token, secret);
	else if (apiKeyRole) claims = { role: apiKeyRole };
	else throw noAuthorization();
	if (claims.session_id && claims.session_id !== NIL_UUID) {
		await loadUserAndSession(db, claims);
	}
	if (typeof claims.role !== 'string' || !ADMIN_ROLES.includes(claims.role)) {
		throw forbidden(ErrorCode.NotAdmin, 'User not allowed');
	}
}
