/**
 * REST: PostgREST semantics for what @supabase/postgrest-js sends, mounted at /rest/v1.
 * parse (parse.ts) -> plan against the schema cache (plan.ts) -> one SQL statement (sql.ts)
 * -> run in a transaction as the request's role (transaction.ts) -> PostgREST-shaped response.
 */
import { Hono } from 'hono';
import pg from 'pg';
import type { StackContext } from '../context.ts';
import { endPool } from '../db/pool.ts';
import type { GatewayEnv } from '../gateway/env.ts';
import { handleRequest } from './handlers.ts';
import { API_ROLES } from './role.ts';
import { DDL_WATCH_SQL, loadSchema } from './schema.ts';
import { newReadCache, type RestState } from './statements.ts';
import { createRestPool } from './transaction.ts';

export interface RestService {
	app: Hono<GatewayEnv>;
	/** Re-reads the schema cache from the catalog (also done automatically after DDL). */
	reloadSchema(): Promise<void>;
	close(): Promise<void>;
}

/** Several DDL statements in a row (a migration) cause one reload. */
const RELOAD_DEBOUNCE_MS = 50;

export async function createRest(ctx: StackContext): Promise<RestService> {
	const { config, log } = ctx;
	const schemas = config.rest.schemas;
	try {
		await ctx.pool.query(DDL_WATCH_SQL);
	} catch (error) {
		log.warn(`rest: could not install the schema-reload event triggers: ${(error as Error).message}`);
	}

	const state: RestState = {
		cache: await loadSchema(ctx.pool, schemas, [...API_ROLES]),
		reads: newReadCache()
	};
	// Reloads run one after another, so a reload asked for during another still sees the latest DDL.
	let chain: Promise<void> = Promise.resolve();
	const reloadSchema = (): Promise<void> => {
		const next = chain.then(async () => {
			// Readers keep the old cache until the new one is complete.
			state.cache = await loadSchema(ctx.pool, schemas, [...API_ROLES]);
			state.reads = newReadCache();
		});
		chain = next.catch(() => undefined);
		return next;
	};

	// LISTEN on a dedicated connection, like PostgREST's `pgrst` channel.
	let closed = false;
	let listener: pg.Client | undefined;
	let timer: NodeJS.Timeout | undefined;
	let retry: NodeJS.Timeout | undefined;
	const scheduleReload = () => {
		clearTimeout(timer);
		timer = setTimeout(() => {
			reloadSchema().catch((error: Error) => log.warn(`rest: schema reload failed: ${error.message}`));
		}, RELOAD_DEBOUNCE_MS);
	};
	const listen = async (): Promise<void> => {
		const client = new pg.Client({ connectionString: config.dbUrl });
		let lost = false;
		const onLost = (error?: Error) => {
			if (lost) return;
			lost = true;
			client.end().catch(() => undefined);
			if (closed) return;
			log.warn(`rest: schema listener lost${error ? `: ${error.message}` : ''}; reconnecting`);
			clearTimeout(retry);
			retry = setTimeout(reconnect, 1000);
		};
		client.on('error', onLost);
		client.on('end', () => onLost());
		client.on('notification', (msg) => {
			if (msg.channel === 'pgrst' && (msg.payload === 'reload schema' || !msg.payload)) scheduleReload();
		});
		await client.connect();
		await client.query('LISTEN pgrst');
		listener = client;
		if (closed) await client.end();
	};
	/** After a lost connection (a restart or `db:reset`): listen again, re-arm the triggers, reload. */
	const reconnect = () => {
		listen()
			.then(() => ctx.pool.query(DDL_WATCH_SQL))
			.then(scheduleReload)
			.catch((error: Error) => {
				if (closed) return;
				log.warn(`rest: schema listener could not reconnect: ${error.message}`);
				clearTimeout(retry);
				retry = setTimeout(reconnect, 1000);
			});
	};
	await listen();

	const app = new Hono<GatewayEnv>();
	const pool = createRestPool(ctx);
	const deps = { ctx, state, pool };
	app.all('/', (c) => handleRequest(c, deps, { root: true }));
	app.all('/rpc/:fn', (c) => handleRequest(c, deps, { rpc: c.req.param('fn') }));
	app.all('/:relation', (c) => handleRequest(c, deps, { relation: c.req.param('relation') }));
	app.all('*', (c) => {
		// `/rest/v1/` (with the slash supabase-js sends) is the root too.
		const base = c.req.routePath.replace(/\/\*$/, '');
		return handleRequest(c, deps, c.req.path === `${base}/` ? { root: true } : { unknown: true });
	});

	return {
		app,
		reloadSchema,
		async close() {
			closed = true;
			clearTimeout(timer);
			clearTimeout(retry);
			await chain;
			await listener?.end().catch(() => undefined);
			await endPool(pool).catch(() => undefined);
		}
	};
}
