/**
 * REST through supabase-js, as an app uses it: reads, embeds, filters, counts, single rows,
 * writes and RPC, each under Row Level Security for alice, bob and anon.
 * Writes use rows the test creates and removes, so the seed stays as it was.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { client, closeSql, eventually, serviceClient, signedIn, sql, testEnv } from './helpers.ts';

type SupabaseClient = ReturnType<typeof client>;

interface Person {
	id: string;
	supabase: SupabaseClient;
}

let alice: Person;
let bob: Person;
let anon: SupabaseClient;
let service: SupabaseClient;
const created: string[] = [];

async function person(email: string): Promise<Person> {
	const { supabase, user } = await signedIn(email);
	return { id: user.id, supabase };
}

/** A notification for `to`, written with the service key; removed after the tests. */
async function notify(to: string, fields: Record<string, unknown> = {}): Promise<string> {
	const { data, error } = await service
		.from('notifications')
		.insert({ user_id: to, title: 'rest test', category: 'system', ...fields })
		.select('id')
		.single();
	if (error) throw new Error(error.message);
	created.push(data.id);
	return data.id as string;
}

beforeAll(async () => {
	[alice, bob] = await Promise.all([person('alice@example.com'), person('bob@example.com')]);
	anon = client();
	service = serviceClient();
});

afterAll(async () => {
	if (created.length > 0) await service.from('notifications').delete().in('id', created);
	await closeSql();
});

