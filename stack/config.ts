/**
 * Every setting of the local stack, read once from the environment.
 * Defaults mirror `supabase start` (ports, JWT secret, auth and realtime limits).
 */
import os from 'node:os';
import path from 'node:path';
import { readAuthRateLimits } from './auth/rate-limit-config.ts';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

export interface AuthConfig {
	enableSignup: boolean;
	enableAnonymous: boolean;
	minPasswordLength: number;
	/** Seconds a rotated refresh token may still be used (GoTrue's reuse interval). */
	refreshReuseInterval: number;
	/** Sign-in and sign-up requests per IP per 5 minutes (config.toml sign_in_sign_ups, Supabase: 30). */
	rateLimitSignIn: number;
	/** Token refreshes per IP per 5 minutes (config.toml token_refresh, Supabase: 150). */
	rateLimitTokenRefresh: number;
	/** Anonymous sign-ins per IP per hour (config.toml anonymous_users, Supabase: 30). */
	rateLimitAnonymous: number;
	/** OTP/magic-link verifications per IP per 5 minutes (config.toml token_verifications, Supabase: 30). */
	rateLimitVerify: number;
	/** Header carrying the client's address from a trusted proxy (GoTrue's GOTRUE_RATE_LIMIT_HEADER). */
	rateLimitHeader: string;
	/** Peer addresses whose rateLimitHeader is believed (default loopback: the app server on this machine). */
	trustedProxies: string[];
}

export interface RestConfig {
	schemas: string[];
	maxRows: number;
	/** Connections REST runs requests on (PostgREST's db-pool, default 10). */
	poolSize: number;
	/** PostgREST's db-tx-end: how transactions end, and whether `Prefer: tx` may override it. */
	txEnd: 'commit' | 'commit-allow-override' | 'rollback' | 'rollback-allow-override';
	/** PostgREST's db-aggregates-enabled: `count()`, `sum()`... in select (off on Supabase). */
	aggregates: boolean;
}

export interface RealtimeConfig {
	maxConcurrentClients: number;
	maxChannelsPerClient: number;
	maxJoinsPerSecond: number;
	maxEventsPerSecond: number;
	maxPayloadBytes: number;
	/** Presence track/untrack calls per client per presence window (Supabase: 5 per 30 s). */
	presenceCallsPer30s: number;
	presenceWindowMs: number;
	/** Postgres change payloads above this size carry no values over 64 bytes (Error 413). */
	maxChangePayloadBytes: number;
	/** Bytes a socket may have queued before it counts as a slow consumer and is dropped. */
	maxBufferedBytes: number;
	/** Presence diffs are merged per topic over this many milliseconds. */
	presenceTickMs: number;
	/** A socket that sends nothing (not even heartbeats) for this long is closed, as Phoenix does. */
	idleTimeoutMs: number;
	/** Pause before a join refusal, like Supabase's CHANNEL_ERROR_BACKOFF_MS (there 5 s; here 0). */
	joinErrorBackoffMs: number;
	/** A socket that sends neither a heartbeat nor a join this long after opening is closed. */
	joinTimeoutMs: number;
	/** Open sockets (joined or not) one client address may hold. */
	maxConnectionsPerIp: number;
	/** postgres_changes bindings one join may carry (Supabase documents none; bounds the work). */
	maxBindingsPerJoin: number;
	/** Comma-ANDed filters one postgres_changes binding may carry. */
	maxFiltersPerBinding: number;
	/** A `replication_ready` join waits this long for replication before its channel is closed. */
	replicationReadyTimeoutMs: number;
	/** The permanent logical replication slot the changes stream resumes from. */
	slotName: string;
	/** A slot further behind the current WAL than this is dropped and recreated (clients are told to refetch). */
	slotMaxLagBytes: number;
	/** Postgres' max_slot_wal_keep_size: WAL a forgotten slot may hold before Postgres invalidates it. */
	slotMaxWalKeepMb: number;
}

export interface StackConfig {
	dir: string;
	host: string;
	/** Where PostgreSQL listens: always loopback, since its password is the published postgres/postgres. */
	dbHost: string;
	dbPort: number;
	apiPort: number;
	/** Throwaway clusters (tests, benchmarks): initdb --no-sync, fsync and full_page_writes off. */
	dbFast: boolean;
	jwtSecret: string;
	/** Access token lifetime in seconds. */
	jwtExpiry: number;
	logLevel: LogLevel;
	apiUrl: string;
	dbUrl: string;
	siteUrl: string;
	/** Largest request body the gateway accepts, in bytes. */
	maxBodyBytes: number;
	/** Folder holding config.toml, migrations/ and seed.sql. */
	supabaseDir: string;
	/** How long a request waits for a database connection before it answers 503. */
	dbConnectTimeoutMs: number;
	/** On SIGINT/SIGTERM, how long in-flight requests and queued frames may take to finish. */
	shutdownGraceMs: number;
	/** PEM certificate and key paths: when both are set the gateway serves https and wss. */
	tlsCert: string | null;
	tlsKey: string | null;
	auth: AuthConfig;
	rest: RestConfig;
	realtime: RealtimeConfig;
}

