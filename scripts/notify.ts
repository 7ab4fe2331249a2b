/**
 * `npm run notify -- --to bob@example.com --title "Deploy finished" [--body ...] [--category deploy]
 *  [--priority urgent] [--url https://...] [--from alice@example.com]`
 *
 * Inserts a notification with the service key through supabase-js (as a backend would), so the
 * recipient's dashboard shows it live. `--to everyone` notifies every user.
 * Reads SUPABASE_URL (or PUBLIC_SUPABASE_URL) and SUPABASE_SERVICE_ROLE_KEY (or SUPABASE_SECRET_KEY);
 * against the local stack (127.0.0.1:54321) the CLI's well-known local service key is the default.
 */
import { parseArgs } from 'node:util';
import { createClient, type SupabaseClient } from '@supabase/supabase-js';
import WebSocket from 'ws';

const LOCAL_URL = 'http://127.0.0.1:54321';
const LOCAL_SECRET_KEY = 'sb_secret_N7UND0UgjKTVK-Uodkm0Hg_xSvEMPvz';
const CATEGORIES = ['message', 'mention', 'comment', 'deploy', 'security', 'billing', 'system'];
const PRIORITIES = ['low', 'normal', 'high', 'urgent'];
const USAGE = `Usage: npm run notify -- --to <email|user id|everyone> --title <text> [--body <text>]
       [--category ${CATEGORIES.join('|')}] [--priority ${PRIORITIES.join('|')}] [--url <https://...|/path>] [--from <email>]`;

function fail(message: string): never {
	console.error(`${message}\n\n${USAGE}`);
	process.exit(1);
}

function settings(): { url: string; key: string } {
	const url = process.env.SUPABASE_URL || process.env.PUBLIC_SUPABASE_URL || LOCAL_URL;
	const isLocal = /^https?:\/\/(127\.0\.0\.1|localhost)(:\d+)?\/?$/.test(url);
	const key =
		process.env.SUPABASE_SERVICE_ROLE_KEY ||
		process.env.SUPABASE_SECRET_KEY ||
		(isLocal ? LOCAL_SECRET_KEY : '');
	if (!key) {
		fail(
			`SUPABASE_SERVICE_ROLE_KEY (or SUPABASE_SECRET_KEY) is not set: it is needed to notify users on ${url}.`
		);
	}
	return { url, key };
}

async function findUserIds(supabase: SupabaseClient, who: string): Promise<string[]> {
	if (/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(who)) return [who];
	const ids: string[] = [];
	for (let page = 1; ; page++) {
		const { data, error } = await supabase.auth.admin.listUsers({ page, perPage: 1000 });
		if (error) throw new Error(`Could not list users: ${error.message}`);
		for (const user of data.users) {
			if (who === 'everyone' || user.email?.toLowerCase() === who.toLowerCase()) ids.push(user.id);
		}
		if (data.users.length < 1000 || (who !== 'everyone' && ids.length > 0)) break;
	}
	return ids;
}

async function main() {
	const { values } = parseArgs({
		options: {
			to: { type: 'string' },
			title: { type: 'string' },
			body: { type: 'string' },
			category: { type: 'string', default: 'message' },
			priority: { type: 'string', default: 'normal' },
			url: { type: 'string' },
			from: { type: 'string' },
			help: { type: 'boolean', short: 'h' }
		}
	});
	if (values.help) {
		console.log(USAGE);
		return;
	}
	if (!values.to) fail('Say who gets it with --to.');
	if (!values.title?.trim()) fail('Give it a title with --title.');
	if (!CATEGORIES.includes(values.category!)) fail(`--category must be one of ${CATEGORIES.join(', ')}.`);
	if (!PRIORITIES.includes(values.priority!)) fail(`--priority must be one of ${PRIORITIES.join(', ')}.`);

	const { url, key } = settings();
	const supabase = createClient(url, key, {
		auth: { persistSession: false, autoRefreshToken: false },
		// Node 20 has no global WebSocket; supabase-js wants one even though this script never subscribes.
		realtime: { transport: WebSocket as unknown as typeof globalThis.WebSocket }
	});

	const recipients = await findUserIds(supabase, values.to);
	if (recipients.length === 0) fail(`Nobody found for --to ${values.to}.`);
	const actor = values.from ? (await findUserIds(supabase, values.from))[0] : null;
	if (values.from && !actor) fail(`Nobody found for --from ${values.from}.`);

	const rows = recipients.map((user_id) => ({
		user_id,
		actor_id: actor,
		title: values.title!.trim(),
		body: values.body ?? null,
		category: values.category,
		priority: values.priority,
		url: values.url ?? null
	}));
	const { data, error } = await supabase.from('notifications').insert(rows).select('id');
	if (error) {
		const hint =
			error.code === '23514'
				? ' (a check failed: links must be http(s) or start with /, titles 1-200 characters)'
				: '';
		fail(`The notification was refused: ${error.message}${hint}`);
	}
	console.log(
		`Sent "${values.title}" to ${recipients.length === 1 ? values.to : `${recipients.length} people`} (${data.map((r) => r.id).join(', ')}).`
	);
}

main().catch((error: unknown) => {
	console.error(error instanceof Error ? error.message : error);
	process.exit(1);
});
