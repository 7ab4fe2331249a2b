/**
 * The local API keys `supabase start` prints, and JWT signing/verification: HS256 with the project
 * secret (the anon/service_role keys, older user tokens) and ES256 with the project's asymmetric
 * signing key (user tokens, as Supabase issues them now; the public half is the JWKS).
 */
import { randomUUID } from 'node:crypto';
import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import {
	SignJWT,
	errors,
	exportJWK,
	generateKeyPair,
	importJWK,
	jwtVerify,
	type CryptoKey,
	type JWK,
	type JWTHeaderParameters,
	type JWTPayload
} from 'jose';
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

/** An asymmetric signing key: the private half signs user tokens, the public half verifies them. */
export interface SigningKey {
	kid: string;
	alg: 'ES256';
	privateKey: CryptoKey;
	publicKey: CryptoKey;
	/** The public key as GoTrue publishes it in /.well-known/jwks.json. */
	publicJwk: JWK;
}

/**
 * The asymmetric keys of each project, by secret: every verifier in the stack is handed the project
 * secret, which names the project, so keys registered for it are accepted wherever it is.
 */
const projectKeys = new Map<string, Map<string, SigningKey>>();

/** Where the stack keeps its signing keys (private JWKs, as the CLI's signing_keys.json holds them). */
export const SIGNING_KEYS_FILE = 'signing_keys.json';

/** Accepts tokens signed by `key` wherever the project `secret` verifies tokens, and signs with it. */
export function registerSigningKey(secret: string, key: SigningKey): void {
	let keys = projectKeys.get(secret);
	if (!keys) projectKeys.set(secret, (keys = new Map()));
	// The newest key signs; older ones keep verifying what they issued.
	keys.delete(key.kid);
	keys.set(key.kid, key);
}

/** The key user tokens are signed with, or null when the project has none (HS256 then). */
export function signingKeyFor(secret: string): SigningKey | null {
	const keys = projectKeys.get(secret);
	return keys ? ([...keys.values()].at(-1) ?? null) : null;
}

/** The JWKS GoTrue serves: the public halves of the project's asymmetric keys (never the secret). */
export function jwksFor(secret: string): { keys: JWK[] } {
	return { keys: [...(projectKeys.get(secret)?.values() ?? [])].map((key) => key.publicJwk) };
}

async function fromPrivateJwk(jwk: JWK): Promise<SigningKey> {
	if (jwk.kty !== 'EC' || jwk.crv !== 'P-256' || !jwk.d || !jwk.kid) {
		throw new Error('only ES256 (EC P-256) private keys with a kid are supported');
	}
	// WebCrypto allows only "sign" on an EC private key; the file's key_ops also list "verify".
	const privateKey = (await importJWK({ ...jwk, key_ops: undefined }, 'ES256')) as CryptoKey;
	const { kty, crv, x, y, kid } = jwk;
	// GoTrue publishes each public key for signatures and verification only.
	const publicJwk: JWK = { alg: 'ES256', crv, ext: true, key_ops: ['verify'], kid, kty, use: 'sig', x, y };
	const publicKey = (await importJWK(publicJwk, 'ES256')) as CryptoKey;
	return { kid: jwk.kid, alg: 'ES256', privateKey, publicKey, publicJwk };
}

/**
 * The project's signing key from `dir`/signing_keys.json, generated there (readable by the owner
 * only) on first start, and registered for `secret`. The file is a JSON array of private JWKs, the
 * format of the CLI's signing_keys.json; the last one signs.
 */
export async function loadSigningKeys(dir: string, secret: string): Promise<SigningKey> {
	const file = path.join(dir, SIGNING_KEYS_FILE);
	let jwks: JWK[];
	try {
		jwks = JSON.parse(await readFile(file, 'utf8')) as JWK[];
	} catch (error) {
		if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
			throw new Error(`cannot read the JWT signing keys in ${file}: ${(error as Error).message}`);
		}
		const { privateKey } = await generateKeyPair('ES256', { extractable: true });
		const jwk = await exportJWK(privateKey);
		jwks = [{ ...jwk, kid: randomUUID(), alg: 'ES256', use: 'sig', key_ops: ['sign', 'verify'], ext: true }];
		await mkdir(dir, { recursive: true });
		const partial = `${file}.${process.pid}.tmp`;
		await writeFile(partial, `${JSON.stringify(jwks, null, 2)}\n`, { mode: 0o600 });
		await chmod(partial, 0o600);
		await rename(partial, file);
	}
	if (!Array.isArray(jwks) || jwks.length === 0) {
		throw new Error(`${file} must hold a JSON array of private JWKs`);
	}
	let last: SigningKey | undefined;
	for (const jwk of jwks) {
		try {
			last = await fromPrivateJwk(jwk);
		} catch (error) {
			throw new Error(`bad JWT signing key in ${file}: ${(error as Error).message}`);
		}
		registerSigningKey(secret, last);
	}
	return last!;
}

/** Signs claims with HS256. `expiresIn` in seconds; omit it when the claims carry their own `exp`. */
export async function signJwt(claims: JwtClaims, secret: string, expiresIn?: number): Promise<string> {
	const now = Math.floor(Date.now() / 1000);
	const payload: JwtClaims = { iat: now, ...claims };
	if (expiresIn !== undefined) payload.exp = now + expiresIn;
	return new SignJWT(payload).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).sign(secretKey(secret));
}

/** Signs a user token with the project's asymmetric key (its `kid` in the header), as GoTrue does. */
export async function signJwtWithKey(claims: JwtClaims, key: SigningKey): Promise<string> {
	return new SignJWT({ iat: Math.floor(Date.now() / 1000), ...claims })
		.setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'JWT' })
		.sign(key.privateKey);
}

/**
 * Verifies a token signed with the project secret (HS256) or one of the project's asymmetric keys
 * (ES256, picked by `kid`); alg "none" and other algorithms are refused. Returns its claims.
 */
export async function verifyJwt(token: string, secret: string): Promise<JwtClaims> {
	if (token.split('.').length !== 3) {
		throw new JwtError('malformed', 'token is malformed: token contains an invalid number of segments');
	}
	const keyFor = (header: JWTHeaderParameters) => {
		if (header.alg === 'HS256') return secretKey(secret);
		const key = header.kid === undefined ? undefined : projectKeys.get(secret)?.get(header.kid);
		// The algorithm comes from our key, never from the token: an ES256 key only verifies ES256.
		if (!key || key.alg !== header.alg) {
			throw new JwtError(
				'invalid',
				`token is unverifiable: error while executing keyfunc: invalid kid: ${header.kid ?? ''}`
			);
		}
		return key.publicKey;
	};
	try {
		const { payload } = await jwtVerify(token, keyFor, { algorithms: ['HS256', 'ES256'] });
		return payload as JwtClaims;
	} catch (error) {
		if (error instanceof JwtError) throw error;
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
