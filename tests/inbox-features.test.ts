/**
 * Actions and snooze under RLS, through the public API as the app uses it: a recipient records the
 * action they took once, on their own rows only, and cannot touch anything else on the way; the
 * `actions` a sender attaches are checked by the schema; snoozed rows leave the unread count.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeSql, serviceClient, signedIn, sql, testEnv } from './helpers';

type Signed = Awaited<ReturnType<typeof signedIn>>;
/** A recipient of their own (the file marks everything read), and another signed-in user. */
let alice: Signed;
let bob: Signed;

async function freshUser(): Promise<Signed> {
	const email = `actions-${Date.now()}-${Math.random().toString(36).slice(2, 8)}@example.com`;
	const { error } = await serviceClient().auth.admin.createUser({
		email,
		password: 'password123',
		email_confirm: true
	});
	if (error) throw error;
	return signedIn(email);
}

const ACTIONS = [
	{ key: 'approve', label: 'Approve', kind: 'primary' },
	{ key: 'open', label: 'Open', kind: 'link', url: 'https://ci.example.com/482' }
];

async function notifyAlice(fields: Record<string, unknown> = {}): Promise<string> {
	const [row] = await sql<{ id: string }>(
		`insert into public.notifications (user_id, title, actions, snoozed_until)
		 values ($1, $2, $3, $4) returning id`,
		[
			alice.user.id,
			'Approve the deploy',
			JSON.stringify(fields.actions ?? ACTIONS),
			fields.snoozed_until ?? null
		]
	);
	return row.id;
}

async function stored(id: string) {
	const [row] = await sql<{ action_taken: string | null; action_taken_at: Date | null; title: string }>(
		'select action_taken, action_taken_at, title from public.notifications where id = $1',
		[id]
	);
	return row;
}

beforeAll(async () => {
	[alice, bob] = await Promise.all([freshUser(), signedIn('bob@example.com')]);
});
afterAll(() => closeSql());

describe('notification actions', () => {
	it('the recipient takes one offered action, once; the time is the database’s', async () => {
		const id = await notifyAlice();
		const { data, error } = await alice.supabase
			.from('notifications')
			.update({ action_taken: 'approve' })
			.eq('id', id)
			.select('action_taken, action_taken_at');
		expect(error).toBeNull();
		expect(data).toEqual([{ action_taken: 'approve', action_taken_at: expect.any(String) }]);

		const again = await alice.supabase.from('notifications').update({ action_taken: 'open' }).eq('id', id);
		expect(again.error?.code).toBe('P0001');
		expect(again.error?.message).toBe('An action was already taken on this notification');
		expect((await stored(id)).action_taken).toBe('approve');
	});

	it('only an action the row offers can be taken', async () => {
		const id = await notifyAlice();
		const { error } = await alice.supabase
			.from('notifications')
			.update({ action_taken: 'delete' })
			.eq('id', id);
		expect(error?.code).toBe('23514');
		expect(error?.message).toContain('notifications_action_taken_offered');
	});

	it('nobody takes an action on someone else’s row', async () => {
		const id = await notifyAlice();
		const { data, error } = await bob.supabase
			.from('notifications')
			.update({ action_taken: 'approve' })
			.eq('id', id)
			.select('id');
		expect(error).toBeNull();
		expect(data).toEqual([]);
		expect((await stored(id)).action_taken).toBeNull();
	});

	it('the action path changes nothing else: not the text, the actions offered, nor the time taken', async () => {
		const id = await notifyAlice();
		for (const fields of [
			{ action_taken: 'approve', title: 'Approved by nobody' },
			{ action_taken: 'approve', actions: [{ key: 'x', label: 'X', kind: 'primary' }] },
			{ action_taken_at: '2020-01-01T00:00:00Z' }
		]) {
			const { error } = await alice.supabase.from('notifications').update(fields).eq('id', id);
			expect(error?.code, JSON.stringify(fields)).toBe('42501');
		}
		expect(await stored(id)).toEqual({
			action_taken: null,
			action_taken_at: null,
			title: 'Approve the deploy'
		});
	});

	it('the schema refuses actions that are not one or two short, well-formed buttons or http(s) links', async () => {
		const bad: unknown[] = [
			[],
			[...ACTIONS, { key: 'third', label: 'Third', kind: 'primary' }],
			[{ key: 'a', label: 'A label far longer than twenty-four characters', kind: 'primary' }],
			[{ key: 'a', label: ' ', kind: 'primary' }],
			[{ key: 'open', label: 'Open', kind: 'link' }],
			[{ key: 'open', label: 'Open', kind: 'link', url: 'javascript:alert(1)' }],
			[{ key: 'open', label: 'Open', kind: 'link', url: '/relative' }],
			[{ key: 'ok', label: 'OK', kind: 'primary', url: 'https://example.com' }],
			[{ key: 'ok', label: 'OK', kind: 'danger' }],
			[{ key: 'ok', label: 'OK', kind: 'primary', extra: 1 }],
			[{ key: 'Bad Key', label: 'OK', kind: 'primary' }],
			[
				{ key: 'ok', label: 'OK', kind: 'primary' },
				{ key: 'ok', label: 'Again', kind: 'secondary' }
			],
			{ key: 'ok', label: 'OK', kind: 'primary' },
			['ok'],
			[{ key: 1, label: 'OK', kind: 'primary' }]
		];
		for (const actions of bad) {
			await expect(notifyAlice({ actions }), JSON.stringify(actions)).rejects.toThrow(
				/notifications_actions_format/
			);
		}
	});
});

