// TEMP harness (not committed): cluster + realtime + gateway with stub auth/rest apps.
import pg from 'pg';
import { Hono } from 'hono';
import getPort from 'get-port';
import { loadConfig, tempStackDir } from './stack/config.ts';
import { startCluster } from './stack/db/postgres.ts';
import { prepareDatabase } from './stack/db/migrate.ts';
import { createGatewayApp, createGatewayServer } from './stack/gateway/server.ts';
import { createLogger } from './stack/log.ts';
import { createRealtime } from './stack/realtime/index.ts';
import { createAuth } from './stack/auth/index.ts';

const dbPort = await getPort({ host: '127.0.0.1' });
const apiPort = await getPort({ host: '127.0.0.1', exclude: [dbPort] });
const config = loadConfig({ ...process.env, STACK_DIR: tempStackDir('rt-harness-'), STACK_DB_PORT: String(dbPort), STACK_API_PORT: String(apiPort), STACK_LOG_LEVEL: process.env.STACK_LOG_LEVEL ?? 'warn' });
const log = createLogger(config.logLevel);
process.env.STACK_DB_FAST = '1';
const cluster = await startCluster(config, log);
await prepareDatabase(config.dbUrl, config.supabaseDir, log, { seed: cluster.created });
const pool = new pg.Pool({ connectionString: config.dbUrl, max: 20 });
const ctx = { config, pool, log };
const realtime = await createRealtime(ctx);
let auth: any = new Hono();
try { auth = createAuth(ctx as any); } catch (e) { console.error('auth failed', e); }
const services = { auth, rest: new Hono() as any, realtime };
const server = createGatewayServer(createGatewayApp(ctx, services), services);
await new Promise<void>((r) => server.listen(apiPort, config.host, () => r()));
const env = {
  SUPABASE_URL: config.apiUrl,
  SUPABASE_ANON_KEY: 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJzdXBhYmFzZS1kZW1vIiwicm9sZSI6ImFub24iLCJleHAiOjE5ODM4MTI5OTZ9.CRXP1A7WOeoJeXxjNni43kdQwgnWNReilDMblYTn_I0',
  SUPABASE_SERVICE_ROLE_KEY: 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJzdXBhYmFzZS1kZW1vIiwicm9sZSI6InNlcnZpY2Vfcm9sZSIsImV4cCI6MTk4MzgxMjk5Nn0.EGIM96RAZx35lJzdJsyH-qQwv8Hdp7fsn3W0YpN81IU',
  SUPABASE_DB_URL: config.dbUrl,
};
const fs = await import('node:fs');
fs.writeFileSync('/tmp/rt/env.sh', Object.entries(env).map(([k, v]) => `export ${k}='${v}'`).join('\n') + '\n');
console.log('READY', JSON.stringify(env));
const stop = async () => { server.closeAllConnections(); await realtime.close(); server.close(); await pool.end(); await cluster.stop(); process.exit(0); };
process.on('SIGTERM', stop); process.on('SIGINT', stop);