describe('reading under RLS', () => {
	it('each user sees exactly their own notifications; anon may not read them at all', async () => {
		const [mine, bobs, none, all] = await Promise.all([
			alice.supabase.from('notifications').select('id, user_id'),
			bob.supabase.from('notifications').select('id, user_id'),
			anon.from('notifications').select('id'),
			sql<{ user_id: string; n: string }>(
				'select user_id, count(*) as n from public.notifications group by user_id'
			)
		]);
		expect(mine.error).toBeNull();
		expect(mine.data!.length).toBeGreaterThan(0);
		expect(mine.data!.every((n) => n.user_id === alice.id)).toBe(true);
		expect(mine.data!.length).toBe(Number(all.find((r) => r.user_id === alice.id)!.n));
		expect(bobs.data!.every((n) => n.user_id === bob.id)).toBe(true);
		// 20261202000100_revoke_anon: anon holds no privilege in public (401 42501, not an empty list).
		expect(none).toMatchObject({ status: 401, error: { code: '42501' }, data: null });
	});

	it("a user cannot read another user's notification even by id", async () => {
		const [bobRow] = await sql<{ id: string }>(
			'select id from public.notifications where user_id = $1 limit 1',
			[bob.id]
		);
		const { data, error } = await alice.supabase.from('notifications').select('*').eq('id', bobRow.id);
		expect(error).toBeNull();
		expect(data).toEqual([]);
	});

	it('embeds the sender through actor_id (many-to-one) and the sent items one-to-many', async () => {
		const { data, error } = await alice.supabase
			.from('notifications')
			.select('id, actor_id, actor:profiles!actor_id(display_name, avatar_url)')
			.order('created_at', { ascending: false });
		expect(error).toBeNull();
		const withActor = data!.filter((n) => n.actor_id !== null);
		expect(withActor.length).toBeGreaterThan(0);
		for (const row of data!) {
			if (row.actor_id === null) expect(row.actor).toBeNull();
			else expect(row.actor).toEqual({ display_name: expect.any(String), avatar_url: null });
		}
		expect(Object.keys(data![0])).toEqual(['id', 'actor_id', 'actor']);

		// profiles -> notifications they sent, limited by RLS to what alice may read.
		const sent = await alice.supabase
			.from('profiles')
			.select('id, display_name, sent:notifications!actor_id(user_id)')
			.eq('id', bob.id)
			.single();
		expect(sent.error).toBeNull();
		expect(sent.data!.sent.length).toBeGreaterThan(0);
		expect(sent.data!.sent.every((n: { user_id: string }) => n.user_id === alice.id)).toBe(true);

		// order and limit on the embedded resource (referencedTable).
		const latest = await alice.supabase
			.from('profiles')
			.select('id, sent:notifications!actor_id(created_at)')
			.eq('id', bob.id)
			.order('created_at', { referencedTable: 'sent', ascending: false })
			.limit(2, { referencedTable: 'sent' })
			.single();
		expect(latest.error).toBeNull();
		const times = latest.data!.sent.map((n: { created_at: string }) => n.created_at);
		expect(times).toHaveLength(2);
		expect(Date.parse(times[0])).toBeGreaterThanOrEqual(Date.parse(times[1]));
	});

	it('spreads a to-one embed into the row (...rel)', async () => {
		const { data, error } = await alice.supabase
			.from('notifications')
			.select('title, actor_id, ...profiles!actor_id(sender:display_name)');
		expect(error).toBeNull();
		for (const row of data!) {
			expect(Object.keys(row)).toEqual(['title', 'actor_id', 'sender']);
			expect(row.sender === null).toBe(row.actor_id === null);
		}
		// PostgREST 13 spreads a to-many embed as arrays (tests/rest-embed.test.ts).
		const many = await alice.supabase.from('profiles').select('id, ...notifications!actor_id(title)');
		expect(many.error).toBeNull();
		expect(many.data!.every((p) => Array.isArray(p.title))).toBe(true);
	});

	it('!inner keeps only rows whose embed matches; embed filters narrow the embed', async () => {
		const inner = await alice.supabase
			.from('notifications')
			.select('title, actor:profiles!actor_id!inner(display_name)')
			.eq('actor.display_name', 'Bob Martinez');
		expect(inner.error).toBeNull();
		expect(inner.data!.length).toBeGreaterThan(0);
		expect(
			inner.data!.every(
				(n) => (n.actor as unknown as { display_name: string }).display_name === 'Bob Martinez'
			)
		).toBe(true);

		const outer = await alice.supabase
			.from('notifications')
			.select('title, actor:profiles!actor_id(display_name)')
			.eq('actor.display_name', 'Nobody');
		expect(outer.data!.length).toBe((await alice.supabase.from('notifications').select('id')).data!.length);
		expect(outer.data!.every((n) => n.actor === null)).toBe(true);
	});

	it('orders, pages with range and counts exactly', async () => {
		const all = await alice.supabase
			.from('notifications')
			.select('id, created_at')
			.order('created_at', { ascending: false });
		const page = await alice.supabase
			.from('notifications')
			.select('id, created_at', { count: 'exact' })
			.order('created_at', { ascending: false })
			.range(1, 2);
		expect(page.error).toBeNull();
		expect(page.count).toBe(all.data!.length);
		expect(page.data).toEqual(all.data!.slice(1, 3));
		const head = await alice.supabase.from('notifications').select('*', { count: 'exact', head: true });
		expect(head).toMatchObject({ error: null, data: null, count: all.data!.length });
		const nulls = await alice.supabase
			.from('notifications')
			.select('read_at')
			.order('read_at', { ascending: true, nullsFirst: true });
		expect(nulls.data![0].read_at).toBeNull();
	});

	it('filters: in, is, or, not, ilike, gte and full-text search', async () => {
		const q = () =>
			alice.supabase.from('notifications').select('title, priority, read_at, category, created_at');
		const urgent = await q().in('priority', ['high', 'urgent']);
		expect(urgent.data!.length).toBeGreaterThan(0);
		expect(urgent.data!.every((n) => ['high', 'urgent'].includes(n.priority))).toBe(true);
		const unread = await q().is('read_at', null);
		expect(unread.data!.every((n) => n.read_at === null)).toBe(true);
		const either = await q().or('priority.eq.urgent,and(category.eq.deploy,read_at.is.null)');
		expect(
			either.data!.every((n) => n.priority === 'urgent' || (n.category === 'deploy' && n.read_at === null))
		).toBe(true);
		expect(either.data!.length).toBeGreaterThan(0);
		const notLow = await q().not('priority', 'eq', 'low');
		expect(notLow.data!.every((n) => n.priority !== 'low')).toBe(true);
		const like = await q().ilike('title', '%MENTIONED%');
		expect(like.data!.length).toBeGreaterThan(0);
		expect(like.data!.every((n) => /mentioned/i.test(n.title))).toBe(true);
		const recent = await q().gte('created_at', new Date(Date.now() - 24 * 3600 * 1000).toISOString());
		expect(recent.data!.every((n) => Date.parse(n.created_at) >= Date.now() - 24 * 3600 * 1000 - 5000)).toBe(
			true
		);
		const search = await alice.supabase
			.from('notifications')
			.select('title')
			.textSearch('search', 'deploy production', { type: 'websearch', config: 'english' });
		expect(search.error).toBeNull();
		expect(search.data!.map((n) => n.title)).toContain('Deploy to production failed');
		const plain = await alice.supabase
			.from('notifications')
			.select('title')
			.textSearch('search', 'deploys', { type: 'plain', config: 'english' });
		expect(plain.data!.map((n) => n.title)).toContain('Deploy to production failed');
	});

	it('single and maybeSingle return one object, or PGRST116', async () => {
		const [row] = await sql<{ id: string; title: string }>(
			'select id, title from public.notifications where user_id = $1 limit 1',
			[alice.id]
		);
		const one = await alice.supabase.from('notifications').select('id, title').eq('id', row.id).single();
		expect(one).toMatchObject({ error: null, status: 200, data: { id: row.id, title: row.title } });

		const many = await alice.supabase.from('notifications').select('id').single();
		expect(many.status).toBe(406);
		expect(many.error).toMatchObject({
			code: 'PGRST116',
			message: 'Cannot coerce the result to a single JSON object'
		});
		expect(many.error!.details).toMatch(/^The result contains \d+ rows$/);

		const hidden = await bob.supabase.from('notifications').select('id').eq('id', row.id).single();
		expect(hidden.error).toMatchObject({ code: 'PGRST116', details: 'The result contains 0 rows' });

		const maybeNone = await bob.supabase.from('notifications').select('id').eq('id', row.id).maybeSingle();
		expect(maybeNone).toMatchObject({ error: null, data: null });
		const maybeOne = await alice.supabase.from('notifications').select('id').eq('id', row.id).maybeSingle();
		expect(maybeOne).toMatchObject({ error: null, data: { id: row.id } });
		const maybeMany = await alice.supabase.from('notifications').select('id').maybeSingle();
		expect(maybeMany.error).toMatchObject({ code: 'PGRST116' });
	});

	it('profiles are visible to signed-in users only; keys of both kinds work', async () => {
		const signedInView = await alice.supabase.from('profiles').select('display_name');
		expect(signedInView.data!.length).toBeGreaterThanOrEqual(4);
		// Anon (by either key) holds no privilege on public tables (20261202000100_revoke_anon).
		expect(await anon.from('profiles').select('id')).toMatchObject({ status: 401, error: { code: '42501' } });
		expect(await client(testEnv().publishableKey).from('profiles').select('id')).toMatchObject({
			status: 401,
			error: { code: '42501' }
		});
		const secret = await client(testEnv().secretKey)
			.from('notifications')
			.select('id', { count: 'exact', head: true });
		const [{ n }] = await sql<{ n: string }>('select count(*) as n from public.notifications');
		expect(secret.count).toBe(Number(n));
	});

	it('stripNulls() leaves out null values, also inside embeds', async () => {
		const { data, error } = await alice.supabase
			.from('notifications')
			.select('id, url, actor:profiles!actor_id(display_name, avatar_url)')
			.is('url', null)
			.stripNulls();
		expect(error).toBeNull();
		expect(data!.length).toBeGreaterThan(0);
		for (const row of data!) {
			expect('url' in row).toBe(false);
			if (row.actor) expect(Object.keys(row.actor)).toEqual(['display_name']);
		}
	});

	it('getOpenApiSpec() describes what the caller may use', async () => {
		const mine = await alice.supabase.getOpenApiSpec();
		expect(mine.error).toBeNull();
		expect(mine.data!.swagger).toBe('2.0');
		expect(Object.keys(mine.data!.paths)).toEqual(
			expect.arrayContaining(['/', '/notifications', '/profiles', '/rpc/unread_count'])
		);
		expect(mine.data!.definitions!.notifications.properties).toHaveProperty('title');
		const anons = await anon.getOpenApiSpec();
		expect(Object.keys(anons.data!.paths)).not.toContain('/rpc/unread_count');
	});

	it('csv() answers text/csv', async () => {
		const { data, error } = await alice.supabase
			.from('profiles')
			.select('id, display_name')
			.eq('id', alice.id)
			.csv();
		expect(error).toBeNull();
		// Postgres' record text form, as PostgREST builds CSV: a value with a space is quoted.
		expect(data).toBe(`id,display_name\n${alice.id},"Alice Chen"`);
	});

	it('explain() is refused as on Supabase (db-plan-enabled off): 406 PGRST107', async () => {
		const { error, status } = await alice.supabase.from('profiles').select('id').explain({ analyze: true });
		expect(status).toBe(406);
		expect(error).toMatchObject({
			code: 'PGRST107',
			message:
				'None of these media types are available: application/vnd.pgrst.plan+text; for="application/json"; options=analyze'
		});
	});
});

