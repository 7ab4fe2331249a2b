// Who a REST request runs as: the verified JWT's role and claims, or the API key's role.
// PostgREST's JWT errors (PGRST301/PGRST303) and its answers for roles it cannot switch to.

import type pg from 'pg';
import {
	apiKeyClaims,
	isOpaqueKey,
	JwtError,
	roleForApiKey,
	verifyJwt,
	type ApiKeyRole,
	type JwtClaims
} from '../keys.ts';
import { jwtError, RestError } from './errors.ts';
import { Lru } from './lru.ts';

/** The roles the API may switch to (Supabase's authenticator is granted exactly these). */
export const API_ROLES: ReadonlySet<string> = new Set(['anon', 'authenticated', 'service_role']);

export interface RequestIdentity {
	role: string;
	claims: JwtClaims;
	/** A user or service JWT was presented (PostgREST's "authed": 42501 becomes 403, not 401). */
	authenticated: boolean;
}

function jwtFailure(error: JwtError, token: string): RestError {
	if (error.reason === 'expired') return jwtError('PGRST303', 'JWT expired');
	const parts = token.split('.').length;
	if (parts !== 3) return jwtError('PGRST301', `Expected 3 parts in JWT; got ${parts}`);
	if (error.message.includes('signing method'))
		return jwtError('PGRST301', 'Wrong or unsupported encoding algorithm');
	if (error.reason === 'invalid') return jwtError('PGRST301', 'JWT cryptographic operation failed');
	return jwtError('PGRST301', "JWT couldn't be decoded");
}

/**
 * Verified tokens by their text: a user's token is presented on every request for up to an hour,
 * and signature verification is the costliest step of a small request. Bounded, least recently
 * used first out; an entry is used only until the token's own `exp`.
 */
const verified = new Lru<string, JwtClaims>(1000);

/** The one place a REST request's JWT is verified. */
async function verifiedClaims(token: string, secret: string): Promise<JwtClaims> {
	const key = `${secret}\u0000${token}`;
	const hit = verified.get(key);
	if (hit && (typeof hit.exp !== 'number' || hit.exp > Date.now() / 1000)) return hit;
	verified.delete(key);
	let claims: JwtClaims;
	try {
		claims = await verifyJwt(token, secret);
	} catch (error) {
		if (error instanceof JwtError) throw jwtFailure(error, token);
		throw error;
	}
	verified.set(key, claims);
	return claims;
}

export async function identify(
	authorization: string | undefined,
	apiKeyRole: ApiKeyRole | undefined,
	secret: string,
	db: pg.Pool
): Promise<RequestIdentity> {
	const match = authorization ? /^Bearer\s*(.*)$/i.exec(authorization.trim()) : null;
	if (!match) {
		const role = apiKeyRole ?? 'anon';
		return { role, claims: apiKeyClaims(role), authenticated: role !== 'anon' };
	}
	const token = match[1].trim();
	if (token === '') throw jwtError('PGRST301', 'Empty JWT is sent in Authorization header');
	if (isOpaqueKey(token)) {
		const role = await roleForApiKey(token, secret);
		if (!role) throw jwtError('PGRST301', 'Expected 3 parts in JWT; got 1');
		return { role, claims: apiKeyClaims(role), authenticated: role !== 'anon' };
	}
	const claims = await verifiedClaims(token, secret);
	const role = typeof claims.role === 'string' && claims.role !== '' ? claims.role : 'anon';
	if (!API_ROLES.has(role)) {
		// What Postgres answers the authenticator: an existing role it is not a member of, or no such role.
		const exists = await db.query('select 1 from pg_roles where rolname = $1', [role]);
		if (exists.rowCount) throw new RestError(403, '42501', `permission denied to set role "${role}"`);
		throw new RestError(401, '22023', `role "${role}" does not exist`, null, null, {
			'WWW-Authenticate': 'Bearer'
		});
	}
	return { role, claims, authenticated: role !== 'anon' };
}
