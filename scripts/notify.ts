/**
 * `npm run notify -- --to bob@example.com --title "Deploy finished" [--body ...] [--category deploy]
 *  [--priority urgent] [--url https://...] [--from alice@example.com] [--action Approve]
 *  [--action "Open=https://ci.example.com/482"] [--group doc:q3-roadmap --subject "Q3 roadmap"]`
 *
 * Inserts a notification with the service key through supabase-js (as a backend would), so the
 * recipient's dashboard shows it live. `--to everyone` notifies every user.
 * Reads SUPABASE_URL (or PUBLIC_SUPABASE_URL) and SUPABASE_SERVICE_ROLE_KEY (or SUPABASE_SECRET_KEY);
 * without them it talks to the local stack (STACK_API_PORT, default 54321) with the CLI's well-known
 * local service key.
 */
import { parseArgs } from 'node:util';
import { createClient, type SupabaseClient } from '@supabase/supabase-js';
import WebSocket from 'ws';
import { loadConfig } from '../stack/config.ts';
import { LOCAL_KEYS } from '../stack/keys.ts';
import type { Database } from '../src/lib/database.types.ts';
import { CATEGORIES, PRIORITIES } from '../src/lib/types.ts';

const USAGE = `Usage: npm run notify -- --to <email|user id|everyone> --title <text> [--body <text>]
       [--category ${CATEGORIES.join('|')}] [--priority ${PRIORITIES.join('|')}] [--url <https://...|/path>] [--from <email>]
       [--action <Label>[=<https://...>]] (up to two: a button, or a link with =url) [--group <key>] [--subject <text>]`;

function fail(message: string): never {
	console.error(`${message}\n\n${USAGE}`);
	process.exit(1);
}

function settings(): { url: string; key: string } {
	const url = process.env.SUPABASE_URL || process.env.PUBLIC_SUPABASE_URL || loadConfig().apiUrl;
	const isLocal = /^https?:\/\/(127\.0\.0\.1|localhost)(:\d+)?\/?$/.test(url);
	const key =
		process.env.SUPABASE_SERVICE_ROLE_KEY ||
		process.env.SUPABASE_SECRET_KEY ||
		(isLocal ? LOCAL_KEYS.secret : '');
	if (!key) {
		fail(
			`SUPABASE_SERVICE_ROLE_KEY (or SUPABASE_SECRET_KEY) is not set: it is needed to notify users on ${url}.`
		);
	}
	return { url, key };
}

async function findUserIds(supabase: SupabaseClient<Database>, who: string): Promise<string[]> {
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

/** Names the URL when the server cannot be reached at all (supabase-js says only "fetch failed"). */
async function reachable<T>(url: string, request: Promise<T>): Promise<T> {
	try {
		return await request;
	} catch (error) {
		if (/fetch failed/i.test((error as Error).message)) {
			fail(
				`Could not connect to ${url}. Start the local stack (npm run dev or npm run stack), ` +
					'or set SUPABASE_URL (and STACK_API_PORT for a local stack on another port).'
			);
		}
		throw error;
	}
}

/** `Approve` is a button (the first one primary); `Open=https://...` a link. The key comes from the label. */
function parseAction(spec: string, index: number) {
	const at = spec.indexOf('=');
	const label = (at < 0 ? spec : spec.slice(0, at)).trim();
	const link = at < 0 ? null : spec.slice(at + 1).trim();
	const key = label
		.toLowerCase()
		.replace(/[^a-z0-9]+/g, '-')
		.replace(/^-+|-+$/g, '')
		.slice(0, 32);
	if (!label || label.length > 24) fail(`--action "${spec}": the label must be 1-24 characters.`);
	if (!/^[a-z]/.test(key)) fail(`--action "${spec}": the label must start with a letter.`);
	if (link === null) return { key, label, kind: index === 0 ? 'primary' : 'secondary' };
	if (!/^https?:\/\/[^/\\\s]/i.test(link)) fail(`--action "${spec}": a link must be an http(s) URL.`);
	return { key, label, kind: 'link', url: link };
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
			action: { type: 'string', multiple: true },
			group: { type: 'string' },
			subject: { type: 'string' },
			help: { type: 'boolean', short: 'h' }
		}
	});
	if (values.help) {
		console.log(USAGE);
		return;
	}
	if (!values.to) fail('Say who gets it with --to.');
	if (!values.title?.trim()) fail('Give it a title with --title.');
	const category = CATEGORIES.find((c) => c === values.category);
	if (!category) fail(`--category must be one of ${CATEGORIES.join(', ')}.`);
	const priority = PRIORITIES.find((p) => p === values.priority);
	if (!priority) fail(`--priority must be one of ${PRIORITIES.join(', ')}.`);

	const actions = (values.action ?? []).map((spec, i) => parseAction(spec, i));
	if (actions.length > 2) fail('A notification offers at most two actions (--action).');

	const { url, key } = settings();
	const supabase = createClient<Database>(url, key, {
		auth: { persistSession: false, autoRefreshToken: false },
		// Node 20 has no global WebSocket; supabase-js wants one even though this script never subscribes.
		realtime: { transport: WebSocket as unknown as typeof globalThis.WebSocket }
	});

	const recipients = await reachable(url, findUserIds(supabase, values.to));
	if (recipients.length === 0) fail(`Nobody found for --to ${values.to}.`);
	const actor = values.from ? (await findUserIds(supabase, values.from))[0] : null;
	if (values.from && !actor) fail(`Nobody found for --from ${values.from}.`);

	const rows = recipients.map((user_id) => ({
		user_id,
		actor_id: actor,
		title: values.title!.trim(),
		body: values.body ?? null,
		category,
		priority,
		url: values.url ?? null,
		actions: actions.length ? actions : null,
		group_key: values.group ?? null,
		subject: values.subject ?? null
	}));
	const { data, error } = await supabase.from('notifications').insert(rows).select('id');
	if (error) {
		const hint =
			error.code === '23514'
				? ' (a check failed: links must be http(s) or start with /, titles 1-200 characters, action labels 1-24)'
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