describe('writing under RLS', () => {
	it('a user sends a notification in their own name (return=minimal); only the recipient reads it', async () => {
		const title = `ping ${Date.now()}`;
		const sent = await alice.supabase
			.from('notifications')
			.insert({ user_id: bob.id, actor_id: alice.id, title });
		expect(sent).toMatchObject({ error: null, status: 201, data: null });
		const [row] = await sql<{ id: string }>('select id from public.notifications where title = $1', [title]);
		created.push(row.id);
		expect((await bob.supabase.from('notifications').select('title').eq('id', row.id)).data).toEqual([
			{ title }
		]);
		expect((await alice.supabase.from('notifications').select('title').eq('id', row.id)).data).toEqual([]);

		// Reading it back is a SELECT of bob's row: RLS refuses, and nothing is written.
		const readBack = await alice.supabase
			.from('notifications')
			.insert({ user_id: bob.id, actor_id: alice.id, title: `${title} 2` })
			.select();
		expect(readBack.status).toBe(403);
		expect(readBack.error).toMatchObject({ code: '42501' });
		expect(await sql('select 1 from public.notifications where title = $1', [`${title} 2`])).toEqual([]);
	});

	it('sending in somebody else’s name is refused (403) and anon cannot send (401)', async () => {
		const forged = await alice.supabase
			.from('notifications')
			.insert({ user_id: bob.id, actor_id: bob.id, title: 'forged' });
		expect(forged.status).toBe(403);
		expect(forged.error).toMatchObject({
			code: '42501',
			message: 'new row violates row-level security policy for table "notifications"'
		});
		const fromAnon = await anon.from('notifications').insert({ user_id: bob.id, title: 'anon' });
		expect(fromAnon.status).toBe(401);
		expect(fromAnon.error).toMatchObject({ code: '42501' });
	});

	it('inserts several rows at once with representation and embeds', async () => {
		const rows = [
			{ user_id: alice.id, title: 'batch one', actor_id: bob.id },
			{ user_id: alice.id, title: 'batch two', priority: 'low' }
		];
		// By default a key missing from one object of a batch is NULL (the columns are the union of keys).
		const withNulls = await service.from('notifications').insert(rows);
		expect(withNulls.status).toBe(400);
		expect(withNulls.error).toMatchObject({ code: '23502' });
		const { data, error, status } = await service
			.from('notifications')
			.insert(rows, { defaultToNull: false })
			.select('id, title, priority, actor:profiles!actor_id(display_name)');
		expect(error).toBeNull();
		expect(status).toBe(201);
		created.push(...data!.map((r) => r.id));
		expect(data).toMatchObject([
			{ title: 'batch one', priority: 'normal', actor: { display_name: 'Bob Martinez' } },
			{ title: 'batch two', priority: 'low', actor: null }
		]);
	});

	it('the recipient marks read; others change nothing; the text cannot be rewritten', async () => {
		const id = await notify(alice.id);
		const byBob = await bob.supabase
			.from('notifications')
			.update({ read_at: new Date().toISOString() })
			.eq('id', id)
			.select();
		expect(byBob).toMatchObject({ error: null, data: [] });
		const byAnon = await anon
			.from('notifications')
			.update({ read_at: new Date().toISOString() })
			.eq('id', id);
		expect(byAnon.status).toBe(401);
		expect(
			(await sql<{ read_at: Date | null }>('select read_at from public.notifications where id = $1', [id]))[0]
				.read_at
		).toBeNull();

		const when = '2026-01-02T03:04:05+00:00';
		const marked = await alice.supabase
			.from('notifications')
			.update({ read_at: when })
			.eq('id', id)
			.select('id, read_at')
			.single();
		expect(marked).toMatchObject({ error: null, status: 200, data: { id, read_at: when } });
		const minimal = await alice.supabase.from('notifications').update({ archived_at: when }).eq('id', id);
		expect(minimal).toMatchObject({ error: null, status: 204, data: null });

		const rewrite = await alice.supabase.from('notifications').update({ title: 'rewritten' }).eq('id', id);
		expect(rewrite.status).toBe(403);
		expect(rewrite.error).toMatchObject({ code: '42501' });
		expect(
			(await sql<{ title: string }>('select title from public.notifications where id = $1', [id]))[0].title
		).toBe('rest test');
	});

	it('only the recipient deletes, and count reports what was deleted', async () => {
		const id = await notify(alice.id);
		const byBob = await bob.supabase.from('notifications').delete({ count: 'exact' }).eq('id', id);
		expect(byBob).toMatchObject({ error: null, count: 0, status: 204 });
		const byAlice = await alice.supabase
			.from('notifications')
			.delete({ count: 'exact' })
			.eq('id', id)
			.select('id');
		expect(byAlice).toMatchObject({ error: null, count: 1, data: [{ id }] });
		expect(await sql('select 1 from public.notifications where id = $1', [id])).toEqual([]);
	});

	it('upsert merges or ignores duplicates (on the primary key or on_conflict)', async () => {
		const id = await notify(alice.id, { title: 'before' });
		const merged = await service
			.from('notifications')
			.upsert({ id, user_id: alice.id, title: 'merged', category: 'system' })
			.select('id, title');
		// Only updated: 200 (201 once a row is inserted, tests/rest-writes.test.ts).
		expect(merged).toMatchObject({ error: null, status: 200, data: [{ id, title: 'merged' }] });
		const ignored = await service
			.from('notifications')
			.upsert(
				{ id, user_id: alice.id, title: 'ignored', category: 'system' },
				{ onConflict: 'id', ignoreDuplicates: true }
			)
			.select('id');
		expect(ignored).toMatchObject({ error: null, data: [] });
		expect(
			(await sql<{ title: string }>('select title from public.notifications where id = $1', [id]))[0].title
		).toBe('merged');

		const fresh = crypto.randomUUID();
		const insertedByUpsert = await service
			.from('notifications')
			.upsert({ id: fresh, user_id: bob.id, title: 'new via upsert' }, { ignoreDuplicates: true });
		expect(insertedByUpsert).toMatchObject({ error: null, status: 201 });
		created.push(fresh);
		expect(await sql('select 1 from public.notifications where id = $1', [fresh])).toHaveLength(1);
	});

	it('constraint violations come back with their SQLSTATE and status', async () => {
		const id = await notify(alice.id);
		const duplicate = await service.from('notifications').insert({ id, user_id: alice.id, title: 'dup' });
		expect(duplicate.status).toBe(409);
		expect(duplicate.error).toMatchObject({ code: '23505' });
		const badCheck = await service.from('notifications').insert({ user_id: alice.id, title: ' ' });
		expect(badCheck.status).toBe(400);
		expect(badCheck.error).toMatchObject({ code: '23514' });
		const badFk = await service
			.from('notifications')
			.insert({ user_id: alice.id, title: 'x', actor_id: crypto.randomUUID() });
		expect(badFk.status).toBe(409);
		expect(badFk.error).toMatchObject({ code: '23503' });
		const badUuid = await service.from('notifications').select('id').eq('id', 'not-a-uuid');
		expect(badUuid.status).toBe(400);
		expect(badUuid.error).toMatchObject({ code: '22P02' });
	});
});

