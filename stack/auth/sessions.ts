/**
 * Sessions, refresh tokens and access tokens as GoTrue keeps them (internal/tokens/service.go,
 * internal/models/refresh_token.go, sessions.go): a session per sign-in in auth.sessions, its
 * authentication methods in auth.mfa_amr_claims, and a chain of refresh tokens in
 * auth.refresh_tokens where each refresh revokes the presented token and issues a child.
 */
import { randomBytes } from 'node:crypto';
import type pg from 'pg';
import type { StackConfig } from '../config.ts';
import { signJwt, signJwtWithKey, signingKeyFor, type JwtClaims } from '../keys.ts';
import { AuthError, badRequest, OAuthError, ErrorCode } from './errors.ts';
import {
	findUserById,
	NIL_UUID,
	touchLastSignIn,
	userJson,
	type Db,
	type JsonObject,
	type User
} from './users.ts';

export type AuthMethod = 'password' | 'anonymous' | 'token_refresh';

export interface ClientInfo {
	ip: string | null;
	userAgent: string | null;
}

export interface TokenResponse {
	access_token: string;
	token_type: 'bearer';
	expires_in: number;
	expires_at: number;
	refresh_token: string;
	user: JsonObject;
	weak_password?: { message: string; reasons: string[] };
}

const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';

/** GoTrue's 12-character refresh tokens: lower-case base32 of crypto-random bytes. */
export function newRefreshToken(length = 12): string {
	const bytes = randomBytes(length);
	let token = '';
	for (let i = 0; i < length; i++) token += BASE32[bytes[i] & 31];
	return token;
}

export async function withTransaction<T>(
	pool: pg.Pool,
	work: (client: pg.PoolClient) => Promise<T>
): Promise<T> {
	const client = await pool.connect();
	try {
		await client.query('begin');
		const result = await work(client);
		await client.query('commit');
		return result;
	} catch (error) {
		await client.query('rollback').catch(() => undefined);
		throw error;
	} finally {
		client.release();
	}
}

export interface SessionRow {
	id: string;
	user_id: string;
	not_after: Date | null;
}

export async function findSession(db: Db, id: string, lock = false): Promise<SessionRow | null> {
	const { rows } = await db.query<SessionRow>(
		`select id, user_id, not_after from auth.sessions where id = $1${lock ? ' for update' : ''}`,
		[id]
	);
	return rows[0] ?? null;
}

/** The session's `amr` claim: its authentication methods, most recent first. */
async function amrClaims(db: Db, sessionId: string): Promise<{ method: string; timestamp: number }[]> {
	const { rows } = await db.query<{ method: string; timestamp: string }>(
		`select authentication_method as method, floor(extract(epoch from updated_at))::bigint as timestamp
		 from auth.mfa_amr_claims where session_id = $1 order by updated_at desc`,
		[sessionId]
	);
	return rows.map((r) => ({ method: r.method, timestamp: Number(r.timestamp) }));
}

export class TokenService {
	constructor(private readonly config: StackConfig) {}

	get issuer(): string {
		return `${this.config.apiUrl}/auth/v1`;
	}

	/** Signs the access token GoTrue would issue for this user and session. */
	async accessToken(db: Db, user: User, sessionId: string): Promise<{ token: string; expiresAt: number }> {
		const now = Math.floor(Date.now() / 1000);
		const expiresAt = now + this.config.jwtExpiry;
		const json = userJson(user);
		const claims: JwtClaims = {
			iss: this.issuer,
			sub: user.row.id,
			aud: user.row.aud ?? '',
			exp: expiresAt,
			iat: now,
			email: user.row.email ?? '',
			phone: user.row.phone ?? '',
			app_metadata: json.app_metadata,
			user_metadata: json.user_metadata,
			role: user.row.role ?? '',
			aal: 'aal1',
			amr: await amrClaims(db, sessionId),
			session_id: sessionId,
			is_anonymous: user.row.is_anonymous
		};
		// With an asymmetric key (the stack makes one on first start) tokens are ES256 with its kid,
		// so clients can verify them against the JWKS; without one, HS256 with the project secret.
		const key = signingKeyFor(this.config.jwtSecret);
		const token = key ? await signJwtWithKey(claims, key) : await signJwt(claims, this.config.jwtSecret);
		return { token, expiresAt };
	}

