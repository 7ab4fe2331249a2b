/**
 * Row Level Security and constraints of Beacon's schema, checked in SQL the way Supabase runs a
 * request: in one transaction, the JWT's claims in `request.jwt.claims`, then `set local role`.
 * Every test rolls its transaction back, so the seed stays as it was.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testEnv } from './helpers.ts';

type Role = 'anon' | 'authenticated' | 'service_role';
type Row = Record<string, unknown>;

interface Person {
	id: string;
	email: string;
}

let db: pg.Client;
let alice: Person;
let bob: Person;

function claimsFor(role: Role, person?: Person): Record<string, unknown> {
	const now = Math.floor(Date.now() / 1000);
	if (!person) return { iss: 'supabase-demo', role, iat: now, exp: now + 3600 };
	return {
		iss: 'http://127.0.0.1:54321/auth/v1',
		sub: person.id,
		aud: 'authenticated',
		role,
		email: person.email,
		iat: now,
		exp: now + 3600,
		aal: 'aal1',
		session_id: '00000000-0000-4000-8000-0000000000aa',
		is_anonymous: false
	};
}

/** Switches the open transaction to `role` with the claims of `person` (as PostgREST does per request). */
async function actAs(role: Role, person?: Person): Promise<void> {
	await db.query('reset role');
	await db.query(`select set_config('request.jwt.claims', $1, true)`, [
		JSON.stringify(claimsFor(role, person))
	]);
	await db.query(`set local role ${role}`);
}

/** Runs `body` in a transaction that is always rolled back. */
async function inTransaction(body: () => Promise<void>): Promise<void> {
	await db.query('begin');
	try {
		await body();
	} finally {
		await db.query('rollback');
	}
}

async function rows(text: string, params: unknown[] = []): Promise<Row[]> {
	return (await db.query(text, params)).rows;
}

/** The SQLSTATE `text` fails with; the transaction goes on (a savepoint absorbs the error). */
async function failure(text: string, params: unknown[] = []): Promise<string> {
	await db.query('savepoint attempt');
	try {
		await db.query(text, params);
	} catch (error) {
		await db.query('rollback to savepoint attempt');
		return (error as pg.DatabaseError).code ?? 'unknown';
	}
	await db.query('release savepoint attempt');
	return 'no error';
}

async function person(email: string): Promise<Person> {
	const [row] = await rows('select id from auth.users where email = $1', [email]);
	if (!row) throw new Error(`${email} is missing: is the database seeded?`);
	return { id: String(row.id), email };
}

/** One of `owner`'s notifications, read as the superuser. */
async function notificationOf(owner: Person): Promise<Row> {
	await db.query('reset role');
	const [row] = await rows(
		'select * from public.notifications where user_id = $1 order by created_at desc limit 1',
		[owner.id]
	);
	return row;
}

const INSUFFICIENT_PRIVILEGE = '42501';
const CHECK_VIOLATION = '23514';

beforeAll(async () => {
	db = new pg.Client({ connectionString: testEnv().dbUrl });
	await db.connect();
	alice = await person('alice@example.com');
	bob = await person('bob@example.com');
});

afterAll(async () => {
	await db?.end();
});

describe('auth helpers', () => {
	it('auth.uid(), auth.role(), auth.email() and auth.jwt() read the request claims', async () => {
		await inTransaction(async () => {
			await actAs('authenticated', alice);
			const [row] = await rows(
				`select auth.uid() as uid, auth.role() as role, auth.email() as email, auth.jwt() ->> 'aud' as aud`
			);
			expect(row).toEqual({ uid: alice.id, role: 'authenticated', email: alice.email, aud: 'authenticated' });
		});
	});

	it('auth.uid() is null again after a request transaction ends (the setting reads as empty)', async () => {
		await inTransaction(async () => actAs('authenticated', alice));
		const [row] = await rows('select auth.uid() as uid, auth.jwt() as jwt');
		expect(row).toEqual({ uid: null, jwt: null });
	});

	it('the legacy request.jwt.claim.sub setting is still honoured', async () => {
		await inTransaction(async () => {
			await db.query(`select set_config('request.jwt.claim.sub', $1, true)`, [bob.id]);
			const [row] = await rows('select auth.uid() as uid');
			expect(row.uid).toBe(bob.id);
		});
	});

	it('pgcrypto is reachable unqualified, as Supabase seeds call it', async () => {
		const fresh = new pg.Client({ connectionString: testEnv().dbUrl });
		await fresh.connect();
		try {
			const { rows: result } = await fresh.query(
				`select crypt('password123', gen_salt('bf')) like '$2a$%' as bcrypt, extensions.gen_random_uuid() is not null as uuid`
			);
			expect(result[0]).toEqual({ bcrypt: true, uuid: true });
		} finally {
			await fresh.end();
		}
	});
});

