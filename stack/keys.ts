/**
 * The local API keys `supabase start` prints, and JWT signing/verification with the project secret.
 */
import { SignJWT, errors, jwtVerify, type JWTPayload } from 'jose';
import { DEFAULT_JWT_SECRET } from './config.ts';

export const LOCAL_KEYS = {
	anon: 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJzdXBhYmFzZS1kZW1vIiwicm9sZSI6ImFub24iLCJleHAiOjE5ODM4MTI5OTZ9.CRXP1A7WOeoJeXxjNni43kdQwgnWNReilDMblYTn_I0',
	serviceRole:
		'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJzdXBhYmFzZS1kZW1vIiwicm9sZSI6InNlcnZpY2Vfcm9sZSIsImV4cCI6MTk4MzgxMjk5Nn0.EGIM96RAZx35lJzdJsyH-qQwv8Hdp7fsn3W0YpN81IU',
	publishable: 'sb_publishable_ACJWlzQHlZjBrEguHvfOxg_3BJgxAaH',
	secret: 'sb_secret_N7UND0UgjKTVK-Uodkm0Hg_xSvEMPvz'
} as const;

export type ApiKeyRole = 'anon' | 'service_role';

export interface JwtClaims extends JWTPayload {
	role?: string;
	email?: string;
	session_id?: string;
	is_anonymous?: boolean;
	[claim: string]: unknown;
}

export type JwtErrorReason = 'expired' | 'invalid' | 'malformed';

export class JwtError extends Error {
	constructor(
		readonly reason: JwtErrorReason,
		message: string,
		/** For expired tokens: seconds since `exp`. */
		readonly expiredFor?: number
	) {
		super(message);
		this.name = 'JwtError';
	}
}

const keyCache = new Map<string, Uint8Array>();
function secretKey(secret: string): Uint8Array {
	let key = keyCache.get(secret);
	if (!key) {
		key = new TextEncoder().encode(secret);
		keyCache.set(secret, key);
	}
	return key;
}

/** Signs claims with HS256. `expiresIn` in seconds; omit it when the claims carry their own `exp`. */
export async function signJwt(claims: JwtClaims, secret: string, expiresIn?: number): Promise<string> {
	const now = Math.floor(Date.now() / 1000);
	const payload: JwtClaims = { iat: now, ...claims };
	if (expiresIn !== undefined) payload.exp = now + expiresIn;
	return new SignJWT(payload).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).sign(secretKey(secret));
}

/** Verifies an HS256 token (alg "none" and other algorithms are refused) and returns its claims. */
export async function verifyJwt(token: string, secret: string): Promise<JwtClaims> {
	if (token.split('.').length !== 3) {
		throw new JwtError('malformed', 'token is malformed: token contains an invalid number of segments');
	}
	try {
		const { payload } = await jwtVerify(token, secretKey(secret), { algorithms: ['HS256'] });
		return payload as JwtClaims;
	} catch (error) {
		if (error instanceof errors.JWTExpired) {
			const exp = Number((error.payload as JwtClaims).exp ?? 0);
			const ago = Math.max(0, Math.floor(Date.now() / 1000) - exp);
			throw new JwtError('expired', 'token has invalid claims: token is expired', ago);
		}
		if (error instanceof errors.JWSSignatureVerificationFailed) {
			throw new JwtError('invalid', 'token signature is invalid: signature is invalid');
		}
		if (error instanceof errors.JOSEAlgNotAllowed) {
			throw new JwtError('invalid', 'token is unverifiable: signing method is invalid');
		}
		if (error instanceof errors.JOSEError) {
			throw new JwtError('malformed', `token is malformed: ${error.message}`);
		}
		throw error;
	}
}

/** API keys are a handful of long-lived strings: remember what each one grants (and until when). */
const apiKeyCache = new Map<string, { role: ApiKeyRole | null; until: number }>();
const API_KEY_CACHE_SIZE = 256;

/**
 * The role an API key grants: the opaque `sb_` keys, or a JWT signed with the project secret whose
 * role is anon or service_role. Anything else is not an API key.
 */
export async function roleForApiKey(
	key: string | null | undefined,
	secret: string
): Promise<ApiKeyRole | null> {
	if (!key) return null;
	// The opaque keys are as public as the demo secret: with a secret of your own they grant nothing.
	const demo = secret === DEFAULT_JWT_SECRET;
	if (key === LOCAL_KEYS.publishable && demo) return 'anon';
	if (key === LOCAL_KEYS.secret && demo) return 'service_role';
	if (key.startsWith('sb_')) return null;
	const cacheKey = `${secret}\u0000${key}`;
	const cached = apiKeyCache.get(cacheKey);
	if (cached && cached.until > Date.now()) return cached.role;
	let role: ApiKeyRole | null = null;
	let until = Date.now() + 60_000;
	try {
		const claims = await verifyJwt(key, secret);
		role = claims.role === 'anon' || claims.role === 'service_role' ? claims.role : null;
		if (typeof claims.exp === 'number') until = Math.min(until, claims.exp * 1000);
	} catch {
		role = null;
	}
	if (apiKeyCache.size >= API_KEY_CACHE_SIZE) apiKeyCache.clear();
	apiKeyCache.set(cacheKey, { role, until });
	return role;
}

/** True for the opaque `sb_publishable_`/`sb_secret_` keys, which are not JWTs. */
export function isOpaqueKey(key: string): boolean {
	return key.startsWith('sb_publishable_') || key.startsWith('sb_secret_');
}

/** Claims a request runs with when it carries only an API key (no user JWT). */
export function apiKeyClaims(role: ApiKeyRole): JwtClaims {
	return { iss: 'supabase-demo', role };
}
