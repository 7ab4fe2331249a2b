/**
 * Functions through supabase-js as PostgREST (v12/v13) calls them: a single unnamed parameter
 * takes the whole body, overloads are chosen by argument names (ambiguity is 300 PGRST203),
 * functions with an unnamed parameter of another type are not exposed, a function returning one
 * row answers `null` when filters leave none, and `maxAffected()` is enforced on RPC.
 */
import type { SupabaseClient } from '@supabase/supabase-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { client, closeSql, eventually, sql, testEnv } from './helpers.ts';

const anon = client();

type Item = { id: number; label: string };
/** The fixtures' types, with the PostgREST version that gives the client `maxAffected()`. */
type Db = {
	__InternalSupabase: { PostgrestVersion: '13' };
	public: {
		Tables: Record<string, never>;
		Views: Record<string, never>;
		Functions: {
			rf_purge: {
				Args: { above: number };
				Returns: Item[];
				SetofOptions: { from: '*'; to: 'rf_items'; isOneToOne: false; isSetofReturn: true };
			};
			rf_one: { Args: { item: number }; Returns: Item };
		};
		Enums: Record<string, never>;
		CompositeTypes: Record<string, never>;
	};
};
const v13 = anon as unknown as SupabaseClient<Db>;

const FIXTURES = `
create table public.rf_items (id int primary key, label text);
insert into public.rf_items values (1, 'one'), (2, 'two'), (3, 'three');
grant select, delete on public.rf_items to anon;
create function public.rf_echo(json) returns json language sql immutable as $$ select $1 $$;
create function public.rf_shout(text) returns text language sql immutable as $$ select upper($1) $$;
create function public.rf_size(bytea) returns int language sql immutable as $$ select length($1) $$;
create function public.rf_int(int) returns int language sql immutable as $$ select $1 $$;
create function public.rf_over(a int) returns text language sql immutable as $$ select 'a' $$;
create function public.rf_over(b text) returns text language sql immutable as $$ select 'b' $$;
create function public.rf_amb(a int, b int default 0) returns text language sql immutable as $$ select 'b' $$;
create function public.rf_amb(a int, c text default '') returns text language sql immutable as $$ select 'c' $$;
create function public.rf_one(item int) returns public.rf_items language sql stable as $$ select * from public.rf_items where id = item $$;
create function public.rf_purge(above int) returns setof public.rf_items language sql volatile as $$ delete from public.rf_items where id > above returning * $$;
create function public.rf_probe() returns int language sql immutable as $$ select 1 $$;
do $$
declare f regprocedure;
begin
  -- Only this file's functions: the app's own stay closed to anon (see the revoke_anon migration).
  for f in select p.oid::regprocedure from pg_proc p where p.pronamespace = 'public'::regnamespace and left(p.proname, 3) = 'rf_' loop
    execute format('grant execute on function %s to anon', f);
  end loop;
end $$;
notify pgrst, 'reload schema';
`;

beforeAll(async () => {
	await sql(FIXTURES);
	await eventually(
		async () => {
			const { error } = await anon.rpc('rf_probe');
			return error ? undefined : true;
		},
		5000,
		'the fixtures never reached the schema cache'
	);
});

afterAll(async () => {
	await sql(`drop function public.rf_echo(json), public.rf_shout(text), public.rf_size(bytea), public.rf_int(int),
		public.rf_over(int), public.rf_over(text), public.rf_amb(int, int), public.rf_amb(int, text),
		public.rf_one(int), public.rf_purge(int), public.rf_probe(); drop table public.rf_items;`);
	await closeSql();
});

const post = (fn: string, body: BodyInit, type: string) =>
	fetch(`${testEnv().url}/rest/v1/rpc/${fn}`, {
		method: 'POST',
		headers: { apikey: testEnv().anonKey, 'Content-Type': type },
		body
	});

