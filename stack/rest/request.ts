// The whole request as one typed value, read once from the HTTP request (PostgREST's
// `ApiRequest`): who is asking, which schema, what action on what, the parsed query, the
// preferences and the payload. Everything after this step (plan, SQL, respond) takes this value;
// nothing else reads Hono's Context.

import type { Context } from 'hono';
import type { GatewayEnv } from '../gateway/env.ts';
import type { Preferences, QueryParams } from './ast.ts';
import { invalidBody, RestError, unacceptableSchema } from './errors.ts';
import { Lru } from './lru.ts';
import { parsePrefer, parseQuery } from './parse.ts';
import { negotiate, wantsStrippedNulls, type Media } from './respond.ts';
import { identify, type RequestIdentity } from './role.ts';
import type { HandlerDeps } from './statements.ts';

export type Method = 'GET' | 'HEAD' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';

type Row = Record<string, unknown>;

/** What the request asks for: a closed set, as PostgREST's `Action`. */
export type Action =
	/** `range`: the Range request header as sent, when it narrowed the query's limit/offset. */
	| { type: 'read'; relation: string; query: QueryParams; headersOnly: boolean; range?: string }
	| { type: 'insert'; relation: string; query: QueryParams; rows: Row[] }
	| {
			type: 'upsert';
			relation: string;
			query: QueryParams;
			rows: Row[];
			resolution: 'merge-duplicates' | 'ignore-duplicates';
	  }
	| { type: 'update'; relation: string; query: QueryParams; row: Row }
	/** PUT: one row upserted by its primary key, named by `pk=eq.value` filters. */
	| { type: 'put'; relation: string; query: QueryParams; row: Row }
	| { type: 'delete'; relation: string; query: QueryParams }
	/**
	 * A function call. `params` is the query string as sent: which of its keys are arguments
	 * (GET) and which are filters depends on the function, so it is parsed once that is known.
	 */
	| {
			type: 'rpc';
			fn: string;
			params: [string, string][];
			args?: Row;
			/**
			 * POST: the body as sent and its media type, for a function with a single unnamed
			 * parameter (json/jsonb take a JSON body, text text/plain, xml text/xml, bytea
			 * application/octet-stream). `args` is empty unless the body is a JSON object or a form.
			 */
			body?: RpcBody;
			via: 'GET' | 'POST';
			headersOnly: boolean;
	  }
	| { type: 'openapi'; headersOnly: boolean };

export interface ApiRequest {
	method: Method;
	/** The path below /rest/v1 (what `request.path` holds in SQL). */
	path: string;
	/** The query string as sent, `?` included: the key of cached plans. */
	search: string;
	/** The exposed schema picked by Accept-Profile / Content-Profile. */
	schema: string;
	action: Action;
	prefer: Preferences;
	media: Media;
	/** `Accept: ...;nulls=stripped` (postgrest-js `stripNulls()`). */
	stripNulls: boolean;
	/** The root's `offset`, for Content-Range. */
	offset: number;
	identity: RequestIdentity;
	/** The request headers as a JSON object (what `request.headers` holds in SQL). */
	headers: string;
	/** The Host header (the OpenAPI description names it). */
	host: string;
}

export type RpcBody =
	| { media: 'json' | 'text' | 'xml'; raw: string }
	| { media: 'bytea'; raw: Uint8Array }
	| { media: 'form'; raw: string };

/** What the route matched: a table or view, a function, the root, or nothing PostgREST serves. */
export type Target = { relation: string } | { rpc: string } | { root: true } | { unknown: true };

export const isRecord = (v: unknown): v is Row => typeof v === 'object' && v !== null && !Array.isArray(v);

const METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'POST', 'PATCH', 'PUT', 'DELETE']);

/** Parsed query strings by their text: a client repeats a handful of shapes. */
const parsedQueries = new Lru<string, QueryParams>(500);

function parsedQuery(search: string, params: URLSearchParams): QueryParams {
	const hit = parsedQueries.get(search);
	if (hit) return hit;
	const query = parseQuery(params);
	parsedQueries.set(search, query);
	return query;
}

/**
 * `Range: 0-9` (PostgREST's `Range` request header, items): intersected with the root's
 * limit/offset, as PostgREST does. Anything but `first-[last]` is ignored.
 */
