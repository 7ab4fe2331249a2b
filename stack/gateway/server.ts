/**
 * The API gateway on one port, like Kong in `supabase start`: CORS, API keys, body limits, one JSON
 * error handler, a request log, and the services under /auth/v1, /rest/v1 and /realtime/v1.
 */
import { readFile } from 'node:fs/promises';
import type { IncomingMessage, Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Duplex } from 'node:stream';
import { createAdaptorServer } from '@hono/node-server';
import { Hono, type Context, type MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { cors } from 'hono/cors';
import { HTTPException } from 'hono/http-exception';
import { API_VERSION_HEADER, AuthError, renderAuthError } from '../auth/errors.ts';
import type { StackConfig } from '../config.ts';
import type { StackContext } from '../context.ts';
import { HttpError } from '../errors.ts';
import { jsonTooDeep, MAX_JSON_DEPTH } from '../json-depth.ts';
import { roleForApiKey } from '../keys.ts';
import type { GatewayEnv } from './env.ts';
import { answerClientError, lingerOnClose } from './linger.ts';

export interface GatewayServices {
	auth: Hono<GatewayEnv>;
	rest: Hono<GatewayEnv>;
	realtime: {
		app: Hono<GatewayEnv>;
		handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
		/** Whether the postgres changes stream runs (false while the database is away). */
		readonly changesUp: boolean;
	};
}

/** PostgREST's answer while it cannot reach the database (PGRST001, 503). */
const REST_UNAVAILABLE = {
	code: 'PGRST001',
	message: 'Database client error. Retrying the connection.',
	hint: null
};
const AUTH_UNAVAILABLE = 'Database is unavailable, please retry shortly';

/** The 503 a service answers in its upstream's shape while the database is down. */
function unavailable(c: Context, service: 'auth' | 'rest', details: string): Response {
	c.header('Retry-After', '1');
	if (service === 'rest') return c.json({ ...REST_UNAVAILABLE, details }, 503);
	const { status, body, headers } = renderAuthError(
		new AuthError(503, 'unexpected_failure', AUTH_UNAVAILABLE),
		c.req.header(API_VERSION_HEADER)
	);
	return c.json(body, status as 503, headers);
}

/** Routes Kong leaves open in `supabase start` (no API key needed). */
// Kong's open routes in the Supabase CLI (no apikey): health, verify, callback, authorize and the JWKS,
// which any service verifying tokens fetches without a key.
const OPEN_PATHS = new Set([
	'/health',
	'/auth/v1/health',
	'/auth/v1/verify',
	'/auth/v1/callback',
	'/auth/v1/authorize',
	'/auth/v1/.well-known/jwks.json'
]);

export function createGatewayApp(ctx: StackContext, services: GatewayServices): Hono<GatewayEnv> {
	const app = new Hono<GatewayEnv>();
	const { log } = ctx;

	app.use('*', async (c, next) => {
		const started = performance.now();
		await next();
		const ms = (performance.now() - started).toFixed(1);
		const line = `${c.req.method} ${c.req.path} ${c.res.status} ${ms}ms`;
		// 503s while the database is away were announced once by the supervisor.
		if (c.res.status >= 500 && c.res.status !== 503) log.error(line);
		else log.debug(line);
	});

	// A response sent before the request's body has fully arrived (a refusal: no key, too large, not
	// acceptable) leaves that body unread, so the connection cannot carry another request: say so,
	// or a keep-alive client sends its next request into a socket the server is about to close. The
	// close lingers, so a client still uploading reads the answer instead of a reset.
	app.use('*', async (c, next) => {
		await next();
		const incoming = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;
		if (incoming && !incoming.complete) {
			c.header('Connection', 'close');
			lingerOnClose(incoming);
		}
	});

	app.use(
		'*',
		cors({
			origin: (origin) => origin || '*',
			credentials: true,
			allowMethods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'],
			exposeHeaders: [
				'Content-Range',
				'Content-Location',
				'Content-Profile',
				'Preference-Applied',
				'Range-Unit',
				'X-Total-Count',
				'Link',
				'X-Supabase-Api-Version'
			],
			maxAge: 3600
		})
	);

	// Honest health: 503 naming the part that is down; `?deep` also runs a query end to end.
	app.get('/health', async (c) => {
		let db = ctx.db?.state ?? 'up';
		if (db === 'up' && c.req.query('deep') !== undefined && ctx.db && !(await ctx.db.probe(2_000)))
			db = 'down';
		const realtime = services.realtime.changesUp ? 'up' : 'down';
		const ok = db === 'up' && realtime === 'up';
		return c.json({ status: ok ? 'ok' : 'degraded', db, realtime }, ok ? 200 : 503);
	});

	app.use('*', async (c, next) => {
		if (OPEN_PATHS.has(c.req.path)) return next();
		const key = c.req.header('apikey') ?? c.req.query('apikey');
		if (!key) {
			throw new HttpError(401, {
				message: 'No API key found in request',
				hint: 'No `apikey` request header or url param was found.'
			});
		}
		const role = await roleForApiKey(key, ctx.config.jwtSecret);
		if (!role) {
			throw new HttpError(401, {
				message: 'Invalid API key',
				hint: 'Double check your Supabase `anon` or `service_role` API key.'
			});
		}
		c.set('apiKey', key);
		c.set('apiKeyRole', role);
		return next();
	});

	app.use(
		'*',
		bodyLimit({
			maxSize: ctx.config.maxBodyBytes,
			onError: () => {
				throw new HttpError(413, {
					message: `Request body is too large: the limit is ${ctx.config.maxBodyBytes} bytes.`
				});
			}
		})
	);

	// Auth checks nesting itself (GoTrue's error shape); REST and realtime bodies are checked here.
	app.use(
		'/rest/v1/*',
		refuseDeepJson({ code: 'PGRST102', message: 'Empty or invalid json', details: DEEP, hint: null })
	);
	app.use('/realtime/v1/api/*', refuseDeepJson({ message: DEEP }));
	// While the database is down, what needs it answers 503 at once (never a hang or a 500); a 5xx
	// that races the supervisor's noticing is turned into the same 503 once a probe confirms it.
	for (const [prefix, service] of [
		['/auth/v1', 'auth'],
		['/rest/v1', 'rest']
	] as const) {
		app.use(`${prefix}/*`, async (c, next) => {
			if (c.req.path === `${prefix}/health` || c.req.method === 'OPTIONS' || !ctx.db) return next();
			if (ctx.db.state === 'down') return unavailable(c, service, 'the database is restarting');
			await next();
			if (c.res.status >= 500 && c.res.status !== 503 && !(await ctx.db.probe(1_000))) {
				c.res = undefined;
				c.res = unavailable(c, service, 'the database connection was lost');
			}
		});
	}

	app.route('/auth/v1', services.auth);
	app.route('/rest/v1', services.rest);
	app.route('/realtime/v1', services.realtime.app);

	app.notFound((c) => c.json({ message: 'no Route matched with those values' }, 404));
	app.onError((error, c) => renderError(error, c, ctx));
	return app;
}

const DEEP = `JSON nested deeper than ${MAX_JSON_DEPTH} levels`;

/** A 400 in the service's own error shape for a JSON body that nests too deeply. */
function refuseDeepJson(body: Record<string, unknown>): MiddlewareHandler<GatewayEnv> {
	return async (c, next) => {
		const type = c.req.header('content-type') ?? 'application/json';
		const method = c.req.method;
		if (method !== 'GET' && method !== 'HEAD' && /json/i.test(type) && jsonTooDeep(await c.req.text())) {
			throw new HttpError(400, body);
		}
		return next();
	};
}

function renderError(error: unknown, c: Context, ctx: StackContext): Response {
	if (error instanceof HttpError) {
		for (const [name, value] of Object.entries(error.headers)) c.header(name, value);
		return c.json(error.body, error.status as 400);
	}
	if (error instanceof HTTPException) {
		return c.json({ message: error.message || 'Bad Request' }, error.status);
	}
	ctx.log.error(`unhandled error on ${c.req.method} ${c.req.path}:`, error);
	return c.json({ message: 'Internal Server Error' }, 500);
}

/** An HTTP server for the app that hands WebSocket upgrades under /realtime/v1/ to realtime. */
export async function createGatewayServer(
	app: Hono<GatewayEnv>,
	services: GatewayServices,
	config?: Pick<StackConfig, 'tlsCert' | 'tlsKey'>
): Promise<Server> {
	const tls =
		config?.tlsCert && config.tlsKey
			? { cert: await readFile(config.tlsCert), key: await readFile(config.tlsKey) }
			: null;
	// With a certificate the same app is served over https, and realtime over wss.
	const server = (
		tls
			? createAdaptorServer({ fetch: app.fetch, createServer: createHttpsServer, serverOptions: tls })
			: createAdaptorServer({ fetch: app.fetch })
	) as Server;
	// A request Node's parser rejects (headers over 16 KB, malformed) gets a JSON answer too.
	server.on('clientError', answerClientError);
	server.on('upgrade', (req, socket, head) => {
		socket.on('error', () => socket.destroy());
		const path = (req.url ?? '').split('?')[0];
		if (path.startsWith('/realtime/v1/')) {
			services.realtime.handleUpgrade(req, socket, head);
			return;
		}
		socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
	});
	// Keep-alive sockets of long-lived clients must not hold shutdown hostage.
	server.keepAliveTimeout = 5_000;
	return server;
}
