/**
 * What the fuzz suites (tests/fuzz-*.test.ts) share: the seed and run counts, a throwaway
 * signed-in actor, a checksum of the data, and a bystander's latency.
 *
 * FUZZ_SEED picks the seed (a fixed one by default, printed, so a failure can be replayed) and
 * FUZZ_RUNS scales every suite's number of cases (1 = the default ~10,000 cases in total).
 */
import type fc from 'fast-check';
import { testEnv, DEMO_PASSWORD, sql } from './helpers.ts';

export const FUZZ_SEED = Number(process.env.FUZZ_SEED ?? 20261202);
const SCALE = Number(process.env.FUZZ_RUNS ?? 1);

/** The number of fast-check runs for a suite whose default share is `base`. */
export function runs(base: number): number {
	return Math.max(1, Math.round(base * SCALE));
}

export function fuzzParams(name: string, numRuns: number) {
	console.log(`${name}: seed ${FUZZ_SEED} (FUZZ_SEED), ${numRuns} runs (FUZZ_RUNS scales)`);
	return {
		seed: FUZZ_SEED,
		numRuns,
		endOnFailure: true,
		// fast-check's own report prints the whole counterexample (megabytes for the huge cases):
		// report the failing check's message, clipped, with what replays it.
		asyncReporter: async (details: fc.RunDetails<unknown>) => {
			if (!details.failed) return;
			const cause =
				details.errorInstance instanceof Error
					? details.errorInstance.message
					: String(details.errorInstance);
			throw new Error(
				`${name} failed (replay: FUZZ_SEED=${details.seed}, path ${details.counterexamplePath}): ${cause.slice(0, 4000)}`
			);
		}
	};
}

export interface FuzzActor {
	id: string;
	email: string;
	accessToken: string;
}

/**
 * A user of its own for a fuzz file: what it may legitimately change (its own profile) is left out
 * of the checksum, so a fuzzer signed in as it proves that it can change nobody else's data.
 */
export async function fuzzActor(tag: string): Promise<FuzzActor> {
	const { url, anonKey } = testEnv();
	const email = `fuzz-${tag}-${FUZZ_SEED}-${Date.now().toString(36)}@example.com`;
	const response = await fetch(`${url}/auth/v1/signup`, {
		method: 'POST',
		headers: { apikey: anonKey, 'content-type': 'application/json' },
		body: JSON.stringify({ email, password: DEMO_PASSWORD, data: { display_name: `Fuzz ${tag}` } })
	});
	const body = (await response.json()) as { access_token?: string; user?: { id: string } };
	if (!response.ok || !body.access_token || !body.user)
		throw new Error(`fuzz actor sign-up failed: ${response.status} ${JSON.stringify(body)}`);
	return { id: body.user.id, email, accessToken: body.access_token };
}

/** md5 of every row a fuzzer must not be able to change (all but `actor`'s own user and profile). */
export async function dataChecksum(actor: FuzzActor): Promise<Record<string, string>> {
	const rows = await sql<{ name: string; md5: string }>(
		`select 'notifications' as name, md5(coalesce(string_agg(n::text, '|' order by n.id), '')) as md5
		   from public.notifications n
		 union all
		 select 'profiles', md5(coalesce(string_agg(p::text, '|' order by p.id), ''))
		   from public.profiles p where p.id <> $1
		 union all
		 select 'auth.users', md5(coalesce(string_agg(
		     concat_ws(',', u.id, u.email, u.encrypted_password, u.raw_user_meta_data, u.raw_app_meta_data,
		       u.role, u.aud, u.banned_until, u.deleted_at), '|' order by u.id), ''))
		   from auth.users u where u.id <> $1
		 union all
		 select 'realtime.messages', count(*)::text from realtime.messages`,
		[actor.id]
	);
	return Object.fromEntries(rows.map((r) => [r.name, r.md5]));
}

/** A signed-in bystander's request: alice reads her unread count over REST. */
export async function bystanderLatency(probes = 9): Promise<number> {
	const { url, anonKey } = testEnv();
	const token = await bystanderToken();
	const times: number[] = [];
	for (let i = 0; i < probes; i++) {
		const started = performance.now();
		const response = await fetch(`${url}/rest/v1/rpc/unread_count`, {
			method: 'POST',
			headers: { apikey: anonKey, authorization: `Bearer ${token}`, 'content-type': 'application/json' },
			body: '{}'
		});
		await response.arrayBuffer();
		if (response.status !== 200) throw new Error(`bystander request failed: ${response.status}`);
		times.push(performance.now() - started);
	}
	times.sort((a, b) => a - b);
	return times[Math.floor(times.length / 2)];
}

let aliceToken: string | undefined;
async function bystanderToken(): Promise<string> {
	if (aliceToken) return aliceToken;
	const { url, anonKey } = testEnv();
	const response = await fetch(`${url}/auth/v1/token?grant_type=password`, {
		method: 'POST',
		headers: { apikey: anonKey, 'content-type': 'application/json' },
		body: JSON.stringify({ email: 'alice@example.com', password: DEMO_PASSWORD })
	});
	const body = (await response.json()) as { access_token: string };
	aliceToken = body.access_token;
	return aliceToken;
}

/**
 * The bystander's quiet latency (median of medians: robust on a shared machine) before the fuzz.
 * A warm-up round first, so connection setup and plan caching are not counted.
 */
export async function quietLatency(): Promise<number> {
	await bystanderLatency(5);
	const medians = [await bystanderLatency(), await bystanderLatency(), await bystanderLatency()];
	return medians.sort((a, b) => a - b)[1];
}

/**
 * After the fuzz: the bystander answers within 2x its quiet latency. Sub-millisecond medians are
 * noise on 2 shared cores, so the bound is never tighter than quiet + 5 ms; a busy neighbour
 * process gets three tries.
 */
export async function expectBystanderWithin(quiet: number): Promise<number> {
	const bound = Math.max(2 * quiet, quiet + 5);
	let last = Infinity;
	for (let attempt = 0; attempt < 3; attempt++) {
		last = await bystanderLatency();
		if (last <= bound) return last;
	}
	throw new Error(
		`bystander median ${last.toFixed(1)} ms after the fuzz, quiet ${quiet.toFixed(1)} ms (bound ${bound.toFixed(1)} ms)`
	);
}

/** A JSON error body as Supabase's services shape them (message/msg/error and a code, or a hint). */
export function isJsonErrorBody(text: string): boolean {
	let body: unknown;
	try {
		body = JSON.parse(text);
	} catch {
		return false;
	}
	if (typeof body !== 'object' || body === null || Array.isArray(body)) return false;
	const b = body as Record<string, unknown>;
	return ['message', 'msg', 'error', 'error_description'].some((k) => typeof b[k] === 'string');
}
