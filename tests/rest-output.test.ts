/**
 * Output and counts as PostgREST (v12/v13) gives them: CSV rows in Postgres' record text form
 * (quoted as Postgres quotes them), and `count: 'planned' | 'estimated'` from the planner's
 * estimate (206 with a Content-Range past the page).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { client, closeSql, eventually, sql } from './helpers.ts';

const anon = client();

beforeAll(async () => {
	await sql(`create table public.ro_items (id int primary key, label text, tags text[], note text, flag boolean);
		insert into public.ro_items values (1, 'plain', '{a,b}', null, true), (2, 'with, comma "quote"', '{}', '', false);
		create table public.ro_big (id int primary key);
		insert into public.ro_big select generate_series(1, 300);
		analyze public.ro_big;
		grant select on public.ro_items, public.ro_big to anon;
		notify pgrst, 'reload schema';`);
	await eventually(
		async () => ((await anon.from('ro_big').select('id').limit(1)).error ? undefined : true),
		5000,
		'the fixtures never reached the schema cache'
	);
});

afterAll(async () => {
	await sql('drop table public.ro_items, public.ro_big');
	await closeSql();
});

describe('CSV', () => {
	it("rows are Postgres' record text form under a header of the keys", async () => {
		const { data, error } = await anon
			.from('ro_items')
			.select('id, label, tags, note, flag')
			.order('id')
			.csv();
		expect(error).toBeNull();
		expect(data).toBe('id,label,tags,note,flag\n1,plain,"{a,b}",,t\n2,"with, comma ""quote""",{},"",f');
	});

	it('no rows is an empty header and body', async () => {
		const { data } = await anon.from('ro_items').select('id').eq('id', 99).csv();
		expect(data).toBe('\n');
	});
});

describe('planned and estimated counts', () => {
	it("count: 'planned' is the planner's estimate, 206 when it passes the page", async () => {
		const [{ 'QUERY PLAN': plan }] = await sql<{ 'QUERY PLAN': { Plan: { 'Plan Rows': number } }[] }>(
			'explain (format json) select 1 from public.ro_big where id > 100'
		);
		const estimate = plan[0].Plan['Plan Rows'];
		const { count, status, data } = await anon
			.from('ro_big')
			.select('id', { count: 'planned' })
			.gt('id', 100)
			.order('id')
			.limit(5);
		expect(data).toHaveLength(5);
		expect(count).toBe(estimate);
		expect(status).toBe(206);
	});

	it("count: 'estimated' is exact below max-rows", async () => {
		const { count, status } = await anon
			.from('ro_big')
			.select('id', { count: 'estimated' })
			.lte('id', 7)
			.limit(2);
		expect(count).toBe(7);
		expect(status).toBe(206);
	});
});