function withRangeHeader(query: QueryParams, header: string): QueryParams {
	const match = /^(?:items=)?\s*(\d{1,15})-(\d{0,15})\s*$/.exec(header.trim());
	if (!match) return query;
	const first = Number(match[1]);
	const last = match[2] === '' ? Infinity : Number(match[2]);
	if (first > last) {
		throw new RestError(
			416,
			'PGRST103',
			'Requested range not satisfiable',
			'The lower boundary must be lower than or equal to the upper boundary in the Range header.'
		);
	}
	const root = query.levels.get('') ?? { filters: [], order: [] };
	const offset = root.offset ?? 0;
	const end = root.limit === undefined ? Infinity : offset + root.limit - 1;
	const lower = Math.max(first, offset);
	const upper = Math.min(last, end);
	const levels = new Map(query.levels);
	levels.set('', {
		...root,
		offset: lower,
		limit: upper === Infinity ? undefined : Math.max(0, upper - lower + 1)
	});
	return { ...query, levels };
}

function pickSchema(c: Context<GatewayEnv>, schemas: string[], write: boolean): string {
	const requested = c.req.header(write ? 'content-profile' : 'accept-profile');
	if (requested === undefined || requested === '') return schemas[0];
	if (!schemas.includes(requested)) throw unacceptableSchema(requested, schemas);
	return requested;
}

/** The payload: JSON, or a urlencoded form (one object of strings), as PostgREST accepts. */
async function readPayload(c: Context<GatewayEnv>, allowEmpty: boolean): Promise<unknown> {
	const type = (c.req.header('content-type') ?? 'application/json').split(';')[0].trim().toLowerCase();
	const text = await c.req.text();
	if (type === 'application/x-www-form-urlencoded') return Object.fromEntries(new URLSearchParams(text));
	if (type !== 'application/json' && type !== '' && !type.endsWith('+json')) {
		throw new RestError(415, 'PGRST107', `None of these media types are available: ${type}`);
	}
	return parseJson(text, allowEmpty);
}

function parseJson(text: string, allowEmpty: boolean): unknown {
	if (text.trim() === '' && allowEmpty) return {};
	try {
		return JSON.parse(text) as unknown;
	} catch {
		throw invalidBody();
	}
}

const RAW_MEDIA: Record<string, 'text' | 'xml' | 'bytea'> = {
	'text/plain': 'text',
	'text/xml': 'xml',
	'application/octet-stream': 'bytea'
};

/** An RPC body: JSON or a form as for tables, or raw text / XML / bytes for a single unnamed parameter. */
async function readRpcBody(c: Context<GatewayEnv>): Promise<RpcBody> {
	const type = (c.req.header('content-type') ?? 'application/json').split(';')[0].trim().toLowerCase();
	const raw = RAW_MEDIA[type];
	if (raw === 'bytea') return { media: 'bytea', raw: Buffer.from(await c.req.arrayBuffer()) };
	if (raw) return { media: raw, raw: await c.req.text() };
	if (type === 'application/x-www-form-urlencoded') return { media: 'form', raw: await c.req.text() };
	if (type !== 'application/json' && type !== '' && !type.endsWith('+json')) {
		throw new RestError(415, 'PGRST107', `None of these media types are available: ${type}`);
	}
	return { media: 'json', raw: await c.req.text() };
}

function unsupported(method: string): RestError {
	return new RestError(405, 'PGRST117', `Unsupported HTTP method: ${method}`);
}

