/**
 * Property-based fuzz of the REST API (/rest/v1) through the gateway: random and mutated query
 * strings (select, filters, order, or/and trees, huge and deep values), headers (Prefer, Accept,
 * Range, Accept-Profile, Content-Profile) and bodies (wrong types, deep nesting, huge values,
 * invalid JSON), as anon (legacy and publishable key), as a signed-in user, and with broken keys.
 *
 * Every request gets a 2xx or a clear 4xx with a JSON error body, never a 5xx or a dropped
 * connection; afterwards a bystander answers within 2x its quiet latency and the data's checksum is
 * unchanged (the fuzzers cannot change anyone's data but the throwaway fuzz user's own profile).
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeSql, testEnv } from './helpers.ts';
import {
	dataChecksum,
	expectBystanderWithin,
	fuzzActor,
	fuzzParams,
	isJsonErrorBody,
	quietLatency,
	runs,
	type FuzzActor
} from './fuzz-common.ts';

const RELATIONS = [
	'profiles',
	'notifications',
	'nudges',
	'announcements',
	'rpc/mark_all_read',
	'rpc/unread_count',
	'rpc/handle_new_user',
	'rpc/set_updated_at',
	'rpc/nope',
	'users',
	'messages',
	'pg_roles',
	'',
	'no_such_table'
];
const COLUMNS = [
	'id',
	'user_id',
	'actor_id',
	'category',
	'priority',
	'title',
	'body',
	'url',
	'read_at',
	'archived_at',
	'created_at',
	'updated_at',
	'search',
	'display_name',
	'avatar_url',
	'email',
	'encrypted_password',
	'nope'
];
const OPERATORS = [
	'eq',
	'neq',
	'gt',
	'gte',
	'lt',
	'lte',
	'like',
	'ilike',
	'match',
	'imatch',
	'is',
	'isdistinct',
	'in',
	'cs',
	'cd',
	'ov',
	'sl',
	'sr',
	'nxr',
	'nxl',
	'adj',
	'fts',
	'plfts',
	'phfts',
	'wfts',
	'not.eq',
	'not.in',
	'not.is',
	'eq(any)',
	'like(all)',
	'bogus'
];

/** Characters that matter to the grammar, plus some that should not. */
const SPECIALS = [
	'.',
	',',
	'(',
	')',
	'"',
	'\\',
	'*',
	'%',
	':',
	'->',
	'->>',
	'!',
	'{',
	'}',
	'[',
	']',
	' ',
	'&',
	'='
];
const special = fc.constantFrom(...SPECIALS);
const word = fc.oneof(
	fc.constantFrom(...COLUMNS),
	fc.string({ maxLength: 12 }),
	fc.string({ unit: 'grapheme', maxLength: 6 }),
	fc.stringMatching(/^[a-z_]{1,10}$/)
);
/** Values: ordinary, numeric, uuid-ish, and now and then huge. */
const value = fc.oneof(
	{ weight: 6, arbitrary: fc.oneof(word, fc.integer().map(String), fc.double().map(String), fc.uuid()) },
	{ weight: 2, arbitrary: fc.array(fc.oneof(word, special), { maxLength: 12 }).map((p) => p.join('')) },
	{ weight: 1, arbitrary: fc.constantFrom('null', 'true', 'false', 'unknown', 'NaN', 'infinity', '') },
	{
		weight: 1,
		arbitrary: fc
			.tuple(fc.constantFrom('a', '(', '%', '\\', '"', 'é'), fc.integer({ min: 1000, max: 12_000 }))
			.map(([c, n]) => c.repeat(n))
	}
);

const column = fc.oneof(
	{ weight: 5, arbitrary: fc.constantFrom(...COLUMNS) },
	{
		weight: 1,
		arbitrary: fc
			.tuple(
				fc.constantFrom(...COLUMNS),
				fc.array(fc.tuple(fc.constantFrom('->', '->>'), word), { maxLength: 4 })
			)
			.map(([c, path]) => c + path.map(([a, k]) => a + k).join(''))
	},
	{ weight: 1, arbitrary: word }
);

