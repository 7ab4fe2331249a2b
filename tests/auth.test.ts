/**
 * Auth through supabase-js in Node, as an app would use it: sign up, sign in, refresh with rotation,
 * user updates, sign out, admin users with the service key, and the claims RLS sees.
 * Talks to the stack only over HTTP and SQL, so it runs against `supabase start` as well.
 */
import { randomUUID } from 'node:crypto';
import { decodeJwt } from 'jose';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { client, closeSql, DEMO_PASSWORD, serviceClient, signedIn, sql, testEnv } from './helpers.ts';

const newEmail = () => `auth-${randomUUID()}@example.com`;

/** A new user signed up through supabase-js, with its client and first session. */
async function signUpNew(data: Record<string, unknown> = {}) {
	const email = newEmail();
	const password = `pw-${randomUUID()}`;
	const supabase = client();
	const { data: result, error } = await supabase.auth.signUp({ email, password, options: { data } });
	if (error) throw error;
	return { supabase, email, password, session: result.session!, user: result.user! };
}

/** Runs `query` the way PostgREST runs a request: one transaction with the JWT's claims and role. */
async function asClaims<R extends pg.QueryResultRow>(
	claims: Record<string, unknown>,
	query: string
): Promise<R[]> {
	const db = new pg.Client({ connectionString: testEnv().dbUrl });
	await db.connect();
	try {
		await db.query('begin');
		await db.query(`select set_config('request.jwt.claims', $1, true)`, [JSON.stringify(claims)]);
		await db.query(`select set_config('role', $1, true)`, [claims.role]);
		const { rows } = await db.query<R>(query);
		return rows;
	} finally {
		await db.query('rollback').catch(() => undefined);
		await db.end();
	}
}

afterAll(() => closeSql());

describe('sign up and sign in', () => {
	it('signs up with email and password and gets a session (local Supabase autoconfirms)', async () => {
		const { email, session, user } = await signUpNew({ display_name: 'Newcomer' });
		expect(session).toMatchObject({ token_type: 'bearer', expires_in: 3600 });
		expect(session.refresh_token).toMatch(/^[a-z0-9]{12,}$/);
		expect(session.expires_at).toBeGreaterThan(Date.now() / 1000);
		expect(user).toMatchObject({
			aud: 'authenticated',
			role: 'authenticated',
			email,
			phone: '',
			app_metadata: { provider: 'email', providers: ['email'] },
			user_metadata: { display_name: 'Newcomer', email, email_verified: true, sub: user.id },
			is_anonymous: false
		});
		expect(user.email_confirmed_at).toBeTruthy();
		expect(user.last_sign_in_at).toBeTruthy();
		expect(user.identities).toEqual([
			expect.objectContaining({ provider: 'email', id: user.id, user_id: user.id })
		]);
	});

	it('stores a bcrypt hash that pgcrypto verifies, so SQL seeds and the auth server agree', async () => {
		const { email, password } = await signUpNew();
		const [row] = await sql<{ ok: boolean; hash: string }>(
			`select encrypted_password = extensions.crypt($1, encrypted_password) as ok, encrypted_password as hash
			 from auth.users where email = $2`,
			[password, email]
		);
		expect(row.hash).toMatch(/^\$2[ab]\$10\$/);
		expect(row.ok).toBe(true);
	});

	it('puts GoTrue claims in the access token', async () => {
		const { email, session, user } = await signUpNew({ team: 'blue' });
		const claims = decodeJwt(session.access_token);
		expect(claims).toMatchObject({
			sub: user.id,
			aud: 'authenticated',
			role: 'authenticated',
			email,
			phone: '',
			app_metadata: { provider: 'email', providers: ['email'] },
			user_metadata: { team: 'blue' },
			aal: 'aal1',
			amr: [{ method: 'password', timestamp: expect.any(Number) }],
			is_anonymous: false
		});
		expect(claims.session_id).toMatch(/^[0-9a-f-]{36}$/);
		expect(claims.iss).toMatch(/\/auth\/v1$/);
		expect(claims.exp! - claims.iat!).toBe(3600);
		expect(claims.exp).toBe(session.expires_at);
	});

	it('refuses a second sign-up with the same email', async () => {
		const { email } = await signUpNew();
		const { error } = await client().auth.signUp({ email, password: 'another-password' });
		expect(error).toMatchObject({
			status: 422,
			code: 'user_already_exists',
			message: 'User already registered'
		});
	});

	it('refuses a password shorter than the minimum as a weak password', async () => {
		const { error } = await client().auth.signUp({ email: newEmail(), password: '123' });
		expect(error).toMatchObject({
			name: 'AuthWeakPasswordError',
			status: 422,
			code: 'weak_password',
			reasons: ['length']
		});
		expect(error!.message).toBe('Password should be at least 6 characters.');
	});

	it('signs in with the password and answers a wrong one with invalid_credentials', async () => {
		const { email, password } = await signUpNew();
		const supabase = client();
		const ok = await supabase.auth.signInWithPassword({ email: email.toUpperCase(), password });
		expect(ok.error).toBeNull();
		expect(ok.data.user!.email).toBe(email);

		for (const attempt of [
			{ email, password: 'wrong-password' },
			{ email: newEmail(), password }
		]) {
			const { data, error } = await client().auth.signInWithPassword(attempt);
			expect(data.session).toBeNull();
			expect(error).toMatchObject({
				status: 400,
				code: 'invalid_credentials',
				message: 'Invalid login credentials'
			});
		}
	});

	it('does not allow anonymous sign-ins (off by default locally)', async () => {
		const { error } = await client().auth.signInAnonymously();
		expect(error).toMatchObject({ status: 422, code: 'anonymous_provider_disabled' });
	});
});