describe('unnamed parameters', () => {
	it('a single unnamed json parameter takes the whole body', async () => {
		const { data, error, status } = await anon.rpc('rf_echo', { any: ['thing'], n: 1 });
		expect({ data, error, status }).toEqual({ data: { any: ['thing'], n: 1 }, error: null, status: 200 });
	});

	it('text, bytea take text/plain and application/octet-stream bodies', async () => {
		const text = await post('rf_shout', 'hello', 'text/plain');
		expect([text.status, await text.json()]).toEqual([200, 'HELLO']);
		const bytes = await post('rf_size', new Uint8Array([0, 1, 2, 255]), 'application/octet-stream');
		expect([bytes.status, await bytes.json()]).toEqual([200, 4]);
	});

	it('an unnamed parameter of another type is not exposed (404 PGRST202)', async () => {
		const none = await anon.rpc('rf_int');
		expect(none.status).toBe(404);
		expect(none.error).toMatchObject({
			code: 'PGRST202',
			message: 'Could not find the function public.rf_int without parameters in the schema cache',
			details:
				'Searched for the function public.rf_int without parameters or with a single unnamed json/jsonb parameter, but no matches were found in the schema cache.'
		});
	});
});

describe('overloads', () => {
	it('are chosen by the argument names', async () => {
		const [a, b, viaGet] = await Promise.all([
			anon.rpc('rf_over', { a: 1 }),
			anon.rpc('rf_over', { b: 'x' }),
			anon.rpc('rf_over', { b: 'x' }, { get: true })
		]);
		expect([a.data, b.data, viaGet.data]).toEqual(['a', 'b', 'b']);
	});

	it('a call more than one overload fits is 300 PGRST203', async () => {
		const { error, status } = await anon.rpc('rf_amb', { a: 1 });
		expect(status).toBe(300);
		expect(error).toEqual({
			code: 'PGRST203',
			message:
				'Could not choose the best candidate function between: public.rf_amb(a => integer, b => integer), public.rf_amb(a => integer, c => text)',
			details: null,
			hint: 'Try renaming the parameters or the function itself in the database so function overloading can be resolved'
		});
		const chosen = await anon.rpc('rf_amb', { a: 1, c: 'x' });
		expect(chosen.data).toBe('c');
	});
});

describe('results', () => {
	it('a function returning one row answers null (200) when filters leave none', async () => {
		const found = await anon.rpc('rf_one', { item: 2 });
		expect(found).toMatchObject({ status: 200, data: { id: 2, label: 'two' }, error: null });
		const none = await anon.rpc('rf_one', { item: 2 }).eq('label', 'nope');
		expect(none).toMatchObject({ status: 200, data: null, error: null });
	});

	it('maxAffected() rolls a set-returning call back past the limit (PGRST124)', async () => {
		const { error, status } = await v13.rpc('rf_purge', { above: 1 }).maxAffected(1);
		expect(status).toBe(400);
		expect(error).toEqual({
			code: 'PGRST124',
			message: 'Query result exceeds max-affected preference constraint',
			details: 'The query affects 2 rows',
			hint: null
		});
		expect(await sql('select id from public.rf_items order by id')).toEqual([
			{ id: 1 },
			{ id: 2 },
			{ id: 3 }
		]);
		const within = await v13.rpc('rf_purge', { above: 2 }).maxAffected(1).select('id');
		expect(within).toMatchObject({ status: 200, data: [{ id: 3 }], error: null });
		expect(await sql('select id from public.rf_items order by id')).toEqual([{ id: 1 }, { id: 2 }]);
	});

	it('maxAffected() on a function not returning a set is PGRST128', async () => {
		const { error, status } = await v13.rpc('rf_one', { item: 1 }).maxAffected(1);
		expect(status).toBe(400);
		expect(error).toMatchObject({
			code: 'PGRST128',
			message: 'Function must return SETOF or TABLE when max-affected preference is used with handling=strict'
		});
	});
});