export const DEFAULT_JWT_SECRET = 'super-secret-jwt-token-with-at-least-32-characters-long';

type Env = Record<string, string | undefined>;

/** True for addresses only this machine can reach (127.0.0.0/8, ::1, localhost). */
export function isLoopback(host: string): boolean {
	return /^127\.\d+\.\d+\.\d+$/.test(host) || host === '::1' || host === 'localhost';
}

function int(env: Env, name: string, fallback: number): number {
	const raw = env[name];
	if (raw === undefined || raw === '') return fallback;
	const value = Number(raw);
	if (!Number.isInteger(value) || value < 0) {
		throw new Error(`${name} must be a whole number, got "${raw}"`);
	}
	return value;
}

function bool(env: Env, name: string, fallback: boolean): boolean {
	const raw = env[name];
	if (raw === undefined || raw === '') return fallback;
	if (/^(1|true|yes|on)$/i.test(raw)) return true;
	if (/^(0|false|no|off)$/i.test(raw)) return false;
	throw new Error(`${name} must be true or false, got "${raw}"`);
}

const TX_ENDS = ['commit', 'commit-allow-override', 'rollback', 'rollback-allow-override'] as const;

function txEnd(raw: string | undefined): RestConfig['txEnd'] {
	if (raw === undefined || raw === '') return 'commit-allow-override';
	const found = TX_ENDS.find((v) => v === raw);
	if (!found) throw new Error(`STACK_REST_DB_TX_END must be one of ${TX_ENDS.join(', ')}, got "${raw}"`);
	return found;
}

function port(env: Env, name: string, fallback: number): number {
	const value = int(env, name, fallback);
	if (value > 65535) throw new Error(`${name} must be a port number (0-65535), got ${value}`);
	return value;
}