describe('seed users and RLS', () => {
	it('alice signs in with the seed password and her JWT drives auth.uid() under RLS', async () => {
		const { session, user } = await signedIn('alice@example.com');
		expect(user.email).toBe('alice@example.com');
		const claims = decodeJwt(session.access_token);
		expect(claims).toMatchObject({ sub: user.id, role: 'authenticated', email: 'alice@example.com' });

		const [seen] = await asClaims<{ uid: string; role: string; visible: string; others: string }>(
			claims,
			`select auth.uid() as uid, auth.role() as role,
				(select count(*) from public.notifications) as visible,
				(select count(*) from public.notifications where user_id <> auth.uid()) as others`
		);
		const [owned] = await sql<{ n: string }>(
			'select count(*) as n from public.notifications where user_id = $1',
			[user.id]
		);
		expect(seen).toMatchObject({ uid: user.id, role: 'authenticated', others: '0' });
		expect(Number(seen.visible)).toBe(Number(owned.n));
		expect(Number(owned.n)).toBeGreaterThan(0);
	});
});

describe('refresh tokens', () => {
	it('rotates the refresh token on each refresh', async () => {
		const { supabase, session } = await signUpNew();
		const { data, error } = await supabase.auth.refreshSession();
		expect(error).toBeNull();
		expect(data.session!.refresh_token).not.toBe(session.refresh_token);
		expect(decodeJwt(data.session!.access_token).session_id).toBe(decodeJwt(session.access_token).session_id);
		const [old] = await sql<{ revoked: boolean }>(
			'select revoked from auth.refresh_tokens where token = $1',
			[session.refresh_token]
		);
		expect(old.revoked).toBe(true);
		const [child] = await sql<{ parent: string; revoked: boolean }>(
			'select parent, revoked from auth.refresh_tokens where token = $1',
			[data.session!.refresh_token]
		);
		expect(child).toEqual({ parent: session.refresh_token, revoked: false });
	});

	it('hands the active token back to a replay of its parent, and revokes the session when an older token is reused', async () => {
		const { supabase, session: first } = await signUpNew();
		const second = (await supabase.auth.refreshSession()).data.session!;
		const third = (await supabase.auth.refreshSession()).data.session!;

		// The client lost the answer to its last refresh: replaying that token returns the active one.
		const replay = await client().auth.refreshSession({ refresh_token: second.refresh_token });
		expect(replay.error).toBeNull();
		expect(replay.data.session!.refresh_token).toBe(third.refresh_token);

		// An older token, revoked longer ago than the reuse interval (10 s), is reuse: the session's
		// tokens are all revoked.
		await sql(`update auth.refresh_tokens set updated_at = now() - interval '1 minute' where token = $1`, [
			first.refresh_token
		]);
		const reuse = await client().auth.refreshSession({ refresh_token: first.refresh_token });
		expect(reuse.data.session).toBeNull();
		expect(reuse.error).toMatchObject({
			status: 400,
			code: 'refresh_token_already_used',
			message: 'Invalid Refresh Token: Already Used'
		});
		const [family] = await sql<{ active: string }>(
			'select count(*) filter (where not revoked) as active from auth.refresh_tokens where session_id = $1',
			[decodeJwt(first.access_token).session_id]
		);
		expect(family.active).toBe('0');
	});

	it('keeps a revoked family dead: after reuse no token of it refreshes, not even the newest, and the session is gone', async () => {
		const { supabase, session: first } = await signUpNew();
		const second = (await supabase.auth.refreshSession()).data.session!;
		const third = (await supabase.auth.refreshSession()).data.session!;
		await sql(`update auth.refresh_tokens set updated_at = now() - interval '1 minute' where token = $1`, [
			first.refresh_token
		]);
		const reuse = await client().auth.refreshSession({ refresh_token: first.refresh_token });
		expect(reuse.error).toMatchObject({ code: 'refresh_token_already_used' });

		// The newest and the middle token were revoked moments ago, well within the reuse interval.
		for (const token of [third.refresh_token, second.refresh_token, first.refresh_token]) {
			const attempt = await client().auth.refreshSession({ refresh_token: token });
			expect(attempt.data.session, `refresh with ${token}`).toBeNull();
			expect(attempt.error).toMatchObject({ status: 400 });
		}
		const holder = client();
		const me = await holder.auth.getUser(third.access_token);
		expect(me.data.user).toBeNull();
		expect(me.error).toMatchObject({ name: 'AuthSessionMissingError' });
	});

	it('lets a token revoked moments ago (within the reuse interval) refresh again', async () => {
		const { supabase, session: first } = await signUpNew();
		await supabase.auth.refreshSession();
		const third = (await supabase.auth.refreshSession()).data.session!;
		const again = await client().auth.refreshSession({ refresh_token: first.refresh_token });
		expect(again.error).toBeNull();
		expect(again.data.session!.refresh_token).not.toBe(third.refresh_token);
	});

	it('answers an unknown refresh token with refresh_token_not_found', async () => {
		const { error } = await client().auth.refreshSession({ refresh_token: 'nosuchtoken1' });
		expect(error).toMatchObject({
			status: 400,
			code: 'refresh_token_not_found',
			message: 'Invalid Refresh Token: Refresh Token Not Found'
		});
	});
});