describe('notifications: reading', () => {
	it('a user sees only their own notifications', async () => {
		await inTransaction(async () => {
			const [{ total }] = await rows(
				'select count(*)::int as total from public.notifications where user_id = $1',
				[alice.id]
			);
			expect(total).toBeGreaterThan(0);
			await actAs('authenticated', alice);
			const visible = await rows('select user_id from public.notifications');
			expect(visible.length).toBe(total);
			expect(new Set(visible.map((r) => r.user_id))).toEqual(new Set([alice.id]));
		});
	});

	it("a user cannot read another user's notification, even by id", async () => {
		await inTransaction(async () => {
			const bobs = await notificationOf(bob);
			await actAs('authenticated', alice);
			expect(await rows('select * from public.notifications where id = $1', [bobs.id])).toEqual([]);
		});
	});

	it('anon sees nothing: it has no privilege on public tables at all (20261202000100_revoke_anon)', async () => {
		await inTransaction(async () => {
			await actAs('anon');
			expect(await failure('select * from public.notifications')).toBe(INSUFFICIENT_PRIVILEGE);
			expect(await failure('select * from public.profiles')).toBe(INSUFFICIENT_PRIVILEGE);
		});
	});

	it('service_role sees every notification', async () => {
		await inTransaction(async () => {
			const [{ total }] = await rows('select count(*)::int as total from public.notifications');
			await actAs('service_role');
			const [{ seen }] = await rows('select count(*)::int as seen from public.notifications');
			expect(seen).toBe(total);
		});
	});
});

describe('notifications: marking read, archiving, deleting', () => {
	it('the recipient can set read_at and archived_at, and updated_at moves', async () => {
		await inTransaction(async () => {
			const mine = await notificationOf(alice);
			await actAs('authenticated', alice);
			const updated = await rows(
				`update public.notifications set read_at = now(), archived_at = now() where id = $1
				 returning read_at, archived_at, updated_at, now() as now`,
				[mine.id]
			);
			expect(updated).toHaveLength(1);
			const [row] = updated;
			expect(row.read_at).toEqual(row.now);
			expect(row.archived_at).toEqual(row.now);
			expect(row.updated_at).toEqual(row.now);
			expect((row.updated_at as Date).getTime()).toBeGreaterThan((mine.updated_at as Date).getTime());
		});
	});

	it('the recipient can mark a notification unread again', async () => {
		await inTransaction(async () => {
			await db.query('update public.notifications set read_at = now() where user_id = $1', [alice.id]);
			const mine = await notificationOf(alice);
			await actAs('authenticated', alice);
			const [row] = await rows(
				'update public.notifications set read_at = null where id = $1 returning read_at',
				[mine.id]
			);
			expect(row.read_at).toBeNull();
		});
	});

	it('the recipient cannot rewrite the text or move the notification to someone else', async () => {
		await inTransaction(async () => {
			const mine = await notificationOf(alice);
			await actAs('authenticated', alice);
			for (const change of [
				`title = 'Rewritten'`,
				`body = 'Rewritten'`,
				`url = '/elsewhere'`,
				`priority = 'urgent'`,
				`actor_id = null`,
				`user_id = gen_random_uuid()`,
				`created_at = now()`,
				`updated_at = now()`
			]) {
				expect(
					await failure(`update public.notifications set ${change} where id = $1`, [mine.id]),
					change
				).toBe(INSUFFICIENT_PRIVILEGE);
			}
		});
	});

	it("a user cannot mark or archive another user's notification", async () => {
		await inTransaction(async () => {
			const bobs = await notificationOf(bob);
			await actAs('authenticated', alice);
			const result = await db.query(
				'update public.notifications set read_at = now(), archived_at = now() where id = $1',
				[bobs.id]
			);
			expect(result.rowCount).toBe(0);
			const after = await notificationOf(bob);
			expect([after.read_at, after.archived_at]).toEqual([bobs.read_at, bobs.archived_at]);
		});
	});

	it('the recipient can delete their notification; nobody else can', async () => {
		await inTransaction(async () => {
			const mine = await notificationOf(alice);
			const bobs = await notificationOf(bob);
			await actAs('authenticated', alice);
			expect((await db.query('delete from public.notifications where id = $1', [bobs.id])).rowCount).toBe(0);
			expect((await db.query('delete from public.notifications where id = $1', [mine.id])).rowCount).toBe(1);
			await db.query('reset role');
			expect(await rows('select id from public.notifications where id = $1', [bobs.id])).toHaveLength(1);
		});
	});

	it('anon can neither update nor delete', async () => {
		await inTransaction(async () => {
			const bobs = await notificationOf(bob);
			await actAs('anon');
			expect(await failure('update public.notifications set read_at = now() where id = $1', [bobs.id])).toBe(
				INSUFFICIENT_PRIVILEGE
			);
			expect(await failure('delete from public.notifications where id = $1', [bobs.id])).toBe(
				INSUFFICIENT_PRIVILEGE
			);
		});
	});
});

