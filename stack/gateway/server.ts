/**
 * The API gateway on one port, like Kong in `supabase start`: CORS, API keys, body limits, one JSON
 * error handler, a request log, and the services under /auth/v1, /rest/v1 and /realtime/v1.
 */
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { createAdaptorServer } from '@hono/node-server';
import { Hono, type Context, type MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { cors } from 'hono/cors';
import { HTTPException } from 'hono/http-exception';
import type { StackContext } from '../context.ts';
import { HttpError } from '../errors.ts';
import { jsonTooDeep, MAX_JSON_DEPTH } from '../json-depth.ts';
import { roleForApiKey } from '../keys.ts';
import type { GatewayEnv } from './env.ts';

export interface GatewayServices {
	auth: Hono<GatewayEnv>;
	rest: Hono<GatewayEnv>;
	realtime: {
		app: Hono<GatewayEnv>;
		handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
	};
}

/** Routes Kong leaves open in `supabase start` (no API key needed). */
const OPEN_PATHS = new Set(['/health', '/auth/v1/health', '/auth/v1/verify', '/auth/v1/callback']);

export function createGatewayApp(ctx: StackContext, services: GatewayServices): Hono<GatewayEnv> {
	const app = new Hono<GatewayEnv>();
	const { log } = ctx;

	app.use('*', async (c, next) => {
		const started = performance.now();
		await next();
		const ms = (performance.now() - started).toFixed(1);
		const line = `${c.req.method} ${c.req.path} ${c.res.status} ${ms}ms`;
		if (c.res.status >= 500) log.error(line);
		else log.debug(line);
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

	app.get('/health', (c) => c.json({ status: 'ok' }));

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
export function createGatewayServer(app: Hono<GatewayEnv>, services: GatewayServices): Server {
	const server = createAdaptorServer({ fetch: app.fetch }) as Server;
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