describe('the signed-in user', () => {
	it('reads the user and merges metadata updates (null removes a key)', async () => {
		const { supabase, user } = await signUpNew({ theme: 'light' });
		const got = await supabase.auth.getUser();
		expect(got.data.user).toMatchObject({ id: user.id, user_metadata: { theme: 'light' } });

		await supabase.auth.updateUser({ data: { theme: 'dark' } });
		const { data, error } = await supabase.auth.updateUser({ data: { lang: 'en' } });
		expect(error).toBeNull();
		expect(data.user!.user_metadata).toMatchObject({ theme: 'dark', lang: 'en' });

		const removed = await supabase.auth.updateUser({ data: { theme: null } });
		expect(removed.data.user!.user_metadata).not.toHaveProperty('theme');
		expect((await supabase.auth.getUser()).data.user!.user_metadata).toMatchObject({ lang: 'en' });
	});

	it('changes the password: the new one signs in, the old one no longer does, other sessions end', async () => {
		const { supabase, email, password } = await signUpNew();
		const other = await signedIn(email, password);

		const same = await supabase.auth.updateUser({ password });
		expect(same.error).toMatchObject({ status: 422, code: 'same_password' });

		const { error } = await supabase.auth.updateUser({ password: 'a-brand-new-password' });
		expect(error).toBeNull();
		expect((await client().auth.signInWithPassword({ email, password })).error).toMatchObject({
			code: 'invalid_credentials'
		});
		expect(
			(await client().auth.signInWithPassword({ email, password: 'a-brand-new-password' })).error
		).toBeNull();

		// The session that changed the password lives on; the other one is gone.
		expect((await supabase.auth.getUser()).error).toBeNull();
		const stale = await client().auth.getUser(other.session.access_token);
		expect(stale.error?.name).toBe('AuthSessionMissingError');
	});

	it('records an email change as pending until confirmed, as with email confirmations', async () => {
		const { supabase, email } = await signUpNew();
		const next = newEmail();
		const { data, error } = await supabase.auth.updateUser({ email: next });
		expect(error).toBeNull();
		expect(data.user).toMatchObject({ email, new_email: next });
		expect(data.user!.email_change_sent_at).toBeTruthy();
	});

	it('refuses an email another user has', async () => {
		const { supabase } = await signUpNew();
		const { error } = await supabase.auth.updateUser({ email: 'bob@example.com' });
		expect(error).toMatchObject({ status: 422, code: 'email_exists' });
	});
});