describe('rpc', () => {
	it('unread_count() counts the caller’s unread notifications, by POST and by GET', async () => {
		const [{ n }] = await sql<{ n: number }>(
			'select count(*)::int as n from public.notifications where user_id = $1 and read_at is null and archived_at is null',
			[alice.id]
		);
		expect(await alice.supabase.rpc('unread_count')).toMatchObject({ error: null, data: n, status: 200 });
		expect(await alice.supabase.rpc('unread_count', {}, { get: true })).toMatchObject({
			error: null,
			data: n
		});
		const fromAnon = await anon.rpc('unread_count');
		expect(fromAnon.status).toBe(401);
		expect(fromAnon.error).toMatchObject({ code: '42501' });
	});

	it('mark_all_read() changes only the caller’s rows', async () => {
		const email = `rest-${Date.now()}@example.com`;
		const signup = await client().auth.signUp({ email, password: 'password123' });
		expect(signup.error).toBeNull();
		const user = signup.data.user!;
		try {
			const { supabase } = await signedIn(email);
			await notify(user.id);
			await notify(user.id);
			expect(await supabase.rpc('mark_all_read')).toMatchObject({ error: null, data: 2 });
			expect(await supabase.rpc('unread_count')).toMatchObject({ data: 0 });
			expect(await supabase.rpc('mark_all_read')).toMatchObject({ data: 0 });
		} finally {
			await service.auth.admin.deleteUser(user.id);
		}
	});

	it('an unknown function is PGRST202 (404)', async () => {
		const { error, status } = await alice.supabase.rpc('no_such_function', { a: 1 });
		expect(status).toBe(404);
		expect(error).toMatchObject({
			code: 'PGRST202',
			message: 'Could not find the function public.no_such_function(a) in the schema cache'
		});
	});
});