describe('notifications: sending', () => {
	const insert = `insert into public.notifications (user_id, actor_id, category, priority, title, body, url)
		values ($1, $2, 'message', 'normal', 'Hello', 'From the RLS test', '/inbox')`;

	it('a signed-in user can notify another user as themselves, and the recipient sees it', async () => {
		await inTransaction(async () => {
			await actAs('authenticated', alice);
			expect((await db.query(insert, [bob.id, alice.id])).rowCount).toBe(1);
			await actAs('authenticated', bob);
			const [row] = await rows(
				`select actor_id, read_at from public.notifications where body = 'From the RLS test'`
			);
			expect(row).toEqual({ actor_id: alice.id, read_at: null });
		});
	});

	it('the sender cannot read back what they sent (it belongs to the recipient)', async () => {
		await inTransaction(async () => {
			await actAs('authenticated', alice);
			await db.query(insert, [bob.id, alice.id]);
			expect(await rows(`select id from public.notifications where body = 'From the RLS test'`)).toEqual([]);
		});
	});

	it('a user cannot send in somebody else’s name, nor as the system', async () => {
		await inTransaction(async () => {
			await actAs('authenticated', alice);
			expect(await failure(insert, [bob.id, bob.id])).toBe(INSUFFICIENT_PRIVILEGE);
			expect(await failure(insert, [alice.id, bob.id])).toBe(INSUFFICIENT_PRIVILEGE);
			expect(await failure(insert, [bob.id, null])).toBe(INSUFFICIENT_PRIVILEGE);
		});
	});

	it('a sender cannot pre-set read_at, archived_at or the timestamps', async () => {
		await inTransaction(async () => {
			await actAs('authenticated', alice);
			for (const column of ['read_at', 'archived_at', 'created_at', 'updated_at']) {
				const text = `insert into public.notifications (user_id, actor_id, title, ${column}) values ($1, $2, 'Hi', now())`;
				expect(await failure(text, [bob.id, alice.id]), column).toBe(INSUFFICIENT_PRIVILEGE);
			}
		});
	});

	it('anon cannot send', async () => {
		await inTransaction(async () => {
			await actAs('anon');
			expect(await failure(insert, [bob.id, null])).toBe(INSUFFICIENT_PRIVILEGE);
		});
	});

	it('service_role can send system notifications (no actor)', async () => {
		await inTransaction(async () => {
			await actAs('service_role');
			expect((await db.query(insert, [bob.id, null])).rowCount).toBe(1);
		});
	});
});

