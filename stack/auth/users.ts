/**
 * auth.users and auth.identities, read and written the way GoTrue does (internal/models/user.go,
 * identity.go), and the user JSON GoTrue answers with. Rows written here carry the empty strings
 * GoTrue writes in its token columns, so a real GoTrue could read them too.
 */
import type pg from 'pg';

/** Either the pool or a client inside a transaction. */
export type Db = Pick<pg.Pool | pg.PoolClient, 'query'>;

export const NIL_UUID = '00000000-0000-0000-0000-000000000000';
export const DEFAULT_AUD = 'authenticated';
export const DEFAULT_ROLE = 'authenticated';

export type JsonObject = Record<string, unknown>;

/** Timestamps as GoTrue (Go's RFC 3339 with up to microseconds, UTC) prints them. */
const ts = (column: string) =>
	`to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as ${column.replace(/^\w+\./, '')}`;

const USER_COLUMNS = [
	'u.id',
	'u.aud',
	'u.role',
	'u.email',
	'u.phone',
	'u.encrypted_password',
	ts('u.email_confirmed_at'),
	ts('u.phone_confirmed_at'),
	ts('u.confirmed_at'),
	ts('u.invited_at'),
	ts('u.confirmation_sent_at'),
	ts('u.recovery_sent_at'),
	'u.email_change',
	ts('u.email_change_sent_at'),
	'u.phone_change',
	ts('u.phone_change_sent_at'),
	ts('u.reauthentication_sent_at'),
	ts('u.last_sign_in_at'),
	'u.raw_app_meta_data',
	'u.raw_user_meta_data',
	ts('u.created_at'),
	ts('u.updated_at'),
	ts('u.banned_until'),
	'(u.banned_until is not null and u.banned_until > now()) as is_banned',
	ts('u.deleted_at'),
	'coalesce(u.is_anonymous, false) as is_anonymous'
].join(', ');

export interface UserRow {
	id: string;
	aud: string | null;
	role: string | null;
	email: string | null;
	phone: string | null;
	encrypted_password: string | null;
	email_confirmed_at: string | null;
	phone_confirmed_at: string | null;
	confirmed_at: string | null;
	invited_at: string | null;
	confirmation_sent_at: string | null;
	recovery_sent_at: string | null;
	email_change: string | null;
	email_change_sent_at: string | null;
	phone_change: string | null;
	phone_change_sent_at: string | null;
	reauthentication_sent_at: string | null;
	last_sign_in_at: string | null;
	raw_app_meta_data: JsonObject | null;
	raw_user_meta_data: JsonObject | null;
	created_at: string | null;
	updated_at: string | null;
	banned_until: string | null;
	is_banned: boolean;
	deleted_at: string | null;
	is_anonymous: boolean;
}

interface IdentityRow {
	id: string;
	provider_id: string;
	user_id: string;
	identity_data: JsonObject | null;
	provider: string;
	last_sign_in_at: string | null;
	created_at: string | null;
	updated_at: string | null;
	email: string | null;
}

export interface User {
	row: UserRow;
	identities: IdentityRow[];
}

/** Go prints the shortest fraction that keeps the value: .120000 -> .12, .000000 -> nothing. */
function goTime(value: string | null): string | null {
	if (value === null) return null;
	return value.replace(/\.(\d*?)0*Z$/, (_, digits: string) => (digits ? `.${digits}Z` : 'Z'));
}

const ZERO_TIME = '0001-01-01T00:00:00Z';

function identityJson(identity: IdentityRow): JsonObject {
	const json: JsonObject = {
		identity_id: identity.id,
		id: identity.provider_id,
		user_id: identity.user_id,
		identity_data: identity.identity_data ?? {},
		provider: identity.provider
	};
	if (identity.last_sign_in_at) json.last_sign_in_at = goTime(identity.last_sign_in_at);
	json.created_at = goTime(identity.created_at) ?? ZERO_TIME;
	json.updated_at = goTime(identity.updated_at) ?? ZERO_TIME;
	if (identity.email) json.email = identity.email;
	return json;
}

