/**
 * A wrong password must not tell whether the email is registered: an unknown email costs the
 * same bcrypt comparison as a known one (GoTrue compares against a hash either way).
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { client, testEnv } from './helpers.ts';

async function wrongPasswordMs(email: string): Promise<number> {
	const env = testEnv();
	const started = performance.now();
	const response = await fetch(`${env.url}/auth/v1/token?grant_type=password`, {
		method: 'POST',
		headers: { apikey: env.anonKey, 'Content-Type': 'application/json' },
		body: JSON.stringify({ email, password: 'not-the-password' })
	});
	await response.text();
	expect(response.status).toBe(400);
	return performance.now() - started;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

describe('user enumeration by timing', () => {
	it('answers a wrong password for an unknown email as slowly as for a known one', async () => {
		// A user signed up through the API has a hash of GoTrue's cost (seeded demo users may not).
		const email = `timing-${randomUUID()}@example.com`;
		const { error } = await client().auth.signUp({ email, password: `pw-${randomUUID()}` });
		expect(error).toBeNull();
		const known: number[] = [];
		const unknown: number[] = [];
		// Interleaved, so a burst of load on the shared machine hits both series alike.
		for (let i = 0; i < 7; i++) {
			known.push(await wrongPasswordMs(email));
			unknown.push(await wrongPasswordMs(`nobody-${i}@example.com`));
		}
		const ratio = median(unknown) / median(known);
		expect(ratio, `median unknown ${median(unknown)} ms vs known ${median(known)} ms`).toBeGreaterThan(0.5);
	});
});
