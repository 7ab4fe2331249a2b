/**
 * GoTrue's admin user API (internal/api/admin.go) for the service key: list, create, read,
 * update and delete users, as auth-js's GoTrueAdminApi calls it.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Context, Hono } from 'hono';
import { badRequest, notFound, unprocessable, ErrorCode } from './errors.ts';
import { requireAdmin } from './guard.ts';
import { isUniqueViolation, type AuthDeps, type AuthEnv } from './deps.ts';
import { checkPasswordStrength, hashPassword, MAX_PASSWORD_LENGTH } from './password.ts';
import { isUuid, readParams, type Params } from './request.ts';
import { endSessions, withTransaction } from './sessions.ts';
import {
	DEFAULT_ROLE,
	emailTaken,
	findUserById,
	insertIdentity,
	insertUser,
	listUsers,
	mergeMetadata,
	updateIdentityData,
	userJson,
	type Db,
	type User
} from './users.ts';
import { parseBanDuration, validateEmail, validatePhone } from './validate.ts';

const DEFAULT_PER_PAGE = 50;
const BCRYPT_HASH = /^\$2[abxy]?\$\d\d\$[./A-Za-z0-9]{53}$/;

const emailExists = () =>
	unprocessable(ErrorCode.EmailExists, 'A user with this email address has already been registered');
const phoneExists = () =>
	unprocessable(ErrorCode.PhoneExists, 'Phone number already registered by another user');

async function phoneTaken(db: Db, phone: string, aud: string, exceptId?: string): Promise<boolean> {
	const { rowCount } = await db.query(
		'select 1 from auth.users where phone = $1 and aud = $2 and ($3::uuid is null or id <> $3::uuid) limit 1',
		[phone, aud, exceptId ?? null]
	);
	return (rowCount ?? 0) > 0;
}

/** A whole number query parameter, as Go's strconv.ParseUint reads it. */
function pageParam(c: Context, name: string, fallback: number): number {
	const raw = c.req.query(name);
	if (raw === undefined || raw === '') return fallback;
	if (!/^\d+$/.test(raw)) {
		throw badRequest(
			ErrorCode.ValidationFailed,
			`Bad Pagination Parameters: strconv.ParseUint: parsing "${raw}": invalid syntax`
		);
	}
	return Number(raw);
}