const condition = fc
	.tuple(column, fc.constantFrom(...OPERATORS), value)
	.map(([c, op, v]) => `${c}.${op}.${op.includes('in') ? `(${v})` : v}`);

/** An or/and tree, sometimes deep. */
const logicTree: fc.Arbitrary<string> = fc.letrec<{ tree: string }>((tie) => ({
	tree: fc.oneof(
		{ depthSize: 'small', withCrossShrink: true },
		condition,
		fc
			.tuple(
				fc.constantFrom('or', 'and', 'not.or', 'not.and', 'xor'),
				fc.array(tie('tree'), { maxLength: 4 })
			)
			.map(([op, items]) => `${op}(${items.join(',')})`)
	)
})).tree;

const deepTree = fc
	.tuple(fc.constantFrom('or(', 'and(', '('), fc.integer({ min: 50, max: 3000 }))
	.map(([open, depth]) => `${open.repeat(depth)}id.eq.1${')'.repeat(depth)}`);

const selectItem: fc.Arbitrary<string> = fc.letrec<{ item: string }>((tie) => ({
	item: fc.oneof(
		{ depthSize: 'small', withCrossShrink: true },
		column,
		fc.constantFrom(
			'*',
			'count()',
			'id.count()',
			'title::text',
			'actor:profiles(display_name)',
			'profiles!inner(*)',
			'priority.sum()',
			'total:priority.max()::text',
			'created_at::date.min()',
			'...profiles!actor_id(display_name)',
			'...notifications!actor_id(title)',
			'profiles()',
			'notifications_actor_id_fkey(id)',
			'actor_id(display_name)'
		),
		fc
			.tuple(
				fc.option(
					word.map((w) => `${w}:`),
					{ nil: '' }
				),
				word,
				fc.array(tie('item'), { maxLength: 3 })
			)
			.map(([alias, rel, items]) => `${alias}${rel}(${items.join(',')})`)
	)
})).item;

const deepSelect = fc
	.integer({ min: 50, max: 2000 })
	.map((depth) => `${'actor('.repeat(depth)}id${')'.repeat(depth)}`);

const param = fc.oneof(
	{ weight: 3, arbitrary: condition.map((c) => c.replace('.', '=')) },
	{
		weight: 2,
		arbitrary: fc.array(selectItem, { minLength: 1, maxLength: 5 }).map((s) => `select=${s.join(',')}`)
	},
	{
		weight: 2,
		arbitrary: logicTree.map((t) =>
			t.startsWith('or(') || t.startsWith('and(') ? t.replace('(', '=(') : `or=(${t})`
		)
	},
	{
		weight: 2,
		arbitrary: fc
			.array(
				fc
					.tuple(
						fc.oneof(
							{ weight: 4, arbitrary: column },
							{ weight: 1, arbitrary: column.map((c) => `profiles(${c})`) },
							{ weight: 1, arbitrary: column.map((c) => `${c}(${c})`) }
						),
						fc.constantFrom('', '.asc', '.desc', '.nullsfirst', '.desc.nullslast', '.sideways')
					)
					.map(([c, d]) => c + d),
				{ minLength: 1, maxLength: 4 }
			)
			.map((o) => `order=${o.join(',')}`)
	},
	{
		weight: 2,
		arbitrary: fc
			.tuple(
				fc.constantFrom('limit', 'offset', 'actor.limit', 'actor.order'),
				fc.oneof(fc.integer().map(String), fc.bigInt().map(String), value)
			)
			.map(([k, v]) => `${k}=${v}`)
	},
	{
		weight: 1,
		arbitrary: fc.constantFrom(
			'on_conflict=id',
			'on_conflict=nope',
			'columns=id,title',
			'columns=(',
			'apikey='
		)
	},
	{
		weight: 1,
		arbitrary: fc.oneof(
			deepTree.map((t) => `or=${t}`),
			deepSelect.map((s) => `select=${s}`)
		)
	},
	{ weight: 1, arbitrary: fc.tuple(word, value).map(([k, v]) => `${k}=${v}`) }
);

