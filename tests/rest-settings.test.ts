/**
 * REST settings that Supabase leaves at PostgREST's defaults, on a stack of its own:
 * aggregates (`count()`, `sum()`, `avg()`, `min()`, `max()` with grouping) once
 * STACK_REST_DB_AGGREGATES_ENABLED is on (the shared stack refuses them with PGRST123, as
 * Supabase does), and STACK_REST_DB_TX_END=commit, where `Prefer: tx=rollback` is ignored.
 */
import { createClient } from '@supabase/supabase-js';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { client, eventually } from './helpers.ts';
import { startTestStack, type TestStack } from './setup/stack.ts';

let test: TestStack;
let db: pg.Client;
let own: ReturnType<typeof client>;

beforeAll(async () => {
	test = await startTestStack({ STACK_REST_DB_AGGREGATES_ENABLED: 'true', STACK_REST_DB_TX_END: 'commit' });
	db = new pg.Client({ connectionString: test.env.SUPABASE_DB_URL });
	await db.connect();
	await db.query(`create table public.ra_sales (id int primary key, region text, amount int);
		insert into public.ra_sales values (1, 'north', 10), (2, 'north', 30), (3, 'south', 5);
		grant select, insert on public.ra_sales to anon;
		notify pgrst, 'reload schema';`);
	own = createClient(test.env.SUPABASE_URL, test.env.SUPABASE_ANON_KEY, {
		auth: { persistSession: false },
		realtime: { transport: WebSocket as never }
	});
	await eventually(
		async () => ((await own.from('ra_sales').select('id').limit(1)).error ? undefined : true),
		5000,
		'ra_sales never reached the schema cache'
	);
}, 60_000);

afterAll(async () => {
	await db?.end();
	await test?.dispose();
});

describe('aggregates (db-aggregates-enabled)', () => {
	it('are refused on the shared stack as on Supabase (PGRST123)', async () => {
		const { error, status } = await client().from('profiles').select('count()');
		expect(status).toBe(400);
		expect(error).toEqual({
			code: 'PGRST123',
			message: 'Use of aggregate functions is not allowed',
			details: null,
			hint: null
		});
	});

	it('count(), sum(), avg(), min(), max() over all rows, and grouped by the other columns', async () => {
		const all = await own.from('ra_sales').select('count(), amount.sum(), amount.max(), amount.min()');
		expect(all).toMatchObject({ error: null, data: [{ count: 3, sum: 45, max: 30, min: 5 }] });
		const grouped = await own
			.from('ra_sales')
			.select('region, total:amount.sum(), amount.avg()::int, count()')
			.order('region');
		expect(grouped.error).toBeNull();
		expect(grouped.data).toEqual([
			{ region: 'north', total: 40, avg: 20, count: 2 },
			{ region: 'south', total: 5, avg: 5, count: 1 }
		]);
	});
});

describe('db-tx-end=commit', () => {
	it('ignores Prefer: tx=rollback (not in Preference-Applied) and commits', async () => {
		const res = await fetch(`${test.env.SUPABASE_URL}/rest/v1/ra_sales`, {
			method: 'POST',
			headers: {
				apikey: test.env.SUPABASE_ANON_KEY,
				'Content-Type': 'application/json',
				Prefer: 'return=minimal, tx=rollback'
			},
			body: JSON.stringify({ id: 9, region: 'west', amount: 1 })
		});
		expect(res.status).toBe(201);
		expect(res.headers.get('preference-applied')).toBe('return=minimal');
		const { rows } = await db.query('select region from public.ra_sales where id = 9');
		expect(rows).toEqual([{ region: 'west' }]);
	});
});
