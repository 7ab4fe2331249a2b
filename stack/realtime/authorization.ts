/**
 * Private channel authorization through RLS on realtime.messages, as Supabase's
 * tenants/authorization.ex does it: everything runs in a transaction that is rolled back.
 *
 * Read: insert one probe row per extension (as the superuser), then under the user's role, claims
 * and `realtime.topic`, see which of them the SELECT policies let through.
 * Write: under the user's role, claims and topic, try to INSERT a row; insufficient_privilege means no.
 */
import type pg from 'pg';
import { EXTENSIONS } from './constants.ts';

export interface AuthorizationContext {
	/** The channel's sub-topic (without the `realtime:` prefix). */
	topic: string;
	role: string;
	claims: Record<string, unknown>;
}

export interface ReadPolicies {
	broadcast: boolean;
	presence: boolean;
}

export type Extension = (typeof EXTENSIONS)[keyof typeof EXTENSIONS];

/** The database could not be asked (as opposed to: it said no). */
export class AuthorizationUnavailable extends Error {}

const SET_CONTEXT = `select set_config('role', $1, true), set_config('realtime.topic', $2, true),
	set_config('request.jwt.claims', $3, true), set_config('request.jwt.claim.role', $1, true),
	set_config('request.jwt.claim.sub', $4, true)`;

function contextParams(ctx: AuthorizationContext): string[] {
	const sub = typeof ctx.claims.sub === 'string' ? ctx.claims.sub : '';
	return [ctx.role, ctx.topic, JSON.stringify(ctx.claims), sub];
}

/** A Postgres error (it has a SQLSTATE) means the policy check failed; anything else, the database is unreachable. */
function isSqlError(error: unknown): boolean {
	return (
		typeof error === 'object' && error !== null && typeof (error as { code?: unknown }).code === 'string'
	);
}

async function inRolledBackTransaction<T>(
	pool: pg.Pool,
	work: (client: pg.PoolClient) => Promise<T>
): Promise<T> {
	let client: pg.PoolClient;
	try {
		client = await pool.connect();
	} catch (error) {
		throw new AuthorizationUnavailable(String(error));
	}
	let broken = false;
	try {
		await client.query('begin');
		return await work(client);
	} catch (error) {
		if (!isSqlError(error)) {
			broken = true;
			throw new AuthorizationUnavailable(String(error));
		}
		throw error;
	} finally {
		try {
			await client.query('rollback');
		} catch {
			broken = true;
		}
		client.release(broken);
	}
}

export async function readPolicies(pool: pg.Pool, ctx: AuthorizationContext): Promise<ReadPolicies> {
	try {
		return await inRolledBackTransaction(pool, async (client) => {
			const probes = await client.query<{ id: string; extension: string }>(
				`insert into realtime.messages (topic, extension, private)
				 values ($1, 'broadcast', true), ($1, 'presence', true) returning id, extension`,
				[ctx.topic]
			);
			await client.query(SET_CONTEXT, contextParams(ctx));
			const visible = await client.query<{ extension: string }>(
				`select extension from realtime.messages where topic = $1 and id = any($2::uuid[])`,
				[ctx.topic, probes.rows.map((r) => r.id)]
			);
			const seen = new Set(visible.rows.map((r) => r.extension));
			return { broadcast: seen.has(EXTENSIONS.broadcast), presence: seen.has(EXTENSIONS.presence) };
		});
	} catch (error) {
		if (error instanceof AuthorizationUnavailable) throw error;
		// A policy that errors (or a role that does not exist) authorizes nothing.
		return { broadcast: false, presence: false };
	}
}

export async function canWrite(
	pool: pg.Pool,
	ctx: AuthorizationContext,
	extension: Extension
): Promise<boolean> {
	try {
		return await inRolledBackTransaction(pool, async (client) => {
			await client.query(SET_CONTEXT, contextParams(ctx));
			await client.query(`insert into realtime.messages (topic, extension, private) values ($1, $2, true)`, [
				ctx.topic,
				extension
			]);
			return true;
		});
	} catch (error) {
		if (error instanceof AuthorizationUnavailable) throw error;
		return false;
	}
}