/** Percent-encodes the parts that would change the query's structure, like postgrest-js does. */
function encodeParam(p: string): string {
	const eq = p.indexOf('=');
	if (eq < 0) return encodeURIComponent(p);
	return `${encodeURIComponent(p.slice(0, eq))}=${encodeURIComponent(p.slice(eq + 1))}`;
}

/** A query string, then sometimes mutated byte-wise (raw `%`, `&`, `=`, `%00`, bad escapes). */
const queryString = fc
	.tuple(
		fc.array(param, { maxLength: 5 }),
		fc.array(
			fc.tuple(
				fc.nat(),
				fc.constantFrom(
					'%',
					'%zz',
					'%00',
					'%FF',
					'%C3%28',
					'&',
					'=',
					'&&',
					'==',
					'+',
					'#',
					'%2',
					'\u00e9',
					''
				)
			),
			{ maxLength: 3 }
		)
	)
	.map(([params, mutations]) => {
		let qs = params.map(encodeParam).join('&');
		for (const [at, text] of mutations) {
			const i = qs.length ? at % qs.length : 0;
			qs = qs.slice(0, i) + text + qs.slice(i + (at % 2));
		}
		return qs.replace(/#/g, '%23');
	});

/** Header values fetch will send (visible ASCII and spaces). */
const headerText = fc.string({
	unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)),
	maxLength: 40
});
/** Schemas: mostly the exposed one, so most requests get past negotiation. */
const profile = fc.oneof(
	{ weight: 6, arbitrary: fc.constant('public') },
	{ weight: 1, arbitrary: fc.constantFrom('auth', 'realtime', 'pg_catalog', 'storage', '') }
);
/** Mostly meaningful values, now and then noise. */
const mostly = (meaningful: fc.Arbitrary<string>) =>
	fc.oneof({ weight: 8, arbitrary: meaningful }, { weight: 1, arbitrary: headerText });
const headers = fc.record(
	{
		prefer: mostly(
			fc
				.array(
					fc.constantFrom(
						'return=representation',
						'return=minimal',
						'return=headers-only',
						'count=exact',
						'count=planned',
						'count=estimated',
						'resolution=merge-duplicates',
						'resolution=ignore-duplicates',
						'missing=default',
						'handling=strict',
						'tx=rollback',
						'max-affected=1',
						'params=single-object'
					),
					{ maxLength: 4 }
				)
				.map((p) => p.join(', '))
		),
		accept: mostly(
			fc.constantFrom(
				'application/json',
				'application/json',
				'application/json',
				'application/vnd.pgrst.object+json',
				'application/vnd.pgrst.object+json;nulls=stripped',
				'application/vnd.pgrst.plan+json',
				'text/csv',
				'application/geo+json',
				'application/octet-stream',
				'*/*',
				'text/html'
			)
		),
		range: mostly(
			fc.oneof(
				fc
					.tuple(fc.integer({ min: -5, max: 1e9 }), fc.integer({ min: -5, max: 1e9 }))
					.map(([a, b]) => `${a}-${b}`),
				fc.constantFrom('0-', '0-9', '-1', 'items=0-9', '99999999999999999999-1')
			)
		),
		'range-unit': fc.constantFrom('items', 'bytes', 'x'),
		'accept-profile': mostly(profile),
		'content-profile': mostly(profile),
		'content-type': fc.constantFrom(
			'application/json',
			'application/json; charset=utf-8',
			'text/csv',
			'application/x-www-form-urlencoded',
			'text/plain',
			'text/xml',
			'application/vnd.pgrst.object+json',
			'application/octet-stream'
		)
	},
	{ requiredKeys: [] }
);

const deepJson = fc
	.tuple(fc.constantFrom('[', '{"a":'), fc.integer({ min: 100, max: 5000 }))
	.map(([open, depth]) => open.repeat(depth) + '1' + (open === '[' ? ']' : '}').repeat(depth));

