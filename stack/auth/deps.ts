/** What the auth routes share: the stack context, the token service and request helpers. */
import type { Context } from 'hono';
import type { StackContext } from '../context.ts';
import type { GatewayEnv } from '../gateway/env.ts';
import type { RateLimiter } from './rate-limit.ts';
import type { ClientInfo, TokenService } from './sessions.ts';

/** Hono variables the gateway sets before auth runs (apiKeyRole). */
export type AuthEnv = GatewayEnv;

export interface AuthDeps {
	ctx: StackContext;
	tokens: TokenService;
	/** Takes one request from the caller's bucket or throws GoTrue's 429. */
	limit(limiter: RateLimiter, c: Context): void;
	/** GoTrue's request audience: the X-JWT-AUD header or the default. */
	requestAud(c: Context): string;
	client(c: Context): ClientInfo;
}

/** Postgres unique_violation (a concurrent insert won the race). */
export function isUniqueViolation(error: unknown): boolean {
	return (error as { code?: string } | null)?.code === '23505';
}
