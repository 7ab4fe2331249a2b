/**
 * REST at the HTTP level, for what supabase-js never sends: malformed bodies, unknown names, bad
 * operators, SQL smuggled into every parameter, and JWTs that must be refused. Each answer is a
 * 4xx in PostgREST's shape, and the data is left as it was.
 */
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeSql, signedIn, sql, testEnv } from './helpers.ts';

let aliceToken: string;
let fingerprint: string;

/** A cheap summary of the data the attacks aim at: it must not change. */
async function dataFingerprint(): Promise<string> {
	const rows = await sql<{ n: string; latest: Date | null; profiles: string; tables: string }>(
		`select (select count(*) from public.notifications) as n,
		        (select max(updated_at) from public.notifications) as latest,
		        (select count(*) from public.profiles) as profiles,
		        (select count(*) from pg_tables where schemaname = 'public') as tables`
	);
	return JSON.stringify(rows[0]);
}

function rest(path: string, init: RequestInit & { token?: string } = {}): Promise<Response> {
	const env = testEnv();
	const headers = new Headers(init.headers);
	headers.set('apikey', env.anonKey);
	if (!headers.has('Authorization')) headers.set('Authorization', `Bearer ${init.token ?? aliceToken}`);
	if (init.body !== undefined && !headers.has('Content-Type'))
		headers.set('Content-Type', 'application/json');
	return fetch(`${env.url}/rest/v1${path}`, { ...init, headers });
}

async function expectError(
	res: Response,
	status: number,
	code: string,
	message?: string | RegExp
): Promise<Record<string, unknown>> {
	const body = (await res.json()) as Record<string, unknown>;
	expect({ status: res.status, code: body.code }).toEqual({ status, code });
	expect(Object.keys(body).sort()).toEqual(['code', 'details', 'hint', 'message']);
	if (message instanceof RegExp) expect(body.message).toMatch(message);
	else if (message !== undefined) expect(body.message).toBe(message);
	return body;
}

function sign(claims: Record<string, unknown>, secret = testEnv().jwtSecret): Promise<string> {
	return new SignJWT(claims)
		.setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
		.sign(new TextEncoder().encode(secret));
}

beforeAll(async () => {
	aliceToken = (await signedIn('alice@example.com')).session.access_token;
	fingerprint = await dataFingerprint();
});

afterAll(async () => {
	expect(await dataFingerprint()).toBe(fingerprint);
	await closeSql();
});