const rowLike = fc.dictionary(
	fc.oneof(fc.constantFrom(...COLUMNS), fc.string({ maxLength: 8 })),
	fc.oneof(fc.jsonValue({ maxDepth: 3 }), fc.uuid(), value),
	{ maxKeys: 6 }
);

// Huge bodies are few (each costs the 2 shared cores real time), and sized around the 1 MB limit.
const body = fc.oneof(
	{ weight: 10, arbitrary: fc.constant(undefined) },
	{ weight: 20, arbitrary: rowLike.map((r) => JSON.stringify(r)) },
	{ weight: 8, arbitrary: fc.array(rowLike, { maxLength: 4 }).map((r) => JSON.stringify(r)) },
	{ weight: 8, arbitrary: fc.jsonValue({ maxDepth: 6 }).map((v) => JSON.stringify(v)) },
	{ weight: 4, arbitrary: fc.string({ maxLength: 60 }) },
	{
		weight: 4,
		arbitrary: fc.constantFrom('{', '[1,', '{"a":}', 'nul', '\u0000', '{"title":"\\ud800"}', '1e999999', '"')
	},
	{ weight: 3, arbitrary: deepJson },
	{
		weight: 1,
		arbitrary: fc
			.constantFrom(50_000, 300_000, 1_100_000)
			.map((n) => JSON.stringify({ title: 'x'.repeat(n), body: 'y' }))
	},
	{
		weight: 4,
		arbitrary: fc.uint8Array({ maxLength: 64 }).map((bytes) => Buffer.from(bytes).toString('latin1'))
	}
);

type Who = 'anon' | 'publishable' | 'user' | 'none' | 'garbage' | 'forged';
const request = fc.record({
	who: fc.constantFrom<Who>(
		'anon',
		'anon',
		'publishable',
		'user',
		'user',
		'user',
		'user',
		'none',
		'garbage',
		'forged'
	),
	method: fc.constantFrom('GET', 'GET', 'GET', 'HEAD', 'POST', 'POST', 'PATCH', 'DELETE', 'PUT', 'OPTIONS'),
	relation: fc.oneof(
		{ weight: 6, arbitrary: fc.constantFrom(...RELATIONS) },
		{ weight: 1, arbitrary: word.map(encodeURIComponent) }
	),
	query: queryString,
	headers,
	body
});
type FuzzRequest = typeof request extends fc.Arbitrary<infer T> ? T : never;

/** An HS256-looking token whose signature is wrong: must be refused, never trusted. */
const FORGED =
	'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJyb2xlIjoic2VydmljZV9yb2xlIiwiZXhwIjo0MTAyNDQ0ODAwfQ.c2lnbmF0dXJl';

let actor: FuzzActor;
let quiet = 0;
let before: Record<string, string>;
let cases = 0;
const statuses = new Map<number, number>();

beforeAll(async () => {
	actor = await fuzzActor('rest');
	quiet = await quietLatency();
	before = await dataChecksum(actor);
});

afterAll(async () => {
	await closeSql();
});

async function send(req: FuzzRequest): Promise<{ status: number; text: string }> {
	const { url, anonKey, publishableKey } = testEnv();
	const h: Record<string, string> = { ...req.headers };
	if (req.who === 'anon') h.apikey = anonKey;
	if (req.who === 'publishable') h.apikey = publishableKey;
	if (req.who === 'user') {
		h.apikey = anonKey;
		h.authorization = `Bearer ${actor.accessToken}`;
	}
	if (req.who === 'garbage') {
		h.apikey = anonKey;
		h.authorization = 'Bearer not.a.jwt';
	}
	if (req.who === 'forged') {
		h.apikey = FORGED;
		h.authorization = `Bearer ${FORGED}`;
	}
	const withBody = req.body !== undefined && !['GET', 'HEAD'].includes(req.method);
	const response = await fetch(`${url}/rest/v1/${req.relation}${req.query ? `?${req.query}` : ''}`, {
		method: req.method,
		headers: h,
		body: withBody ? req.body : undefined
	});
	const result = { status: response.status, text: await response.text() };
	recent.push(`${result.status} ${describeRequest(req).slice(0, 400)}`);
	if (recent.length > 8) recent.shift();
	return result;
}
const recent: string[] = [];