/** GoTrue's Link header: next (when there is one) and last, relative to the auth service like GoTrue's. */
function paginationLink(c: Context, page: number, perPage: number, total: number): string {
	const lastPage = Math.ceil(total / perPage);
	const query = new URL(c.req.url).searchParams;
	const at = (p: number) => {
		query.set('page', String(p));
		// Go's url.Values.Encode sorts by key, so page comes before per_page (auth-js relies on it).
		const sorted = [...query.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
		return `</admin/users?${new URLSearchParams(sorted).toString()}>`;
	};
	let link = '';
	if (lastPage > page) link += `${at(page + 1)}; rel="next", `;
	return `${link}${at(lastPage)}; rel="last"`;
}

export function registerAdmin(app: Hono<AuthEnv>, deps: AuthDeps): void {
	const { pool, config } = deps.ctx;
	const admin = (c: Context<AuthEnv>) => requireAdmin(c, pool, config.jwtSecret, c.get('apiKeyRole'));

	/** The :id user, or GoTrue's 404s. */
	async function loadUser(c: Context<AuthEnv>): Promise<User> {
		const id = c.req.param('id');
		if (!isUuid(id)) throw notFound(ErrorCode.ValidationFailed, 'user_id must be an UUID');
		const user = await findUserById(pool, id);
		if (!user) throw notFound(ErrorCode.UserNotFound, 'User not found');
		return user;
	}

	app.get('/admin/users', async (c) => {
		await admin(c);
		const page = Math.max(1, pageParam(c, 'page', 1));
		const perPage = pageParam(c, 'per_page', DEFAULT_PER_PAGE) || DEFAULT_PER_PAGE;
		const aud = deps.requestAud(c);
		const { users, total } = await listUsers(pool, aud, page, perPage, c.req.query('filter') ?? '');
		c.header('Link', paginationLink(c, page, perPage, total));
		c.header('X-Total-Count', String(total));
		return c.json({ users: users.map(userJson), aud });
	});

	app.post('/admin/users', async (c) => {
		await admin(c);
		const params = await readParams(c);
		return c.json(userJson(await createUser(deps, c, params)));
	});

	app.get('/admin/users/:id', async (c) => {
		await admin(c);
		return c.json(userJson(await loadUser(c)));
	});

	app.put('/admin/users/:id', async (c) => {
		await admin(c);
		const user = await loadUser(c);
		const params = await readParams(c);
		return c.json(userJson(await adminUpdateUser(deps, user, params)));
	});

	app.delete('/admin/users/:id', async (c) => {
		await admin(c);
		const user = await loadUser(c);
		// The body is optional; only a non-empty one is parsed.
		const text = await c.req.raw.clone().text();
		const soft = text.trim() === '' ? false : (await readParams(c)).boolean('should_soft_delete');
		await withTransaction(pool, (db) => (soft ? softDelete(db, user) : hardDelete(db, user.row.id)));
		return c.json({});
	});
}

async function createUser(deps: AuthDeps, c: Context, params: Params): Promise<User> {
	const { pool } = deps.ctx;
	const aud = params.string('aud') || deps.requestAud(c);
	let email = params.string('email');
	let phone = params.string('phone');
	if (email === '' && phone === '') {
		throw badRequest(ErrorCode.ValidationFailed, 'Cannot create a user without either an email or phone');
	}
	const providers: string[] = [];
	if (email !== '') {
		email = validateEmail(email);
		if (await emailTaken(pool, email, aud)) throw emailExists();
		providers.push('email');
	}
	if (phone !== '') {
		phone = validatePhone(phone);
		if (await phoneTaken(pool, phone, aud)) throw phoneExists();
		providers.push('phone');
	}
	const password = params.optionalString('password');
	const passwordHash = params.string('password_hash');
	if (password !== undefined && passwordHash !== '') {
		throw badRequest(ErrorCode.ValidationFailed, 'Only a password or a password hash should be provided');
	}
	let encryptedPassword: string;
	if (passwordHash !== '') {
		if (!BCRYPT_HASH.test(passwordHash)) {
			throw badRequest(ErrorCode.ValidationFailed, 'Only bcrypt password hashes are supported');
		}
		encryptedPassword = passwordHash;
	} else {
		// No password: GoTrue sets a random one nobody knows.
		const secret = password || randomBytes(48).toString('base64url');
		if (Buffer.byteLength(secret) > MAX_PASSWORD_LENGTH) {
			throw badRequest(ErrorCode.ValidationFailed, 'bcrypt: password length exceeds 72 bytes');
		}
		encryptedPassword = await hashPassword(secret);
	}
	const id = params.string('id');
	if (id !== '') {
		if (!isUuid(id)) throw badRequest(ErrorCode.ValidationFailed, 'ID must conform to the uuid v4 format');
		if (/^[0-]+$/.test(id)) throw badRequest(ErrorCode.ValidationFailed, 'ID cannot be a nil uuid');
	}
	const bannedUntil = banUntil(params);
	const emailConfirm = params.boolean('email_confirm');
	const userMetadata = params.object('user_metadata') ?? {};
	const appMetadata = params.object('app_metadata');

	try {
		const userId = await withTransaction(pool, async (db) => {
			const userId = await insertUser(db, {
				id: id || undefined,
				aud,
				role: params.string('role') || DEFAULT_ROLE,
				email: email || null,
				phone: phone || null,
				encryptedPassword,
				appMetadata: { provider: providers[0], providers },
				userMetadata: emailConfirm ? { ...userMetadata, email_verified: true } : userMetadata,
				isAnonymous: false,
				emailConfirmed: emailConfirm,
				phoneConfirmed: params.boolean('phone_confirm'),
				bannedUntil: bannedUntil ?? null
			});
			const claims = { sub: userId, email_verified: false, phone_verified: false };
			if (email) await insertIdentity(db, userId, 'email', { ...claims, email });
			if (phone) await insertIdentity(db, userId, 'phone', { ...claims, phone });
			if (appMetadata) await mergeMetadata(db, userId, 'raw_app_meta_data', appMetadata);
			return userId;
		});
		const user = await findUserById(pool, userId);
		if (!user) throw new Error(`user ${userId} vanished after creation`);
		return user;
	} catch (error) {
		if (isUniqueViolation(error)) {
			if (/pkey/.test((error as { constraint?: string }).constraint ?? '')) {
				throw unprocessable(ErrorCode.ValidationFailed, 'A user with this ID already exists');
			}
			throw emailExists();
		}
		throw error;
	}
}

/** `ban_duration` as a ban end time: undefined when absent, null to lift a ban. */
function banUntil(params: Params): Date | null | undefined {
	const raw = params.string('ban_duration');
	if (raw === '') return undefined;
	const ms = parseBanDuration(raw);
	return ms === 0 ? null : new Date(Date.now() + ms);
}

async function adminUpdateUser(deps: AuthDeps, user: User, params: Params): Promise<User> {
	const { pool, config } = deps.ctx;
	const { row } = user;
	const aud = row.aud ?? '';
	const email = params.string('email') === '' ? '' : validateEmail(params.string('email'));
	const phone = params.string('phone') === '' ? '' : validatePhone(params.string('phone'));
	const bannedUntil = banUntil(params);
	const password = params.optionalString('password');
	if (password !== undefined) checkPasswordStrength(password, config.auth.minPasswordLength);
	if (email && email !== row.email && (await emailTaken(pool, email, aud, row.id))) throw emailExists();
	if (phone && phone !== row.phone && (await phoneTaken(pool, phone, aud, row.id))) throw phoneExists();
	const encryptedPassword = password !== undefined ? await hashPassword(password) : null;
	const emailConfirm = params.boolean('email_confirm');
	const phoneConfirm = params.boolean('phone_confirm');
	const role = params.string('role');
	const appMetadata = params.object('app_metadata');
	const userMetadata = params.object('user_metadata');

	try {
		await withTransaction(pool, async (db) => {
			const set = async (assignments: string, values: unknown[]) => {
				await db.query(`update auth.users set ${assignments}, updated_at = now() where id = $1`, [
					row.id,
					...values
				]);
			};
			if (role) await set('role = $2', [role]);
			if (emailConfirm) {
				await set('email_confirmed_at = now(), confirmation_token = $2', ['']);
				await mergeMetadata(db, row.id, 'raw_user_meta_data', { email_verified: true });
			}
			if (phoneConfirm) await set('phone_confirmed_at = now()', []);
			if (encryptedPassword !== null) {
				await set('encrypted_password = $2', [encryptedPassword]);
				await endSessions(db, 'global', row.id, null);
			}
			if (email) {
				const updated = await updateIdentityData(db, row.id, 'email', {
					email,
					email_verified: emailConfirm
				});
				if (!updated) {
					await insertIdentity(db, row.id, 'email', {
						sub: row.id,
						email,
						email_verified: emailConfirm,
						phone_verified: false
					});
				}
				if (row.is_anonymous && emailConfirm) await set('is_anonymous = false', []);
				await set('email = $2', [email]);
			}
			if (phone) {
				const updated = await updateIdentityData(db, row.id, 'phone', {
					phone,
					phone_verified: phoneConfirm
				});
				if (!updated) {
					await insertIdentity(db, row.id, 'phone', {
						sub: row.id,
						phone,
						email_verified: false,
						phone_verified: phoneConfirm
					});
				}
				if (row.is_anonymous && phoneConfirm) await set('is_anonymous = false', []);
				await set('phone = $2', [phone]);
			}
			if (appMetadata) await mergeMetadata(db, row.id, 'raw_app_meta_data', appMetadata);
			if (userMetadata) await mergeMetadata(db, row.id, 'raw_user_meta_data', userMetadata);
			if (bannedUntil !== undefined) await set('banned_until = $2', [bannedUntil]);
		});
	} catch (error) {
		if (isUniqueViolation(error)) throw emailExists();
		throw error;
	}
	const updated = await findUserById(pool, row.id);
	if (!updated) throw notFound(ErrorCode.UserNotFound, 'User not found');
	return updated;
}

async function hardDelete(db: Db, userId: string): Promise<void> {
	await db.query('delete from auth.refresh_tokens where user_id = $1::text', [userId]);
	await db.query('delete from auth.users where id = $1', [userId]);
}

/** GoTrue's soft delete: the row stays, its email, phone, password, metadata and sessions go. */
async function softDelete(db: Db, user: User): Promise<void> {
	const { row } = user;
	if (row.deleted_at) return;
	const obfuscate = (value: string) =>
		createHash('sha256')
			.update(row.id + value)
			.digest('base64url');
	await db.query(
		`update auth.users set email = $2, phone = $3, encrypted_password = null, email_change = $4, phone_change = $5,
			confirmation_token = '', recovery_token = '', email_change_token_current = '', email_change_token_new = '',
			phone_change_token = '', deleted_at = now(), raw_user_meta_data = '{}', raw_app_meta_data = '{}', updated_at = now()
		 where id = $1`,
		[
			row.id,
			obfuscate(row.email ?? ''),
			obfuscate(row.phone ?? '').slice(0, 15),
			obfuscate(row.email_change ?? ''),
			obfuscate(row.phone_change ?? '').slice(0, 15)
		]
	);
	for (const identity of user.identities) {
		await db.query(
			`update auth.identities set identity_data = '{}', provider_id = $2, updated_at = now() where id = $1`,
			[
				identity.id,
				createHash('sha256')
					.update(row.id + `${identity.provider}:${identity.provider_id}`)
					.digest('base64url')
			]
		);
	}
	await endSessions(db, 'global', row.id, null);
}
