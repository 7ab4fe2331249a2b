/**
 * Password hashing and strength rules as GoTrue applies them (internal/api/password.go).
 * Hashes are bcrypt `$2a$` with cost 10, the same format pgcrypto's `crypt(pw, gen_salt('bf'))`
 * and Go's bcrypt write, so users seeded with pgcrypto sign in and our hashes verify there too.
 */
import { randomBytes } from 'node:crypto';
import bcrypt from 'bcryptjs';
import { badRequest, weakPassword, ErrorCode } from './errors.ts';

/** bcrypt only reads 72 bytes; GoTrue refuses longer passwords instead of silently truncating. */
export const MAX_PASSWORD_LENGTH = 72;
const COST = 10;

export async function hashPassword(password: string): Promise<string> {
	// bcryptjs writes the `$2b$` prefix; `$2a$` is the same algorithm below 255 bytes and is what
	// pgcrypto understands.
	const salt = (await bcrypt.genSalt(COST)).replace(/^\$2b\$/, '$2a$');
	return bcrypt.hash(password, salt);
}

let dummyHash: Promise<string> | undefined;

/**
 * Costs one comparison at GoTrue's cost and never matches: what a sign-in for an unknown email (or
 * a user without a password) pays, so the answer's timing does not reveal who is registered.
 */
export async function burnPasswordCheck(password: string): Promise<false> {
	dummyHash ??= hashPassword(randomBytes(16).toString('hex'));
	await bcrypt.compare(password, await dummyHash);
	return false;
}

/** Compares against a stored hash; a missing or unreadable hash never matches. */
export async function verifyPassword(password: string, hash: string | null | undefined): Promise<boolean> {
	if (!hash) return false;
	try {
		return await bcrypt.compare(password, hash);
	} catch {
		return false;
	}
}

/** Throws GoTrue's validation_failed / weak_password errors for a password that breaks the rules. */
export function checkPasswordStrength(password: string, minLength: number): void {
	// GoTrue measures in bytes (Go's len).
	const bytes = Buffer.byteLength(password, 'utf8');
	if (bytes > MAX_PASSWORD_LENGTH) {
		throw badRequest(
			ErrorCode.ValidationFailed,
			`Password cannot be longer than ${MAX_PASSWORD_LENGTH} characters`
		);
	}
	if (bytes < minLength) {
		throw weakPassword(`Password should be at least ${minLength} characters.`, ['length']);
	}
}