function describeRequest(req: FuzzRequest): string {
	const clip = (s: string | undefined) =>
		s && s.length > 300 ? `${s.slice(0, 300)}... (${s.length} chars)` : s;
	return JSON.stringify({ ...req, query: clip(req.query), body: clip(req.body) });
}

describe('REST fuzz findings', () => {
	// Found by the fuzzer: a 413 left the rest of the body unread but kept the connection alive, so
	// the next request a keep-alive client sent on it failed with "other side closed".
	it('a request after a too-large body on the same keep-alive connection still gets its answer', async () => {
		const { url, anonKey } = testEnv();
		const big = JSON.stringify({ title: 'x'.repeat(1_100_000) });
		const small = JSON.stringify({ title: 'x' });
		const statuses: number[] = [];
		for (const body of [big, small, big, small]) {
			const response = await fetch(`${url}/rest/v1/notifications`, {
				method: 'POST',
				headers: { apikey: anonKey, 'content-type': 'application/json' },
				body
			});
			await response.arrayBuffer();
			statuses.push(response.status);
		}
		expect(statuses[0]).toBe(413);
		expect(statuses[1]).toBeLessThan(500);
		expect(statuses[1]).not.toBe(413);
		expect(statuses[2]).toBe(413);
	});
});

describe('REST fuzz', () => {
	it('answers every random request with a 2xx or a JSON 4xx, never a 5xx', { timeout: 240_000 }, async () => {
		const numRuns = runs(1000);
		// Each run sends a small batch at once: a few requests in flight, on keep-alive connections.
		await fc.assert(
			fc.asyncProperty(fc.array(request, { minLength: 4, maxLength: 4 }), async (batch) => {
				const results = await Promise.all(
					batch.map((req) =>
						send(req).catch((error: Error) => {
							const cause = (error.cause as Error | undefined)?.message ?? '';
							// A refusal sent before a large upload has arrived (413, 401) closes the
							// connection, but lingers as nginx's does, so even then the answer arrives.
							throw new Error(
								`request failed (${error.message}: ${cause}) for ${describeRequest(req)}; answered before it: ${recent.join('\n')}`
							);
						})
					)
				);
				results.forEach(({ status, text }, i) => {
					cases++;
					statuses.set(status, (statuses.get(status) ?? 0) + 1);
					const req = batch[i];
					const what = `${status} ${clipText(text)} for ${describeRequest(req)}`;
					if (status >= 500) throw new Error(`server error: ${what}`);
					// Even a 431 from Node's HTTP parser (request line + headers over 16 KB) carries JSON.
					if (status >= 400 && req.method !== 'HEAD' && !isJsonErrorBody(text))
						throw new Error(`4xx without a JSON error body: ${what}`);
					// What reaches the client's own row (the fuzz user's profile) is allowed to change; any
					// 2xx write that reports changing another row shows up in the checksum below.
				});
			}),
			fuzzParams('fuzz-rest', numRuns)
		);
		console.log(
			`fuzz-rest: ${cases} requests; statuses ${JSON.stringify(Object.fromEntries([...statuses].sort()))}`
		);
		expect(cases).toBeGreaterThanOrEqual(numRuns);
	});

	it('keeps answering a bystander within 2x its quiet latency', async () => {
		const after = await expectBystanderWithin(quiet);
		console.log(`fuzz-rest: bystander median ${after.toFixed(1)} ms after, ${quiet.toFixed(1)} ms quiet`);
	});

	it('leaves the data unchanged', async () => {
		expect(await dataChecksum(actor)).toEqual(before);
	});
});

function clipText(text: string): string {
	return text.length > 200 ? `${text.slice(0, 200)}...` : text;
}
