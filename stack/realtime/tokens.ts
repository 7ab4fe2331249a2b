/**
 * Verifying the tokens a socket or channel presents, with the error codes and texts Supabase
 * Realtime answers (realtime_channel.ex confirm_token, channels_authorization.ex).
 */
import { apiKeyClaims, isOpaqueKey, JwtError, roleForApiKey, verifyJwt } from '../keys.ts';
import { ERROR_CODES, ERRORS } from './constants.ts';

export interface VerifiedToken {
	ok: true;
	role: string;
	claims: Record<string, unknown>;
	/** Seconds since the epoch; absent for the opaque sb_ keys, which never expire. */
	exp?: number;
}

export interface RefusedToken {
	ok: false;
	code: string;
	message: string;
}

export type TokenCheck = VerifiedToken | RefusedToken;

export async function verifyToken(token: string, secret: string): Promise<TokenCheck> {
	if (isOpaqueKey(token)) {
		const role = await roleForApiKey(token, secret);
		if (!role) return { ok: false, code: ERROR_CODES.malformedJwt, message: ERRORS.malformedJwt };
		return { ok: true, role, claims: { ...apiKeyClaims(role) } };
	}
	try {
		const claims = await verifyJwt(token.replace(/\s/g, ''), secret);
		if (typeof claims.role !== 'string' || typeof claims.exp !== 'number') {
			return { ok: false, code: ERROR_CODES.invalidJwt, message: ERRORS.missingClaims };
		}
		return { ok: true, role: claims.role, claims: { ...claims }, exp: claims.exp };
	} catch (error) {
		if (!(error instanceof JwtError)) throw error;
		switch (error.reason) {
			case 'expired':
				return { ok: false, code: ERROR_CODES.invalidJwt, message: ERRORS.expired(error.expiredFor ?? 0) };
			case 'invalid':
				return { ok: false, code: ERROR_CODES.signature, message: ERRORS.signature };
			default:
				return { ok: false, code: ERROR_CODES.malformedJwt, message: ERRORS.malformedJwt };
		}
	}
}

/** Seconds since `exp`, as Supabase words an expired token once its timer fires. */
export function secondsSinceExpiry(exp: number, now = Date.now()): number {
	return Math.max(0, Math.floor(now / 1000) - exp);
}
