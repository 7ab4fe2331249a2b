/**
 * Vitest global setup: unless SUPABASE_URL points at a running Supabase (`supabase start`, or a
 * stack you started), start an isolated seeded stack and hand its URL and keys to the tests.
 */
import type { TestProject } from 'vitest/node';
import { startTestStack } from './stack.ts';

declare module 'vitest' {
	export interface ProvidedContext {
		supabaseEnv: Record<string, string>;
	}
}

export default async function setup(project: TestProject) {
	if (process.env.SUPABASE_URL) {
		project.provide('supabaseEnv', {});
		return;
	}
	const started = performance.now();
	const test = await startTestStack();
	Object.assign(process.env, test.env);
	project.provide('supabaseEnv', test.env);
	console.log(
		`test stack on ${test.env.SUPABASE_URL} (db ${test.env.SUPABASE_DB_URL}) in ${Math.round(performance.now() - started)} ms`
	);
	return () => test.dispose();
}