describe('sign out', () => {
	async function twoSessions() {
		const first = await signUpNew();
		const second = await signedIn(first.email, first.password);
		return { first, second };
	}
	const userWith = (token: string) => client().auth.getUser(token);

	it('local: ends only this session; its token and refresh token stop working', async () => {
		const { first, second } = await twoSessions();
		const { error } = await first.supabase.auth.signOut({ scope: 'local' });
		expect(error).toBeNull();

		const gone = await userWith(first.session.access_token);
		expect(gone.data.user).toBeNull();
		expect(gone.error?.name).toBe('AuthSessionMissingError');
		const refresh = await client().auth.refreshSession({ refresh_token: first.session.refresh_token });
		expect(refresh.error).toMatchObject({ code: 'refresh_token_not_found' });

		expect((await userWith(second.session.access_token)).error).toBeNull();
	});

	it('global (the default): ends every session of the user', async () => {
		const { first, second } = await twoSessions();
		expect((await second.supabase.auth.signOut()).error).toBeNull();
		expect((await userWith(first.session.access_token)).error?.name).toBe('AuthSessionMissingError');
		expect((await userWith(second.session.access_token)).error?.name).toBe('AuthSessionMissingError');
	});

	it('others: ends the other sessions and keeps this one', async () => {
		const { first, second } = await twoSessions();
		expect((await first.supabase.auth.signOut({ scope: 'others' })).error).toBeNull();
		expect((await userWith(first.session.access_token)).error).toBeNull();
		expect((await userWith(second.session.access_token)).error?.name).toBe('AuthSessionMissingError');
	});
});

