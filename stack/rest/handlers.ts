// One REST request, linearly as PostgREST's App.hs: HTTP -> ApiRequest (request.ts) -> statement
// (statements.ts: plan.ts + sql.ts) -> one transaction as the request's role (transaction.ts)
// -> a PostgREST-shaped response (respond.ts).

import type { Context } from 'hono';
import type { GatewayEnv } from '../gateway/env.ts';
import { fromPgError, isPgError, RestError } from './errors.ts';
import { openApiSpec } from './openapi.ts';
import { readRequest, type ApiRequest, type Target } from './request.ts';
import { errorResponse, respond } from './respond.ts';
import { statementFor, type HandlerDeps } from './statements.ts';
import { runStatement } from './transaction.ts';

export type { HandlerDeps } from './statements.ts';
export type { Target } from './request.ts';

async function answer(req: ApiRequest, deps: HandlerDeps): Promise<Response> {
	if (req.action.type === 'openapi') {
		const { ctx, state } = deps;
		const spec = await openApiSpec(ctx.pool, state.cache, req.schema, req.identity.role, req.host);
		const body = req.action.headersOnly ? null : JSON.stringify(spec);
		return new Response(body, {
			status: 200,
			headers: { 'Content-Type': 'application/openapi+json; charset=utf-8' }
		});
	}
	const stmt = statementFor(req, deps);
	const outcome = stmt && (await runStatement(deps, req, stmt));
	return respond(req, stmt, outcome);
}

export async function handleRequest(
	c: Context<GatewayEnv>,
	deps: HandlerDeps,
	target: Target
): Promise<Response> {
	let req: ApiRequest | undefined;
	try {
		req = await readRequest(c, deps, target);
		return await answer(req, deps);
	} catch (error) {
		if (error instanceof RestError) return errorResponse(error);
		if (isPgError(error)) return errorResponse(fromPgError(error, req?.identity.authenticated ?? false));
		deps.ctx.log.error(`rest: unexpected error on ${c.req.method} ${c.req.path}:`, error);
		return errorResponse(new RestError(500, 'PGRSTX00', 'Internal server error'));
	}
}
