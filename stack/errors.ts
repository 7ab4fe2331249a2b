/**
 * An error that renders itself as the JSON body a Supabase client parses.
 * Each service builds the body in its own upstream's shape (GoTrue, PostgREST, Realtime).
 */
export class HttpError extends Error {
	constructor(
		readonly status: number,
		readonly body: Record<string, unknown>,
		readonly headers: Record<string, string> = {}
	) {
		super(String(body.message ?? body.msg ?? body.error ?? `HTTP ${status}`));
		this.name = 'HttpError';
	}
}