async function readAction(
	c: Context<GatewayEnv>,
	target: Target,
	method: Method,
	url: URL,
	prefer: Preferences
): Promise<Action> {
	const headersOnly = method === 'HEAD';
	if ('root' in target) {
		if (method !== 'GET' && method !== 'HEAD') throw unsupported(method);
		return { type: 'openapi', headersOnly };
	}
	if ('unknown' in target) throw new RestError(404, 'PGRST125', 'Invalid path specified in request URL');
	if ('rpc' in target) {
		if (method !== 'GET' && method !== 'HEAD' && method !== 'POST') {
			throw new RestError(405, 'PGRST101', `Cannot use the ${method} method on RPC`);
		}
		const params = [...url.searchParams];
		if (method !== 'POST') return { type: 'rpc', fn: target.rpc, params, via: 'GET', headersOnly };
		const body = await readRpcBody(c);
		let args: Row = {};
		if (body.media === 'form') args = Object.fromEntries(new URLSearchParams(body.raw));
		else if (body.media === 'json') {
			const parsed = parseJson(body.raw, true);
			if (isRecord(parsed)) args = parsed;
			else if (!Array.isArray(parsed)) throw invalidBody();
		}
		return { type: 'rpc', fn: target.rpc, params, args, body, via: 'POST', headersOnly };
	}
	const relation = target.relation;
	switch (method) {
		case 'GET':
		case 'HEAD': {
			const query = parsedQuery(url.search, url.searchParams);
			const range = method === 'GET' ? c.req.header('range') : undefined;
			if (range === undefined) return { type: 'read', relation, query, headersOnly };
			return { type: 'read', relation, query: withRangeHeader(query, range), headersOnly, range };
		}
		case 'POST': {
			const query = parseQuery(url.searchParams);
			const body = await readPayload(c, false);
			const rows = Array.isArray(body) ? body : [body];
			if (!rows.every(isRecord)) throw invalidBody('All object keys must match');
			if (prefer.resolution) return { type: 'upsert', relation, query, rows, resolution: prefer.resolution };
			return { type: 'insert', relation, query, rows };
		}
		case 'PATCH': {
			const query = parseQuery(url.searchParams);
			const row = await readPayload(c, false);
			if (!isRecord(row)) throw invalidBody();
			return { type: 'update', relation, query, row };
		}
		case 'PUT': {
			const query = parseQuery(url.searchParams);
			const root = query.levels.get('');
			if (root?.limit !== undefined || root?.offset !== undefined) {
				throw new RestError(400, 'PGRST114', 'limit/offset querystring parameters are not allowed for PUT');
			}
			const body = await readPayload(c, false);
			const row = Array.isArray(body) && body.length === 1 ? (body[0] as unknown) : body;
			if (!isRecord(row))
				throw new RestError(400, 'PGRST115', 'Payload values do not match URL in primary key column(s)');
			return { type: 'put', relation, query, row };
		}
		case 'DELETE':
			return { type: 'delete', relation, query: parseQuery(url.searchParams) };
		default:
			throw unsupported(method);
	}
}

/** Reads the HTTP request into an `ApiRequest`; request errors are thrown as `RestError`s. */
export async function readRequest(
	c: Context<GatewayEnv>,
	deps: HandlerDeps,
	target: Target
): Promise<ApiRequest> {
	const { config, pool } = deps.ctx;
	const method = c.req.method.toUpperCase();
	if ('unknown' in target) throw new RestError(404, 'PGRST125', 'Invalid path specified in request URL');
	if (!METHODS.has(method)) throw unsupported(method);
	const identity = await identify(c.req.header('authorization'), c.get('apiKeyRole'), config.jwtSecret, pool);
	const write = method !== 'GET' && method !== 'HEAD';
	const schema = pickSchema(c, config.rest.schemas, write && !('root' in target));
	const accept = c.req.header('accept');
	const media = 'root' in target ? 'json' : negotiate(accept);
	const prefer = parsePrefer(c.req.header('prefer'));
	// db-tx-end: `Prefer: tx` counts only where the configuration allows overriding it.
	if (!config.rest.txEnd.endsWith('-allow-override')) prefer.tx = undefined;
	if (prefer.handling === 'strict' && prefer.invalid.length > 0) {
		throw new RestError(
			400,
			'PGRST122',
			'Invalid preferences given with handling=strict',
			`Invalid preferences: ${prefer.invalid.join(', ')}`
		);
	}
	const url = new URL(c.req.url);
	const action = await readAction(c, target, method as Method, url, prefer);
	const headers: Record<string, string> = {};
	c.req.raw.headers.forEach((value, key) => (headers[key] = value));
	return {
		method: method as Method,
		path: url.pathname.replace(/^\/rest\/v1(?=\/)/, ''),
		search: url.search,
		schema,
		action,
		prefer,
		media,
		stripNulls: wantsStrippedNulls(accept),
		offset:
			action.type === 'read'
				? (action.query.levels.get('')?.offset ?? 0)
				: Number(url.searchParams.get('offset') ?? 0) || 0,
		identity,
		headers: JSON.stringify(headers),
		host: c.req.header('host') ?? ''
	};
}