describe('admin users (service key)', () => {
	it('creates, lists, reads, updates and deletes a user', async () => {
		const admin = serviceClient().auth.admin;
		const email = newEmail();
		const created = await admin.createUser({
			email,
			password: 'admin-made-password',
			email_confirm: true,
			user_metadata: { team: 'blue' },
			app_metadata: { plan: 'pro' }
		});
		expect(created.error).toBeNull();
		const user = created.data.user!;
		expect(user).toMatchObject({
			email,
			user_metadata: { team: 'blue' },
			app_metadata: { provider: 'email', providers: ['email'], plan: 'pro' }
		});
		expect(user.email_confirmed_at).toBeTruthy();

		const signIn = await client().auth.signInWithPassword({ email, password: 'admin-made-password' });
		expect(signIn.error).toBeNull();
		expect(decodeJwt(signIn.data.session!.access_token).app_metadata).toMatchObject({ plan: 'pro' });

		const duplicate = await admin.createUser({ email, password: 'whatever-else' });
		expect(duplicate.error).toMatchObject({ status: 422, code: 'email_exists' });

		const page = await admin.listUsers({ page: 1, perPage: 2 });
		expect(page.error).toBeNull();
		if (!('total' in page.data)) throw new Error('listUsers returned no pagination');
		expect(page.data.users).toHaveLength(2);
		expect(page.data).toMatchObject({ aud: 'authenticated', nextPage: 2 });
		expect(page.data.total).toBeGreaterThanOrEqual(5);
		// GoTrue's pagination headers, which auth-js turns into nextPage/lastPage/total.
		const env = testEnv();
		const raw = await fetch(`${env.url}/auth/v1/admin/users?page=1&per_page=2`, {
			headers: { apikey: env.serviceKey, Authorization: `Bearer ${env.serviceKey}` }
		});
		const total = Number(raw.headers.get('x-total-count'));
		expect(total).toBeGreaterThanOrEqual(5);
		expect(raw.headers.get('link')).toBe(
			`</admin/users?page=2&per_page=2>; rel="next", </admin/users?page=${Math.ceil(total / 2)}&per_page=2>; rel="last"`
		);

		const got = await admin.getUserById(user.id);
		expect(got.data.user).toMatchObject({ id: user.id, email });

		const updated = await admin.updateUserById(user.id, {
			user_metadata: { team: 'red' },
			app_metadata: { plan: null }
		});
		expect(updated.error).toBeNull();
		expect(updated.data.user!.user_metadata).toMatchObject({ team: 'red' });
		expect(updated.data.user!.app_metadata).not.toHaveProperty('plan');

		const deleted = await admin.deleteUser(user.id);
		expect(deleted.error).toBeNull();
		const missing = await admin.getUserById(user.id);
		expect(missing.error).toMatchObject({ status: 404, code: 'user_not_found' });
		expect((await client().auth.getUser(signIn.data.session!.access_token)).data.user).toBeNull();
	});

	it('keeps users without a confirmed email from signing in, and bans work', async () => {
		const admin = serviceClient().auth.admin;
		const email = newEmail();
		const { data } = await admin.createUser({ email, password: 'not-yet-confirmed' });
		const unconfirmed = await client().auth.signInWithPassword({ email, password: 'not-yet-confirmed' });
		expect(unconfirmed.error).toMatchObject({ status: 400, code: 'email_not_confirmed' });

		await admin.updateUserById(data.user!.id, { email_confirm: true, ban_duration: '24h' });
		const banned = await client().auth.signInWithPassword({ email, password: 'not-yet-confirmed' });
		expect(banned.error).toMatchObject({ status: 400, code: 'user_banned' });

		const lifted = await admin.updateUserById(data.user!.id, { ban_duration: 'none' });
		expect(lifted.data.user!.banned_until).toBeUndefined();
		expect(
			(await client().auth.signInWithPassword({ email, password: 'not-yet-confirmed' })).error
		).toBeNull();
	});

	it('works with the sb_secret_ key and is refused with the anon key', async () => {
		const alice = await sql<{ id: string }>(`select id from auth.users where email = 'alice@example.com'`);
		const bySecret = await client(testEnv().secretKey).auth.admin.getUserById(alice[0].id);
		expect(bySecret.data.user?.email).toBe('alice@example.com');

		const byAnon = await client().auth.admin.listUsers();
		expect(byAnon.error).toMatchObject({ status: 403, code: 'not_admin', message: 'User not allowed' });
		const { session } = await signedIn('bob@example.com', DEMO_PASSWORD);
		const byUser = await client(testEnv().anonKey, {
			global: { headers: { Authorization: `Bearer ${session.access_token}` } }
		}).auth.admin.getUserById(alice[0].id);
		expect(byUser.error).toMatchObject({ status: 403, code: 'not_admin' });
	});
});
