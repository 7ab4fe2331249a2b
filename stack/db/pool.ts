/**
 * A pg pool whose end can be awaited to the last socket. pg-pool's `end()` resolves once it has
 * asked its idle connections to close, not once they have: a Postgres fast shutdown right after
 * then finds those sessions still open and terminates them ("terminating connection due to
 * administrator command"), and the pool reports a lost connection on a clean stop.
 */
import pg from 'pg';

const connections = new WeakMap<pg.Pool, Set<pg.Client>>();

export function createPool(config: pg.PoolConfig): pg.Pool {
	const pool = new pg.Pool(config);
	const open = new Set<pg.Client>();
	connections.set(pool, open);
	pool.on('connect', (client) => {
		open.add(client);
		client.once('end', () => open.delete(client));
	});
	return pool;
}

/** Ends the pool and waits (bounded) until every one of its connections has closed. */
export async function endPool(pool: pg.Pool, timeoutMs = 2_000): Promise<void> {
	const closed = Promise.all(
		[...(connections.get(pool) ?? [])].map((client) => new Promise((resolve) => client.once('end', resolve)))
	);
	await pool.end();
	let timer: NodeJS.Timeout | undefined;
	await Promise.race([closed, new Promise((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
	clearTimeout(timer);
}