	async #response(db: Db, user: User, sessionId: string, refreshToken: string): Promise<TokenResponse> {
		const { token, expiresAt } = await this.accessToken(db, user, sessionId);
		return {
			access_token: token,
			token_type: 'bearer',
			expires_in: expiresAt - Math.floor(Date.now() / 1000),
			expires_at: expiresAt,
			refresh_token: refreshToken,
			user: userJson(user)
		};
	}

	/** Starts a session for a signed-in user (GoTrue's IssueRefreshToken) inside the caller's transaction. */
	async issue(db: Db, userId: string, method: AuthMethod, client: ClientInfo): Promise<TokenResponse> {
		const { rows } = await db.query<{ id: string }>(
			`insert into auth.sessions (id, user_id, created_at, updated_at, aal, user_agent, ip)
			 values (gen_random_uuid(), $1, now(), now(), 'aal1', $2, $3) returning id`,
			[userId, client.userAgent, client.ip]
		);
		const sessionId = rows[0].id;
		await db.query(
			`insert into auth.mfa_amr_claims (id, session_id, created_at, updated_at, authentication_method)
			 values (gen_random_uuid(), $1, now(), now(), $2)`,
			[sessionId, method]
		);
		const refreshToken = newRefreshToken();
		await db.query(
			`insert into auth.refresh_tokens (instance_id, token, user_id, revoked, created_at, updated_at, session_id)
			 values ($1, $2, $3, false, now(), now(), $4)`,
			[NIL_UUID, refreshToken, userId, sessionId]
		);
		await touchLastSignIn(db, userId);
		const user = await findUserById(db, userId);
		if (!user) throw new Error(`user ${userId} vanished while signing in`);
		return this.#response(db, user, sessionId, refreshToken);
	}

	/**
	 * The refresh_token grant with rotation. A revoked token is accepted again only when it is the
	 * parent of the session's active token (the client lost the answer: it gets that token back) or
	 * within the reuse interval (it gets a fresh child); later reuse revokes every token of the
	 * session and fails.
	 */
	async refresh(pool: pg.Pool, presented: string, client: ClientInfo): Promise<TokenResponse> {
		if (!presented) throw new OAuthError('invalid_request', 'refresh_token required');
		const outcome = await withTransaction(pool, (db) => this.#refresh(db, presented, client));
		// Some refusals keep what they wrote (a revoked family, a dropped orphan token).
		if (outcome instanceof AuthError) throw outcome;
		return outcome;
	}

	/** The new session, or an error to raise after committing. */
	async #refresh(
		db: pg.PoolClient,
		presented: string,
		client: ClientInfo
	): Promise<TokenResponse | AuthError> {
		const { rows } = await db.query<{
			id: string;
			token: string;
			user_id: string;
			revoked: boolean;
			session_id: string | null;
			reusable: boolean;
		}>(
			`select id, token, user_id, revoked, session_id,
				updated_at + make_interval(secs => $2) >= now() as reusable
			 from auth.refresh_tokens where token = $1 for update`,
			[presented, this.config.auth.refreshReuseInterval]
		);
		const token = rows[0];
		if (!token)
			throw badRequest(ErrorCode.RefreshTokenNotFound, 'Invalid Refresh Token: Refresh Token Not Found');

		const user = await findUserById(db, token.user_id);
		if (!user)
			throw badRequest(ErrorCode.RefreshTokenNotFound, 'Invalid Refresh Token: Refresh Token Not Found');
		if (user.row.is_banned) throw badRequest(ErrorCode.UserBanned, 'Invalid Refresh Token: User Banned');

		const session = token.session_id ? await findSession(db, token.session_id, true) : null;
		if (!session) {
			await db.query('delete from auth.refresh_tokens where id = $1', [token.id]);
			return badRequest(ErrorCode.SessionNotFound, 'Invalid Refresh Token: No Valid Session Found');
		}
		if (session.not_after && session.not_after.getTime() <= Date.now()) {
			throw badRequest(ErrorCode.SessionExpired, 'Invalid Refresh Token: Session Expired');
		}

		let issued: string | null = null;
		if (token.revoked) {
			const { rows: active } = await db.query<{ token: string; parent: string | null }>(
				`select token, parent from auth.refresh_tokens where session_id = $1 and revoked is false
				 order by id desc limit 1`,
				[session.id]
			);
			if (active[0]?.parent === token.token) {
				issued = active[0].token;
			} else if (!token.reusable) {
				// GoTrue revokes the family (RevokeTokenFamily) but stamps every token as revoked just now,
				// so the newest one would pass the reuse-interval check and revive the session. Ending the
				// session instead takes the whole family with it (the tokens cascade) for good.
				await db.query('delete from auth.sessions where id = $1', [session.id]);
				return badRequest(ErrorCode.RefreshTokenAlreadyUsed, 'Invalid Refresh Token: Already Used');
			}
		}
		if (issued === null) {
			await db.query('update auth.refresh_tokens set revoked = true, updated_at = now() where id = $1', [
				token.id
			]);
			issued = newRefreshToken();
			await db.query(
				`insert into auth.refresh_tokens (instance_id, token, user_id, revoked, created_at, updated_at, parent, session_id)
				 values ($1, $2, $3, false, now(), now(), $4, $5)`,
				[NIL_UUID, issued, token.user_id, token.token, session.id]
			);
		}
		await db.query(
			`update auth.sessions set refreshed_at = now() at time zone 'utc', updated_at = now(), user_agent = $2, ip = $3
			 where id = $1`,
			[session.id, client.userAgent, client.ip]
		);
		return this.#response(db, user, session.id, issued);
	}
}

/** Ends sessions (their refresh tokens go with them, as GoTrue's cascade does). */
export async function endSessions(
	db: Db,
	scope: 'global' | 'local' | 'others',
	userId: string,
	sessionId: string | null
) {
	if (scope === 'local' && sessionId) {
		await db.query('delete from auth.refresh_tokens where session_id = $1', [sessionId]);
		await db.query('delete from auth.sessions where id = $1', [sessionId]);
	} else if (scope === 'others' && sessionId) {
		await db.query(
			'delete from auth.refresh_tokens where user_id = $1::text and session_id is distinct from $2',
			[userId, sessionId]
		);
		await db.query('delete from auth.sessions where user_id = $1 and id <> $2', [userId, sessionId]);
	} else {
		await db.query('delete from auth.refresh_tokens where user_id = $1::text', [userId]);
		await db.query('delete from auth.sessions where user_id = $1', [userId]);
	}
}