/** The user object GoTrue sends: optional timestamps only when set, email/phone as "" when null. */
export function userJson({ row, identities }: User): JsonObject {
	const json: JsonObject = { id: row.id, aud: row.aud ?? '', role: row.role ?? '', email: row.email ?? '' };
	const optional = (key: string, value: string | null) => {
		if (value) json[key] = goTime(value);
	};
	optional('email_confirmed_at', row.email_confirmed_at);
	optional('invited_at', row.invited_at);
	json.phone = row.phone ?? '';
	optional('phone_confirmed_at', row.phone_confirmed_at);
	optional('confirmation_sent_at', row.confirmation_sent_at);
	optional('confirmed_at', row.confirmed_at);
	optional('recovery_sent_at', row.recovery_sent_at);
	if (row.email_change) json.new_email = row.email_change;
	optional('email_change_sent_at', row.email_change_sent_at);
	if (row.phone_change) json.new_phone = row.phone_change;
	optional('phone_change_sent_at', row.phone_change_sent_at);
	optional('reauthentication_sent_at', row.reauthentication_sent_at);
	optional('last_sign_in_at', row.last_sign_in_at);
	json.app_metadata = row.raw_app_meta_data ?? {};
	json.user_metadata = row.raw_user_meta_data ?? {};
	json.identities = identities.map(identityJson);
	json.created_at = goTime(row.created_at) ?? ZERO_TIME;
	json.updated_at = goTime(row.updated_at) ?? ZERO_TIME;
	optional('banned_until', row.banned_until);
	optional('deleted_at', row.deleted_at);
	json.is_anonymous = row.is_anonymous;
	return json;
}

async function withIdentities(db: Db, rows: UserRow[]): Promise<User[]> {
	if (rows.length === 0) return [];
	const { rows: identities } = await db.query<IdentityRow>(
		`select id, provider_id, user_id, identity_data, provider, ${ts('last_sign_in_at')}, ${ts('created_at')},
			${ts('updated_at')}, email
		 from auth.identities where user_id = any($1::uuid[]) order by created_at, id`,
		[rows.map((r) => r.id)]
	);
	return rows.map((row) => ({ row, identities: identities.filter((i) => i.user_id === row.id) }));
}

async function findOne(db: Db, where: string, params: unknown[], lock = false): Promise<User | null> {
	const { rows } = await db.query<UserRow>(
		`select ${USER_COLUMNS} from auth.users u where ${where} limit 1${lock ? ' for update' : ''}`,
		params
	);
	const [user] = await withIdentities(db, rows);
	return user ?? null;
}

export function findUserById(db: Db, id: string, lock = false): Promise<User | null> {
	return findOne(db, 'u.id = $1', [id], lock);
}

/** GoTrue: `lower(email) = ? and aud = ? and is_sso_user = false`. */
export function findUserByEmail(db: Db, email: string, aud: string): Promise<User | null> {
	return findOne(db, 'lower(u.email) = lower($1) and u.aud = $2 and coalesce(u.is_sso_user, false) = false', [
		email,
		aud
	]);
}

/** Another (non-SSO) user already owning this email, in any audience GoTrue would consider. */
export async function emailTaken(db: Db, email: string, aud: string, exceptId?: string): Promise<boolean> {
	const { rowCount } = await db.query(
		`select 1 from auth.users where lower(email) = lower($1) and aud = $2 and coalesce(is_sso_user, false) = false
		 and ($3::uuid is null or id <> $3::uuid) limit 1`,
		[email, aud, exceptId ?? null]
	);
	return (rowCount ?? 0) > 0;
}

export interface UserPage {
	users: User[];
	total: number;
}

/** Newest first, like GoTrue's admin list; `filter` matches email or full_name like GoTrue. */
export async function listUsers(
	db: Db,
	aud: string,
	page: number,
	perPage: number,
	filter: string
): Promise<UserPage> {
	const like = filter ? `%${filter}%` : null;
	const where = `u.aud = $1 and ($2::text is null or u.email like $2 or u.raw_user_meta_data->>'full_name' ilike $2)`;
	const { rows: count } = await db.query<{ total: string }>(
		`select count(*) as total from auth.users u where ${where}`,
		[aud, like]
	);
	const { rows } = await db.query<UserRow>(
		`select ${USER_COLUMNS} from auth.users u where ${where} order by u.created_at desc, u.id limit $3 offset $4`,
		[aud, like, perPage, (page - 1) * perPage]
	);
	return { users: await withIdentities(db, rows), total: Number(count[0].total) };
}

