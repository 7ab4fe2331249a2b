/**
 * Which failures mean "the database is not there" (down, restarting, unreachable) rather than "the
 * request was wrong": those answer 503 and are retried, never 500.
 */

/** SQLSTATE classes and codes of a lost or refused connection (08: connection exception, 57P0x: shutdown). */
const CONNECTION_SQLSTATES = /^(08...|57P01|57P02|57P03|53300)$/;
const CONNECTION_ERRNO = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH']);
const CONNECTION_TEXT =
	/Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|not queryable|the database system is (starting up|shutting down|in recovery mode)|terminating connection/i;

export function isConnectionError(error: unknown): boolean {
	if (!error || typeof error !== 'object') return false;
	const { code, message } = error as { code?: unknown; message?: unknown };
	if (typeof code === 'string' && (CONNECTION_SQLSTATES.test(code) || CONNECTION_ERRNO.has(code)))
		return true;
	if (error instanceof AggregateError) return error.errors.some(isConnectionError);
	return typeof message === 'string' && CONNECTION_TEXT.test(message);
}