describe('request errors', () => {
	it('malformed or empty JSON is PGRST102', async () => {
		await expectError(
			await rest('/notifications', { method: 'POST', body: '{"title": ' }),
			400,
			'PGRST102',
			'Empty or invalid json'
		);
		await expectError(
			await rest('/notifications?id=eq.00000000-0000-0000-0000-000000000000', { method: 'PATCH', body: '' }),
			400,
			'PGRST102'
		);
		await expectError(await rest('/notifications', { method: 'POST', body: '[1, 2]' }), 400, 'PGRST102');
	});

	it('an unknown table is PGRST205 with a suggestion; an unknown column 42703 or PGRST204', async () => {
		const table = await expectError(
			await rest('/notification'),
			404,
			'PGRST205',
			"Could not find the table 'public.notification' in the schema cache"
		);
		expect(table.hint).toBe("Perhaps you meant the table 'public.notifications'");
		await expectError(
			await rest('/notifications?select=id,nope'),
			400,
			'42703',
			'column notifications.nope does not exist'
		);
		await expectError(await rest('/notifications?nope=eq.1'), 400, '42703');
		await expectError(await rest('/notifications?order=nope.desc'), 400, '42703');
		await expectError(
			await rest('/notifications', { method: 'POST', body: JSON.stringify({ title: 'x', nope: 1 }) }),
			400,
			'PGRST204',
			"Could not find the 'nope' column of 'notifications' in the schema cache"
		);
	});

	it('bad operators, bad values for is, and unknown embeds are refused', async () => {
		const op = await expectError(
			await rest('/notifications?priority=eqq.high'),
			400,
			'PGRST100',
			'"failed to parse filter (eqq.high)" (line 1, column 1)'
		);
		expect(op.details).toMatch(/^unexpected "e" expecting operator \(eq, neq/);
		await expectError(await rest('/notifications?read_at=is.maybe'), 400, 'PGRST100');
		await expectError(await rest('/notifications?select=*,nothing(*)'), 400, 'PGRST200');
		await expectError(
			await rest('/notifications?select=id&actor.display_name=eq.x'),
			400,
			'PGRST108',
			"'actor' is not an embedded resource in this request"
		);
		await expectError(await rest('/notifications?limit=ten'), 400, 'PGRST100');
		await expectError(
			await rest('/notifications?select=count()'),
			400,
			'PGRST123',
			'Use of aggregate functions is not allowed'
		);
	});

	it('ambiguous embeds are PGRST201 (300) with the candidates', async () => {
		await sql(`create table public.rest_pair (id int primary key, a uuid references public.profiles(id), b uuid references public.profiles(id));
			grant select on public.rest_pair to authenticated;`);
		try {
			const body = await eventuallyJson(
				() => rest('/rest_pair?select=id,profiles(id)'),
				(r) => r.status === 300
			);
			expect(body.code).toBe('PGRST201');
			expect(body.details).toHaveLength(2);
			expect(body.hint).toMatch(
				/^Try changing 'profiles' to one of the following: 'profiles!rest_pair_a_fkey', 'profiles!rest_pair_b_fkey'/
			);
			const hinted = await rest('/rest_pair?select=id,profiles!b(id)');
			expect(hinted.status).toBe(200);
		} finally {
			await sql('drop table public.rest_pair');
		}
	});

	it('PATCH on an RPC, an unexposed schema and an unsupported media type', async () => {
		await expectError(
			await rest('/rpc/unread_count', { method: 'PATCH', body: '{}' }),
			405,
			'PGRST101',
			'Cannot use the PATCH method on RPC'
		);
		await expectError(
			await rest('/notifications', { headers: { 'Accept-Profile': 'auth' } }),
			406,
			'PGRST106',
			'Invalid schema: auth'
		);
		await expectError(
			await rest('/notifications', { headers: { Accept: 'application/xml' } }),
			406,
			'PGRST107'
		);
	});

	it('max-affected with handling=strict rolls back a larger update (PGRST124)', async () => {
		const res = await rest('/notifications?read_at=is.null', {
			method: 'PATCH',
			body: JSON.stringify({ archived_at: new Date().toISOString() }),
			headers: { Prefer: 'handling=strict, max-affected=1' }
		});
		const body = await expectError(
			res,
			400,
			'PGRST124',
			'Query result exceeds max-affected preference constraint'
		);
		expect(body.details).toMatch(/^The query affects \d+ rows$/);
		expect(await dataFingerprint()).toBe(fingerprint);
	});

	it('an empty batch inserts nothing; an empty PATCH changes nothing', async () => {
		const insert = await rest('/notifications', {
			method: 'POST',
			body: '[]',
			headers: { Prefer: 'return=representation' }
		});
		expect(insert.status).toBe(201);
		expect(await insert.json()).toEqual([]);
		const patch = await rest('/notifications?read_at=is.null', { method: 'PATCH', body: '{}' });
		expect(patch.status).toBe(204);
		expect(await dataFingerprint()).toBe(fingerprint);
	});

	it('an offset past the end with an exact count is 416 PGRST103', async () => {
		const res = await rest('/notifications?select=id&offset=100000&limit=1', {
			headers: { Prefer: 'count=exact' }
		});
		const body = await expectError(res, 416, 'PGRST103', 'Requested range not satisfiable');
		expect(body.details).toMatch(/^An offset of 100000 was requested, but there are only \d+ rows\.$/);
	});

	it('answers GET with Content-Range, and 206 for a partial page with a count', async () => {
		const res = await rest('/notifications?select=id&limit=2', { headers: { Prefer: 'count=exact' } });
		expect(res.status).toBe(206);
		expect(res.headers.get('content-range')).toMatch(/^0-1\/\d+$/);
		const empty = await rest('/notifications?select=id&id=eq.00000000-0000-0000-0000-000000000000', {
			headers: { Prefer: 'count=exact' }
		});
		expect(empty.headers.get('content-range')).toBe('*/0');
		expect(await empty.json()).toEqual([]);
		const plain = await rest('/profiles?select=id&limit=1');
		expect(plain.headers.get('content-range')).toBe('0-0/*');
	});
});

async function eventuallyJson(
	request: () => Promise<Response>,
	until: (r: Response) => boolean
): Promise<Record<string, unknown>> {
	const deadline = Date.now() + 5000;
	for (;;) {
		const res = await request();
		if (until(res) || Date.now() > deadline) return (await res.json()) as Record<string, unknown>;
		await res.body?.cancel();
		await new Promise((r) => setTimeout(r, 20));
	}
}

describe('injection attempts', () => {
	it('SQL in select, order, filters, on_conflict and columns is a parse error, never SQL', async () => {
		const attempts: [string, RequestInit?][] = [
			['/notifications?select=id;drop table public.profiles'],
			['/notifications?select=id,(select 1)'],
			['/notifications?select=id::text);drop table public.profiles;--'],
			['/notifications?select="id\\" from public.profiles;--"'],
			['/notifications?order=id;select 1'],
			['/notifications?order=created_at desc;drop table public.profiles'],
			['/notifications?id;drop table public.profiles=eq.1'],
			['/notifications?or=(priority.eq.high);drop table public.profiles'],
			['/notifications?select=id,profiles!actor_id;drop(id)'],
			[
				"/notifications?on_conflict=id) do update set title='x';--",
				{ method: 'POST', body: '{"title":"x"}', headers: { Prefer: 'resolution=merge-duplicates' } }
			],
			[
				'/notifications?columns="title\\"); drop table public.profiles;--"',
				{ method: 'POST', body: '[{"title":"x"}]' }
			],
			[
				'/notifications',
				{
					method: 'POST',
					body: JSON.stringify({ "title\") values ('x'); drop table public.profiles; --": 1 })
				}
			],
			['/rpc/unread_count(); drop table public.profiles; --', { method: 'POST', body: '{}' }]
		];
		for (const [path, init] of attempts) {
			const res = await rest(path.replaceAll(' ', '%20').replaceAll('"', '%22'), init);
			expect(res.status, path).toBeGreaterThanOrEqual(400);
			expect(res.status, path).toBeLessThan(500);
			const body = (await res.json()) as Record<string, unknown>;
			expect(typeof body.message, path).toBe('string');
		}
		// The values reached Postgres only as parameters: the filter matched nothing and nothing was dropped.
		expect(await sql("select to_regclass('public.profiles') is not null as ok")).toEqual([{ ok: true }]);
		expect(await dataFingerprint()).toBe(fingerprint);
	});

	it('SQL in a value is just a value', async () => {
		const res = await rest(`/notifications?select=id&title=eq.${encodeURIComponent("x' or '1'='1")}`);
		expect(res.status).toBe(200);
		expect(await res.json()).toEqual([]);
		const filter = await rest(
			`/notifications?select=id&priority=eq.${encodeURIComponent("high');drop table public.profiles;--")}`
		);
		expect(await filter.json()).toEqual([]);
		const del = await rest(
			`/notifications?priority=in.(${encodeURIComponent('nothing,"x\'); drop table public.profiles; --")')}`,
			{
				method: 'DELETE',
				headers: { Prefer: 'count=exact' }
			}
		);
		expect(del.status).toBe(204);
		expect(del.headers.get('content-range')).toBe('*/0');
		expect(await dataFingerprint()).toBe(fingerprint);
	});
});

describe('JWTs', () => {
	it('an expired token is 401 PGRST303 with WWW-Authenticate', async () => {
		const expired = await sign({
			sub: crypto.randomUUID(),
			role: 'authenticated',
			exp: Math.floor(Date.now() / 1000) - 60
		});
		const res = await rest('/notifications', { token: expired });
		await expectError(res, 401, 'PGRST303', 'JWT expired');
		expect(res.headers.get('www-authenticate')).toBe(
			'Bearer error="invalid_token", error_description="JWT expired"'
		);
	});

	it('a token signed with another secret, alg none or garbage is 401 PGRST301', async () => {
		const forged = await sign(
			{ role: 'service_role', exp: Math.floor(Date.now() / 1000) + 60 },
			'not-the-secret-not-the-secret-not-the-secret'
		);
		await expectError(await rest('/notifications', { token: forged }), 401, 'PGRST301');
		const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
		const none = `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ role: 'service_role' })}.`;
		await expectError(await rest('/notifications', { token: none }), 401, 'PGRST301');
		await expectError(
			await rest('/notifications', { token: 'garbage' }),
			401,
			'PGRST301',
			'Expected 3 parts in JWT; got 1'
		);
	});

	it('a valid token whose role is not an API role is refused', async () => {
		const exp = Math.floor(Date.now() / 1000) + 60;
		const asPostgres = await sign({ role: 'postgres', exp });
		await expectError(
			await rest('/notifications', { token: asPostgres }),
			403,
			'42501',
			'permission denied to set role "postgres"'
		);
		const unknown = await sign({ role: 'wizard', exp });
		await expectError(
			await rest('/notifications', { token: unknown }),
			401,
			'22023',
			'role "wizard" does not exist'
		);
		const deleteAll = await rest('/notifications?id=not.is.null', { token: asPostgres, method: 'DELETE' });
		expect(deleteAll.status).toBe(403);
	});

	it('a service_role JWT bypasses RLS; a token without a role runs as anon', async () => {
		const exp = Math.floor(Date.now() / 1000) + 60;
		const service = await rest('/notifications?select=id', {
			token: await sign({ role: 'service_role', exp }),
			headers: { Prefer: 'count=exact' }
		});
		const [{ n }] = await sql<{ n: string }>('select count(*) as n from public.notifications');
		expect(service.headers.get('content-range')).toMatch(new RegExp(`/${n}$`));
		// Anon holds no privilege on public tables (20261202000100_revoke_anon): 401 42501, as for anon.
		const noRole = await rest('/profiles?select=id', { token: await sign({ exp }) });
		expect(noRole.status).toBe(401);
		expect(await noRole.json()).toMatchObject({ code: '42501' });
	});
});