export interface NewUser {
	id?: string;
	aud: string;
	role: string;
	email: string | null;
	phone: string | null;
	encryptedPassword: string | null;
	appMetadata: JsonObject;
	userMetadata: JsonObject;
	isAnonymous: boolean;
	emailConfirmed: boolean;
	phoneConfirmed: boolean;
	bannedUntil?: Date | null;
}

/** Inserts a user; throws pg's unique_violation (23505) when the email is taken concurrently. */
export async function insertUser(db: Db, user: NewUser): Promise<string> {
	const { rows } = await db.query<{ id: string }>(
		`insert into auth.users (instance_id, id, aud, role, email, phone, encrypted_password, raw_app_meta_data,
			raw_user_meta_data, is_anonymous, email_confirmed_at, phone_confirmed_at, banned_until, created_at, updated_at,
			confirmation_token, recovery_token, email_change_token_new, email_change, email_change_token_current,
			phone_change, phone_change_token, reauthentication_token)
		 values ($1, coalesce($2::uuid, gen_random_uuid()), $3, $4, $5, $6, $7, $8, $9, $10,
			case when $11::boolean then now() end, case when $12::boolean then now() end, $13, now(), now(),
			'', '', '', '', '', '', '', '')
		 returning id`,
		[
			NIL_UUID,
			user.id ?? null,
			user.aud,
			user.role,
			user.email,
			user.phone,
			user.encryptedPassword ?? '',
			user.appMetadata,
			user.userMetadata,
			user.isAnonymous,
			user.emailConfirmed,
			user.phoneConfirmed,
			user.bannedUntil ?? null
		]
	);
	return rows[0].id;
}

/** GoTrue's identity for a user of the email or phone provider: provider_id is the user id. */
export async function insertIdentity(
	db: Db,
	userId: string,
	provider: string,
	identityData: JsonObject
): Promise<void> {
	await db.query(
		`insert into auth.identities (id, provider_id, user_id, identity_data, provider, last_sign_in_at, created_at, updated_at)
		 values (gen_random_uuid(), $1::text, $1::uuid, $2, $3, now(), now(), now())
		 on conflict (provider_id, provider) do update set identity_data = excluded.identity_data, updated_at = now()`,
		[userId, identityData, provider]
	);
}

/** Merges into the provider's identity_data (GoTrue's Identity.UpdateIdentityData). */
export async function updateIdentityData(
	db: Db,
	userId: string,
	provider: string,
	updates: JsonObject
): Promise<boolean> {
	const { rowCount } = await db.query(
		`update auth.identities set identity_data = coalesce(identity_data, '{}'::jsonb) || $3::jsonb, updated_at = now()
		 where user_id = $1 and provider = $2`,
		[userId, provider, updates]
	);
	return (rowCount ?? 0) > 0;
}

/**
 * GoTrue's metadata update: keys with a null value are removed, the others replace the old value
 * (a shallow merge, done in SQL so concurrent updates of different keys do not lose each other).
 */
export async function mergeMetadata(
	db: Db,
	userId: string,
	column: 'raw_user_meta_data' | 'raw_app_meta_data',
	updates: JsonObject
): Promise<void> {
	const removed = Object.keys(updates).filter((key) => updates[key] === null);
	const kept = Object.fromEntries(Object.entries(updates).filter(([, value]) => value !== null));
	// The column name is one of two literals above, never request text.
	await db.query(
		`update auth.users set ${column} = (coalesce(${column}, '{}'::jsonb) - $2::text[]) || $3::jsonb, updated_at = now()
		 where id = $1`,
		[userId, removed, kept]
	);
}

export async function touchLastSignIn(db: Db, userId: string): Promise<void> {
	await db.query('update auth.users set last_sign_in_at = now(), updated_at = now() where id = $1', [userId]);
}