describe('schema cache', () => {
	it('sees tables and functions created after start (DDL reloads the cache)', async () => {
		await sql(`create table public.rest_probe (id int primary key, label text, meta jsonb);
			grant select on public.rest_probe to anon, authenticated;
			insert into public.rest_probe values (1, 'one', '{"b": 1, "a": [2]}'), (2, 'two', null);
			create function public.rest_probe_rows(min int) returns setof public.rest_probe language sql stable as $$ select * from public.rest_probe where id >= min $$;
			grant execute on function public.rest_probe_rows(int) to anon;`);
		try {
			const rows = await eventually(async () => {
				const { data } = await anon.from('rest_probe').select('label').order('id');
				return data ?? undefined;
			});
			expect(rows).toEqual([{ label: 'one' }, { label: 'two' }]);
			// Keys keep the order of `select`, and jsonb values come through as JSON.
			const res = await fetch(`${testEnv().url}/rest/v1/rest_probe?select=zeta:label,meta&id=eq.1`, {
				headers: { apikey: testEnv().anonKey }
			});
			const text = await res.text();
			expect(Object.keys(JSON.parse(text)[0])).toEqual(['zeta', 'meta']);
			expect(JSON.parse(text)).toEqual([{ zeta: 'one', meta: { b: 1, a: [2] } }]);
			const fromFn = await anon.rpc('rest_probe_rows', { min: 2 }).select('label');
			expect(fromFn).toMatchObject({ error: null, data: [{ label: 'two' }] });
		} finally {
			await sql('drop function public.rest_probe_rows(int); drop table public.rest_probe');
		}
		const gone = await eventually(async () => {
			const { error } = await anon.from('rest_probe').select('label');
			return error?.code === 'PGRST205' ? error : undefined;
		});
		expect(gone.message).toBe("Could not find the table 'public.rest_probe' in the schema cache");
	});

	it('a set-returning function runs once even when the response is counted', async () => {
		await sql(`create sequence public.rest_calls;
			create function public.rest_tick() returns table (n bigint) language sql volatile as $$ select nextval('public.rest_calls') $$;
			grant usage on sequence public.rest_calls to anon; grant execute on function public.rest_tick() to anon;`);
		try {
			const { data, count, error } = await eventually(async () => {
				const res = await anon.rpc('rest_tick', {}, { count: 'exact' }).select('n');
				return res.error?.code === 'PGRST202' ? undefined : res;
			});
			expect(error).toBeNull();
			expect(count).toBe(1);
			expect(data).toEqual([{ n: 1 }]);
			expect(await sql('select last_value from public.rest_calls')).toEqual([{ last_value: '1' }]);
		} finally {
			await sql('drop function public.rest_tick(); drop sequence public.rest_calls;');
		}
	});

	it("applies the role's own settings (ALTER ROLE ... SET), as statement_timeout is on Supabase", async () => {
		await sql(`alter role anon set app.rest_probe = 'from-role';
			create function public.rest_setting() returns text language sql stable as $$ select current_setting('app.rest_probe', true) $$;
			grant execute on function public.rest_setting() to anon;
			notify pgrst, 'reload schema';`);
		try {
			const value = await eventually(async () => {
				const { data } = await anon.rpc('rest_setting');
				return data === 'from-role' ? data : undefined;
			});
			expect(value).toBe('from-role');
			// Other roles do not get anon's settings.
			expect((await service.rpc('rest_setting')).data).not.toBe('from-role');
		} finally {
			await sql(
				`alter role anon reset app.rest_probe; drop function public.rest_setting(); notify pgrst, 'reload schema';`
			);
		}
	});

	it('a schema that is not exposed is refused with PGRST106', async () => {
		const { error, status } = await alice.supabase.schema('auth').from('users').select('id');
		expect(status).toBe(406);
		expect(error).toMatchObject({ code: 'PGRST106', message: 'Invalid schema: auth' });
	});
});
