/**
 * The user's own account: sign-up (email or anonymous), the password grant and PUT /user, with
 * GoTrue's rules and texts (internal/api/signup.go, anonymous.go, token.go, user.go).
 */
import { createHash, randomUUID } from 'node:crypto';
import type { Context } from 'hono';
import { isUniqueViolation, type AuthDeps } from './deps.ts';
import { AuthError, badRequest, forbidden, unprocessable, ErrorCode } from './errors.ts';
import { burnPasswordCheck, checkPasswordStrength, hashPassword, verifyPassword } from './password.ts';
import type { Params } from './request.ts';
import { endSessions, withTransaction, type TokenResponse } from './sessions.ts';
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

export async function signUp(deps: AuthDeps, c: Context, params: Params): Promise<TokenResponse> {
	const { config, pool } = deps.ctx;
	if (!config.auth.enableSignup) {
		throw unprocessable(ErrorCode.SignupDisabled, 'Signups not allowed for this instance');
	}
	const password = params.string('password');
	const data = params.object('data') ?? {};
	if (password === '') throw badRequest(ErrorCode.ValidationFailed, 'Signup requires a valid password');
	checkPasswordStrength(password, config.auth.minPasswordLength);
	if (params.string('email') !== '' && params.string('phone') !== '') {
		throw badRequest(
			ErrorCode.ValidationFailed,
			'Only an email address or phone number should be provided on signup.'
		);
	}
	if (params.string('phone') !== '') {
		throw badRequest(ErrorCode.PhoneProviderDisabled, 'Phone signups are disabled');
	}
	const email = validateEmail(params.string('email'));
	const aud = deps.requestAud(c);
	const alreadyRegistered = () => unprocessable(ErrorCode.UserAlreadyExists, 'User already registered');
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

export async function signUpAnonymously(deps: AuthDeps, c: Context, params: Params): Promise<TokenResponse> {
	const { config, pool } = deps.ctx;
	if (!config.auth.enableSignup) {
		throw unprocessable(ErrorCode.SignupDisabled, 'Signups not allowed for this instance');
	}
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

export async function passwordGrant(deps: AuthDeps, c: Context, params: Params): Promise<TokenResponse> {
	const { config, pool } = deps.ctx;
	const email = params.string('email');
	const phone = params.string('phone');
	const password = params.string('password');
	if (email !== '' && phone !== '') {
		throw badRequest(
			ErrorCode.ValidationFailed,
			'Only an email address or phone number should be provided on login.'
		);
	}
	if (phone !== '') throw unprocessable(ErrorCode.PhoneProviderDisabled, 'Phone logins are disabled');
	if (email === '') throw badRequest(ErrorCode.ValidationFailed, 'missing email or phone');

	const invalid = () => badRequest(ErrorCode.InvalidCredentials, 'Invalid login credentials');
	const user = await findUserByEmail(pool, email, deps.requestAud(c));
	const hash = user?.row.encrypted_password;
	// Every refusal costs one bcrypt comparison, so timing does not tell who is registered.
	const matches = hash ? await verifyPassword(password, hash) : await burnPasswordCheck(password);
	if (!user || !hash) throw invalid();
	if (user.row.is_banned) throw badRequest(ErrorCode.UserBanned, 'User is banned');
	if (!matches) throw invalid();
	if (!user.row.email_confirmed_at) throw badRequest(ErrorCode.EmailNotConfirmed, 'Email not confirmed');

	let weak: TokenResponse['weak_password'];
	try {
		checkPasswordStrength(password, config.auth.minPasswordLength);
	} catch (error) {
		const reasons = (error as AuthError).extra?.weak_password as { reasons: string[] } | undefined;
		if (reasons) weak = { message: (error as AuthError).message, reasons: reasons.reasons };
	}
	const session = await withTransaction(pool, (db) =>
		deps.tokens.issue(db, user.row.id, 'password', deps.client(c))
	);
	return weak ? { ...session, weak_password: weak } : session;
}

/** PUT /user (GoTrue's UserUpdate) for a signed-in user. */
export async function updateOwnUser(
	deps: AuthDeps,
	userId: string,
	sessionId: string | null,
	params: Params
): Promise<JsonObject> {
	const { config, pool } = deps.ctx;
	const emailParam = params.string('email');
	const email = emailParam === '' ? '' : validateEmail(emailParam);
	const phone = params.string('phone');
	if (phone !== '') validatePhone(phone);
	const password = params.optionalString('password');
	if (password !== undefined) checkPasswordStrength(password, config.auth.minPasswordLength);
	const data = params.object('data');
	if (params.object('app_metadata') !== undefined) {
		throw forbidden(ErrorCode.NotAdmin, 'Updating app_metadata requires admin privileges');
	}

	const user = await findUserById(pool, userId);
	if (!user) throw forbidden(ErrorCode.UserNotFound, 'User from sub claim in JWT does not exist');
	const { row } = user;
	if (row.is_anonymous && password && email === '' && phone === '') {
		throw unprocessable(
			ErrorCode.ValidationFailed,
			'Updating password of an anonymous user without an email or phone is not allowed'
		);
	}
	const changingEmail = email !== '' && email !== (row.email ?? '');
	if (changingEmail && (await emailTaken(pool, email, row.aud ?? DEFAULT_AUD, row.id))) {
		throw unprocessable(ErrorCode.EmailExists, 'A user with this email address has already been registered');
	}
	if (phone !== '' && validatePhone(phone) !== (row.phone ?? '')) {
		// Changing a phone number needs an SMS provider, which the local stack does not have.
		throw unprocessable(ErrorCode.PhoneProviderDisabled, 'Phone logins are disabled');
	}
	let encryptedPassword: string | null = null;
	if (password) {
		if (await verifyPassword(password, row.encrypted_password)) {
			throw unprocessable(ErrorCode.SamePassword, 'New password should be different from the old password.');
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
			throw unprocessable(
				ErrorCode.EmailExists,
				'A user with this email address has already been registered'
			);
		}
		throw error;
	}
	const updated = await findUserById(pool, userId);
	if (!updated) throw forbidden(ErrorCode.UserNotFound, 'User from sub claim in JWT does not exist');
	return userJson(updated);
}

/**
 * An anonymous user adding an email is confirmed at once (mailer autoconfirm). A permanent user's
 * new address waits for confirmation from both addresses, as `supabase start` does: the user
 * shows it as `new_email`. The local stack sends no mail, so that change is only recorded.
 */
async function changeEmail(
	db: Parameters<typeof insertIdentity>[0],
	userId: string,
	anonymous: boolean,
	email: string
) {
	if (anonymous) {
		await db.query(
			`update auth.users set email = $2, email_confirmed_at = now(), is_anonymous = false, email_change = '',
				raw_app_meta_data = coalesce(raw_app_meta_data, '{}'::jsonb) || '{"provider":"email","providers":["email"]}'::jsonb,
				updated_at = now()
			 where id = $1`,
			[userId, email]
		);
		await insertIdentity(db, userId, 'email', {
			sub: userId,
			email,
			email_verified: true,
			phone_verified: false
		});
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