export function loadConfig(env: Env = process.env): StackConfig {
	const host = env.STACK_HOST || '127.0.0.1';
	const dbPort = port(env, 'STACK_DB_PORT', 54322);
	const apiPort = port(env, 'STACK_API_PORT', 54321);
	const jwtSecret = env.STACK_JWT_SECRET || DEFAULT_JWT_SECRET;
	if (jwtSecret.length < 32) throw new Error('STACK_JWT_SECRET must be at least 32 characters long');
	const logLevel = (env.STACK_LOG_LEVEL || 'info') as LogLevel;
	if (!['debug', 'info', 'warn', 'error', 'silent'].includes(logLevel)) {
		throw new Error(`STACK_LOG_LEVEL must be one of debug, info, warn, error, silent; got "${logLevel}"`);
	}
	const dbHost = isLoopback(host) ? host : '127.0.0.1';
	if (
		!isLoopback(host) &&
		jwtSecret === DEFAULT_JWT_SECRET &&
		!bool(env, 'STACK_ALLOW_PUBLIC_DEMO_SECRETS', false)
	) {
		throw new Error(
			`STACK_HOST=${host} would serve every network this machine is on, but the JWT secret is the ` +
				'published demo secret (anyone could sign a service_role token, and the demo keys printed by ' +
				'`supabase start` work here). Set STACK_JWT_SECRET to a secret of your own (32+ characters), ' +
				'or set STACK_ALLOW_PUBLIC_DEMO_SECRETS=1 if this network is yours alone.'
		);
	}
	const supabaseDir = path.resolve(env.STACK_SUPABASE_DIR || 'supabase');
	// config.toml's [auth.rate_limit], as the CLI passes it to GoTrue; STACK_AUTH_RATE_LIMIT_* override.
	const limits = readAuthRateLimits(supabaseDir, env);
	const tlsCert = env.STACK_TLS_CERT || null;
	const tlsKey = env.STACK_TLS_KEY || null;
	if (!tlsCert !== !tlsKey) throw new Error('STACK_TLS_CERT and STACK_TLS_KEY must be set together');
	return {
		dir: path.resolve(env.STACK_DIR || '.stack'),
		host,
		dbHost,
		dbPort,
		apiPort,
		dbFast: bool(env, 'STACK_DB_FAST', false),
		jwtSecret,
		jwtExpiry: int(env, 'STACK_JWT_EXPIRY', 3600),
		logLevel,
		apiUrl: `${tlsCert ? 'https' : 'http'}://${host}:${apiPort}`,
		dbUrl: `postgresql://postgres:postgres@${dbHost.includes(':') ? `[${dbHost}]` : dbHost}:${dbPort}/postgres`,
		siteUrl: env.STACK_SITE_URL || 'http://127.0.0.1:5173',
		maxBodyBytes: int(env, 'STACK_MAX_BODY_BYTES', 1024 * 1024),
		supabaseDir,
		dbConnectTimeoutMs: int(env, 'STACK_DB_CONNECT_TIMEOUT_MS', 5_000),
		shutdownGraceMs: int(env, 'STACK_SHUTDOWN_GRACE_MS', 5_000),
		tlsCert: tlsCert && path.resolve(tlsCert),
		tlsKey: tlsKey && path.resolve(tlsKey),
		auth: {
			enableSignup: bool(env, 'STACK_AUTH_ENABLE_SIGNUP', true),
			enableAnonymous: bool(env, 'STACK_AUTH_ENABLE_ANONYMOUS', false),
			minPasswordLength: int(env, 'STACK_AUTH_MIN_PASSWORD_LENGTH', 6),
			refreshReuseInterval: int(env, 'STACK_AUTH_REFRESH_REUSE_INTERVAL', 10),
			rateLimitSignIn: int(env, 'STACK_AUTH_RATE_LIMIT_SIGN_IN', limits.sign_in_sign_ups),
			rateLimitTokenRefresh: int(env, 'STACK_AUTH_RATE_LIMIT_TOKEN_REFRESH', limits.token_refresh),
			rateLimitAnonymous: int(env, 'STACK_AUTH_RATE_LIMIT_ANONYMOUS', limits.anonymous_users),
			rateLimitVerify: int(env, 'STACK_AUTH_RATE_LIMIT_VERIFY', limits.token_verifications),
			rateLimitHeader: env.STACK_AUTH_RATE_LIMIT_HEADER || 'X-Forwarded-For',
			trustedProxies: (env.STACK_TRUSTED_PROXIES ?? '127.0.0.1,::1')
				.split(',')
				.map((s) => s.trim())
				.filter(Boolean)
		},
		rest: {
			schemas: (env.STACK_REST_SCHEMAS || 'public')
				.split(',')
				.map((s) => s.trim())
				.filter(Boolean),
			maxRows: int(env, 'STACK_REST_MAX_ROWS', 1000),
			poolSize: int(env, 'STACK_REST_POOL_SIZE', 10),
			txEnd: txEnd(env.STACK_REST_DB_TX_END),
			aggregates: bool(env, 'STACK_REST_DB_AGGREGATES_ENABLED', false)
		},
		realtime: {
			maxConcurrentClients: int(env, 'STACK_REALTIME_MAX_CLIENTS', 200),
			maxChannelsPerClient: int(env, 'STACK_REALTIME_MAX_CHANNELS_PER_CLIENT', 100),
			maxJoinsPerSecond: int(env, 'STACK_REALTIME_MAX_JOINS_PER_SECOND', 100),
			maxEventsPerSecond: int(env, 'STACK_REALTIME_MAX_EVENTS_PER_SECOND', 100),
			maxPayloadBytes: int(env, 'STACK_REALTIME_MAX_PAYLOAD_BYTES', 256 * 1024),
			presenceCallsPer30s: int(env, 'STACK_REALTIME_PRESENCE_CALLS_PER_30S', 5),
			presenceWindowMs: int(env, 'STACK_REALTIME_PRESENCE_WINDOW_MS', 30_000),
			maxChangePayloadBytes: int(env, 'STACK_REALTIME_MAX_CHANGE_PAYLOAD_BYTES', 1024 * 1024),
			maxBufferedBytes: int(env, 'STACK_REALTIME_MAX_BUFFERED_BYTES', 8 * 1024 * 1024),
			presenceTickMs: int(env, 'STACK_REALTIME_PRESENCE_TICK_MS', 30),
			idleTimeoutMs: int(env, 'STACK_REALTIME_IDLE_TIMEOUT_MS', 60_000),
			joinErrorBackoffMs: int(env, 'STACK_REALTIME_JOIN_ERROR_BACKOFF_MS', 0),
			joinTimeoutMs: int(env, 'STACK_REALTIME_JOIN_TIMEOUT_MS', 15_000),
			// Unless set, one address may take at most half of the client slots.
			maxConnectionsPerIp: int(
				env,
				'STACK_REALTIME_MAX_CONNECTIONS_PER_IP',
				Math.max(1, Math.floor(int(env, 'STACK_REALTIME_MAX_CLIENTS', 200) / 2))
			),
			maxBindingsPerJoin: int(env, 'STACK_REALTIME_MAX_BINDINGS_PER_JOIN', 100),
			maxFiltersPerBinding: int(env, 'STACK_REALTIME_MAX_FILTERS_PER_BINDING', 10),
			replicationReadyTimeoutMs: int(env, 'STACK_REALTIME_REPLICATION_READY_TIMEOUT_MS', 60_000),
			slotName: slotName(env.STACK_REALTIME_SLOT_NAME || 'supabase_realtime_stack'),
			slotMaxLagBytes: int(env, 'STACK_REALTIME_SLOT_MAX_LAG_BYTES', 256 * 1024 * 1024),
			slotMaxWalKeepMb: int(env, 'STACK_DB_MAX_SLOT_WAL_KEEP_MB', 1024)
		}
	};
}

function slotName(name: string): string {
	if (!/^[a-z0-9_]{1,63}$/.test(name)) {
		throw new Error(
			`STACK_REALTIME_SLOT_NAME must be 1-63 lower-case letters, digits or underscores, got "${name}"`
		);
	}
	return name;
}

/** A temp folder the `postgres` OS user can enter (never under /root). */
export function tempStackDir(prefix = 'beacon-stack-'): string {
	return path.join(os.tmpdir(), `${prefix}${process.pid}-${Date.now().toString(36)}`);
}
