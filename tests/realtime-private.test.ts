/**
 * Private channels authorized by RLS on realtime.messages (read policy to join, insert policy to
 * send), and broadcast from the database with realtime.send / realtime.broadcast_changes.
 * Each test creates its policies for its own topic and drops them afterwards.
 */
import { randomUUID } from 'node:crypto';
import type { RealtimeChannel } from '@supabase/supabase-js';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { client, type Client, clientPool, closeSql, joinOutcome, signedIn, sql, testEnv } from './helpers.ts';

const pool = clientPool();
const cleanup: string[] = [];

afterEach(async () => {
	await pool.removeChannels();
	for (const statement of cleanup.splice(0).reverse()) await sql(statement);
});
afterAll(() => closeSql());

async function user(email: string): Promise<Client> {
	const { supabase } = await signedIn(email);
	pool.add(supabase);
	return supabase;
}

function anon(): Client {
	const supabase = client(testEnv().anonKey);
	pool.add(supabase);
	return supabase;
}

/** Topics are UUID-based, so they are safe to splice into policy DDL. */
const newTopic = () => `private-${randomUUID()}`;

async function policy(topic: string, command: 'select' | 'insert'): Promise<void> {
	const name = `rt ${command} ${topic}`;
	const rule =
		command === 'select'
			? `using (realtime.topic() = '${topic}')`
			: `with check (realtime.topic() = '${topic}' and realtime.messages.extension = 'broadcast')`;
	await sql(`create policy "${name}" on realtime.messages for ${command} to authenticated ${rule}`);
	cleanup.push(`drop policy if exists "${name}" on realtime.messages`);
}

function next(channel: RealtimeChannel, event: string): Promise<Record<string, unknown>> {
	return new Promise((resolve) => channel.on('broadcast', { event }, (payload) => resolve(payload)));
}

const privately = { config: { private: true } };

describe('private channels', () => {
	it('refuses a join the read policy does not allow, with Supabase words', async () => {
		const topic = newTopic();
		const alice = await user('alice@example.com');
		expect(await joinOutcome(alice.channel(topic, privately))).toEqual({
			status: 'CHANNEL_ERROR',
			message: `Unauthorized: You do not have permissions to read from this Channel topic: ${topic}`
		});
	});

	it('lets in whom the read policy allows, and only them', async () => {
		const topic = newTopic();
		await policy(topic, 'select');
		const alice = await user('alice@example.com');
		expect(await joinOutcome(alice.channel(topic, privately))).toEqual({ status: 'SUBSCRIBED' });
		const refused = await joinOutcome(anon().channel(topic, privately));
		expect(refused.status).toBe('CHANNEL_ERROR');
	});

	it('delivers what a member sends only under an insert policy', async () => {
		const topic = newTopic();
		await policy(topic, 'select');
		const sender = (await user('alice@example.com')).channel(topic, {
			config: { private: true, broadcast: { ack: true } }
		});
		const receiver = (await user('bob@example.com')).channel(topic, privately);
		await Promise.all([joinOutcome(sender), joinOutcome(receiver)]);
		// Without an insert policy the server drops the message: no ack ever comes.
		expect(await sender.send({ type: 'broadcast', event: 'note', payload: {} }, { timeout: 1000 })).toBe(
			'timed out'
		);

		await policy(topic, 'insert');
		const sender2 = (await user('carol@example.com')).channel(topic, {
			config: { private: true, broadcast: { ack: true } }
		});
		expect(await joinOutcome(sender2)).toEqual({ status: 'SUBSCRIBED' });
		const received = next(receiver, 'note');
		expect(await sender2.send({ type: 'broadcast', event: 'note', payload: { from: 'carol' } })).toBe('ok');
		expect((await received).payload).toEqual({ from: 'carol' });
	});
});

describe('broadcast from the database', () => {
	it('relays realtime.send to private and public subscribers', async () => {
		const topic = newTopic();
		await policy(topic, 'select');
		const member = (await user('alice@example.com')).channel(topic, privately);
		const publicMember = anon().channel(topic);
		await Promise.all([joinOutcome(member), joinOutcome(publicMember)]);

		const privateMessage = next(member, 'db-private');
		const publicMessage = next(publicMember, 'db-public');
		await sql(`select realtime.send($1::jsonb, 'db-private', $2, true)`, [JSON.stringify({ n: 1 }), topic]);
		await sql(`select realtime.send($1::jsonb, 'db-public', $2, false)`, [JSON.stringify({ n: 2 }), topic]);

		const got = await privateMessage;
		expect(got).toMatchObject({ type: 'broadcast', event: 'db-private', payload: { n: 1 } });
		expect(typeof (got.payload as { id?: unknown }).id).toBe('string');
		expect((await publicMessage).payload).toMatchObject({ n: 2 });
	});

	it('relays row changes sent by a trigger with realtime.broadcast_changes', async () => {
		const topic = newTopic();
		const table = `rt_items_${randomUUID().replace(/-/g, '')}`;
		await policy(topic, 'select');
		await sql(`create table public.${table} (id int primary key, title text)`);
		cleanup.push(`drop table if exists public.${table}`);
		await sql(`create function public.${table}_changes() returns trigger language plpgsql as $$
			begin
				perform realtime.broadcast_changes('${topic}', tg_op, tg_op, tg_table_name, tg_table_schema, new, old);
				return null;
			end $$`);
		cleanup.push(`drop function if exists public.${table}_changes() cascade`);
		await sql(`create trigger changes after insert or update or delete on public.${table}
			for each row execute function public.${table}_changes()`);

		const member = (await user('alice@example.com')).channel(topic, privately);
		await joinOutcome(member);
		const inserted = next(member, 'INSERT');
		await sql(`insert into public.${table} (id, title) values (1, 'first')`);
		expect((await inserted).payload).toMatchObject({
			operation: 'INSERT',
			schema: 'public',
			table,
			record: { id: 1, title: 'first' },
			old_record: null
		});
	});
});