describe('notifications: functions', () => {
	it('mark_all_read() marks only the caller’s unread notifications and returns how many', async () => {
		await inTransaction(async () => {
			const [{ unread }] = await rows(
				'select count(*)::int as unread from public.notifications where user_id = $1 and read_at is null',
				[alice.id]
			);
			const [{ bobUnread }] = await rows(
				'select count(*)::int as "bobUnread" from public.notifications where user_id = $1 and read_at is null',
				[bob.id]
			);
			expect(unread).toBeGreaterThan(0);
			await actAs('authenticated', alice);
			const [{ badge }] = await rows('select public.unread_count() as badge');
			expect(badge).toBeGreaterThan(0);
			expect(await rows('select public.mark_all_read() as marked')).toEqual([{ marked: unread }]);
			expect(await rows('select public.unread_count() as badge')).toEqual([{ badge: 0 }]);
			await db.query('reset role');
			const [{ after }] = await rows(
				'select count(*)::int as after from public.notifications where user_id = $1 and read_at is null',
				[bob.id]
			);
			expect(after).toBe(bobUnread);
		});
	});

	it('anon cannot call them', async () => {
		await inTransaction(async () => {
			await actAs('anon');
			expect(await failure('select public.mark_all_read()')).toBe(INSUFFICIENT_PRIVILEGE);
			expect(await failure('select public.unread_count()')).toBe(INSUFFICIENT_PRIVILEGE);
		});
	});

	it('full-text search matches title and body with English stemming', async () => {
		await inTransaction(async () => {
			await actAs('authenticated', alice);
			const hits = await rows(
				`select title || ' ' || coalesce(body, '') as text from public.notifications
				 where search @@ websearch_to_tsquery('deployments')`
			);
			expect(hits.length).toBeGreaterThan(0);
			for (const hit of hits) expect(String(hit.text)).toMatch(/deploy/i);
		});
	});
});

describe('notifications: constraints', () => {
	const insert = `insert into public.notifications (user_id, category, priority, title, body, url)
		values ($1, $2, $3, $4, $5, $6)`;
	const valid = (): unknown[] => [bob.id, 'system', 'normal', 'Title', 'Body', null];
	const withValue = (index: number, value: unknown) => {
		const params = valid();
		params[index] = value;
		return params;
	};

	it.each([
		['https://example.com/a?b=c#d'],
		['http://127.0.0.1:5173/inbox'],
		['/inbox'],
		['/'],
		['/docs/q3?tab=1#top']
	])('accepts the link %s', async (url) => {
		await inTransaction(async () => {
			expect(await failure(insert, withValue(5, url))).toBe('no error');
		});
	});

	it.each([
		['javascript:alert(1)'],
		['JAVASCRIPT:alert(1)'],
		['data:text/html,<script>alert(1)</script>'],
		['//evil.example.com'],
		['/\\evil.example.com'],
		['https://'],
		['inbox'],
		['ftp://example.com/file'],
		['/path with space'],
		['https://example.com/\nx']
	])('rejects the link %j', async (url) => {
		await inTransaction(async () => {
			expect(await failure(insert, withValue(5, url))).toBe(CHECK_VIOLATION);
		});
	});

	it('rejects an empty, blank or over-long title and an over-long body', async () => {
		await inTransaction(async () => {
			expect(await failure(insert, withValue(3, ''))).toBe(CHECK_VIOLATION);
			expect(await failure(insert, withValue(3, '   '))).toBe(CHECK_VIOLATION);
			expect(await failure(insert, withValue(3, 'x'.repeat(201)))).toBe(CHECK_VIOLATION);
			expect(await failure(insert, withValue(3, 'x'.repeat(200)))).toBe('no error');
			expect(await failure(insert, withValue(4, 'x'.repeat(2001)))).toBe(CHECK_VIOLATION);
			expect(await failure(insert, withValue(4, 'x'.repeat(2000)))).toBe('no error');
			expect(await failure(insert, withValue(4, null))).toBe('no error');
		});
	});

	it('rejects an unknown category or priority', async () => {
		await inTransaction(async () => {
			expect(await failure(insert, withValue(1, 'spam'))).toBe(CHECK_VIOLATION);
			expect(await failure(insert, withValue(2, 'critical'))).toBe(CHECK_VIOLATION);
			for (const priority of ['low', 'normal', 'high', 'urgent']) {
				expect(await failure(insert, withValue(2, priority)), priority).toBe('no error');
			}
		});
	});
});

