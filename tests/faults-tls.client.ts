/**
 * The client half of tests/faults-tls.test.ts, run as its own process so that NODE_EXTRA_CA_CERTS
 * (read only at start) makes Node trust the test's self-signed certificate: supabase-js signs in,
 * reads through REST and receives a postgres change over wss. Prints one JSON line.
 */
import { createClient } from '@supabase/supabase-js';
import pg from 'pg';
import WebSocket from 'ws';

const { SUPABASE_URL, SUPABASE_ANON_KEY, SUPABASE_DB_URL } = process.env as Record<string, string>;

async function main(): Promise<Record<string, unknown>> {
	const supabase = createClient(SUPABASE_URL, SUPABASE_ANON_KEY, {
		auth: { persistSession: false, autoRefreshToken: false },
		realtime: { transport: WebSocket as never }
	});
	const { data: auth, error: signInError } = await supabase.auth.signInWithPassword({
		email: 'alice@example.com',
		password: 'password123'
	});
	if (signInError) throw signInError;
	const alice = auth.user!.id;
	const { data: rows, error: restError } = await supabase.from('notifications').select('id').limit(1);
	if (restError) throw restError;

	const received = new Promise<string>((resolve, reject) => {
		const timer = setTimeout(() => reject(new Error('no change over wss within 20 s')), 20_000);
		const channel = supabase
			.channel('tls')
			.on(
				'postgres_changes',
				{ event: 'INSERT', schema: 'public', table: 'notifications', filter: `user_id=eq.${alice}` },
				(payload) => {
					clearTimeout(timer);
					resolve(String((payload.new as { title: string }).title));
				}
			);
		channel.on('system', {}, async (payload: { extension?: string; status?: string }) => {
			if (payload.extension !== 'postgres_changes' || payload.status !== 'ok') return;
			const db = new pg.Client({ connectionString: SUPABASE_DB_URL });
			await db.connect();
			await db.query(
				`insert into notifications (user_id, category, title) values ($1, 'system', 'over wss')`,
				[alice]
			);
			await db.end();
		});
		channel.subscribe();
	});
	const title = await received;
	await supabase.removeAllChannels();
	return { signedIn: true, restRows: rows.length, realtime: title };
}

main().then(
	(result) => {
		console.log(JSON.stringify(result));
		process.exit(0);
	},
	(error: unknown) => {
		console.log(JSON.stringify({ error: String((error as Error)?.message ?? error) }));
		process.exit(1);
	}
);