describe('snooze', () => {
	it('the recipient snoozes their own rows; a snoozed row is not unread until it comes back', async () => {
		const { data: before } = await alice.supabase.rpc('unread_count');
		const id = await notifyAlice();
		const later = new Date(Date.now() + 3600_000).toISOString();

		const byBob = await bob.supabase
			.from('notifications')
			.update({ snoozed_until: later })
			.eq('id', id)
			.select('id');
		expect(byBob.data).toEqual([]);

		const { error } = await alice.supabase
			.from('notifications')
			.update({ snoozed_until: later })
			.eq('id', id);
		expect(error).toBeNull();
		expect((await alice.supabase.rpc('unread_count')).data).toBe(before);

		// "Mark all read" leaves it alone: it comes back unread.
		await alice.supabase.rpc('mark_all_read');
		const [row] = await sql<{ read_at: Date | null }>(
			'select read_at from public.notifications where id = $1',
			[id]
		);
		expect(row.read_at).toBeNull();

		await sql(`update public.notifications set snoozed_until = now() - interval '1 second' where id = $1`, [
			id
		]);
		expect((await alice.supabase.rpc('unread_count')).data).toBe(1);
	});
});

describe('npm run notify', () => {
	it('sends up to two actions and a group', { timeout: 60_000 }, async () => {
		const { url, serviceKey } = testEnv();
		const { stdout } = await promisify(execFile)(
			process.execPath,
			[
				'--import',
				'tsx',
				'scripts/notify.ts',
				'--to',
				alice.user.id,
				'--title',
				'Approve the deploy',
				'--action',
				'Approve',
				'--action',
				'View run=https://ci.example.com/483',
				'--group',
				'deploy:483',
				'--subject',
				'deploy #483'
			],
			{ env: { ...process.env, SUPABASE_URL: url, SUPABASE_SERVICE_ROLE_KEY: serviceKey } }
		);
		const id = /\(([0-9a-f-]{36})\)/.exec(stdout)?.[1];
		const [row] = await sql('select actions, group_key, subject from public.notifications where id = $1', [
			id
		]);
		expect(row).toEqual({
			actions: [
				{ key: 'approve', label: 'Approve', kind: 'primary' },
				{ key: 'view-run', label: 'View run', kind: 'link', url: 'https://ci.example.com/483' }
			],
			group_key: 'deploy:483',
			subject: 'deploy #483'
		});
	});
});