describe('profiles', () => {
	it('every signed-in user can see every profile', async () => {
		await inTransaction(async () => {
			const [{ total }] = await rows('select count(*)::int as total from public.profiles');
			await actAs('authenticated', alice);
			const [{ seen }] = await rows('select count(*)::int as seen from public.profiles');
			expect(seen).toBe(total);
			expect(total).toBeGreaterThanOrEqual(4);
		});
	});

	it('a user can change their own name and picture, and nobody else’s', async () => {
		await inTransaction(async () => {
			await actAs('authenticated', alice);
			const own = await db.query(
				`update public.profiles set display_name = 'Alice C.', avatar_url = 'https://example.com/a.png' where id = $1`,
				[alice.id]
			);
			expect(own.rowCount).toBe(1);
			const other = await db.query(`update public.profiles set display_name = 'Mallory' where id = $1`, [
				bob.id
			]);
			expect(other.rowCount).toBe(0);
		});
	});

	it('a user cannot create, delete or re-key profiles', async () => {
		await inTransaction(async () => {
			await actAs('authenticated', alice);
			expect(await failure(`update public.profiles set id = $1 where id = $2`, [bob.id, alice.id])).toBe(
				INSUFFICIENT_PRIVILEGE
			);
			expect(await failure(`delete from public.profiles where id = $1`, [alice.id])).toBe(
				INSUFFICIENT_PRIVILEGE
			);
			expect(
				await failure(`insert into public.profiles (id, display_name) values (gen_random_uuid(), 'Ghost')`)
			).toBe(INSUFFICIENT_PRIVILEGE);
		});
	});

	it.each([
		[{ display_name: 'Erin Example' }, 'erin@example.com', 'Erin Example'],
		[{ full_name: 'Erin From OAuth' }, 'erin@example.com', 'Erin From OAuth'],
		[{ display_name: '   ' }, 'erin.e@example.com', 'erin.e'],
		[{}, 'erin@example.com', 'erin']
	])('a new user with metadata %j gets a profile', async (meta, email, expected) => {
		await inTransaction(async () => {
			const [user] = await rows(
				`insert into auth.users (instance_id, id, aud, role, email, raw_user_meta_data, created_at, updated_at)
				 values ('00000000-0000-0000-0000-000000000000', gen_random_uuid(), 'authenticated', 'authenticated', $1, $2, now(), now())
				 returning id`,
				[email, JSON.stringify(meta)]
			);
			expect(await rows('select display_name from public.profiles where id = $1', [user.id])).toEqual([
				{ display_name: expected }
			]);
		});
	});

	it('deleting a user deletes their profile and notifications, and keeps what they sent', async () => {
		await inTransaction(async () => {
			const sent = (await rows('select id from public.notifications where actor_id = $1', [alice.id])).map(
				(r) => r.id
			);
			expect(sent.length).toBeGreaterThan(0);
			await db.query('delete from auth.users where id = $1', [alice.id]);
			expect(await rows('select id from public.profiles where id = $1', [alice.id])).toEqual([]);
			expect(await rows('select id from public.notifications where user_id = $1', [alice.id])).toEqual([]);
			const kept = await rows('select actor_id from public.notifications where id = any($1::uuid[])', [sent]);
			expect(kept).toEqual(sent.map(() => ({ actor_id: null })));
		});
	});
});

describe('realtime', () => {
	it('notifications are in the supabase_realtime publication with REPLICA IDENTITY FULL', async () => {
		const published = await rows(
			`select schemaname, tablename from pg_publication_tables where pubname = 'supabase_realtime' and tablename = 'notifications'`
		);
		expect(published).toEqual([{ schemaname: 'public', tablename: 'notifications' }]);
		const [identity] = await rows(
			`select relreplident from pg_class where oid = 'public.notifications'::regclass`
		);
		expect(identity.relreplident).toBe('f');
	});

	it('every table in public has Row Level Security on', async () => {
		const open = await rows(
			`select relname from pg_class where relnamespace = 'public'::regnamespace and relkind = 'r' and not relrowsecurity`
		);
		expect(open).toEqual([]);
	});
});
