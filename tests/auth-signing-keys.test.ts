/**
 * Asymmetric JWT signing keys: user tokens are ES256 with a `kid`, the public key is published at
 * /auth/v1/.well-known/jwks.json in GoTrue's shape, supabase-js's getClaims() verifies locally
 * (no /user round trip), and every part of the stack (auth, REST, realtime) accepts both these
 * tokens and the HS256 ones signed with the project secret.
 */
import { createClient } from '@supabase/supabase-js';
import { decodeJwt, decodeProtectedHeader, generateKeyPair, SignJWT } from 'jose';
import { afterAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { clientPool, closeSql, joinOutcome, signedIn, sql, testEnv } from './helpers.ts';

const pool = clientPool();
afterAll(async () => {
	await pool.removeChannels();
	await closeSql();
});

/** A supabase-js client whose requests are recorded (method and path). */
function recordingClient() {
	const { url, anonKey } = testEnv();
	const requests: string[] = [];
	const supabase = createClient(url, anonKey, {
		auth: { persistSession: false, autoRefreshToken: false },
		realtime: { transport: WebSocket as never },
		global: {
			fetch: (input, init) => {
				const target = new URL(input instanceof Request ? input.url : String(input));
				requests.push(`${init?.method ?? 'GET'} ${target.pathname}`);
				return fetch(input, init);
			}
		}
	});
	return { supabase: pool.add(supabase), requests };
}

async function jwks() {
	// Open as in Supabase's gateway: a service verifying tokens has no API key to send.
	const response = await fetch(`${testEnv().url}/auth/v1/.well-known/jwks.json`);
	expect(response.status).toBe(200);
	return (await response.json()) as { keys: Record<string, unknown>[] };
}

const HS256 = (claims: Record<string, unknown>) =>
	new SignJWT(claims)
		.setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
		.sign(new TextEncoder().encode(testEnv().jwtSecret));

describe('asymmetric signing keys', () => {
	it('signs user tokens with ES256 and a kid the JWKS publishes in GoTrue shape', async () => {
		const { session } = await signedIn('alice@example.com');
		const header = decodeProtectedHeader(session.access_token);
		expect(header).toMatchObject({ alg: 'ES256', typ: 'JWT' });
		const { keys } = await jwks();
		const key = keys.find((k) => k.kid === header.kid);
		expect(key).toEqual({
			alg: 'ES256',
			crv: 'P-256',
			ext: true,
			key_ops: ['verify'],
			kid: header.kid,
			kty: 'EC',
			use: 'sig',
			x: expect.any(String),
			y: expect.any(String)
		});
		// Only public halves: no private parameter and no HMAC secret.
		expect(keys.every((k) => !('d' in k) && k.kty !== 'oct')).toBe(true);
	});

	it('lets getClaims() verify locally: the JWKS once, then no request at all', async () => {
		const { supabase, requests } = recordingClient();
		const { data: signIn } = await supabase.auth.signInWithPassword({
			email: 'bob@example.com',
			password: 'password123'
		});
		requests.length = 0;
		const first = await supabase.auth.getClaims();
		expect(first.error).toBeNull();
		expect(first.data?.claims).toMatchObject({
			sub: signIn.user!.id,
			role: 'authenticated',
			aud: 'authenticated',
			email: 'bob@example.com'
		});
		expect(first.data?.header.alg).toBe('ES256');
		expect(requests.every((r) => r === 'GET /auth/v1/.well-known/jwks.json')).toBe(true);
		requests.length = 0;
		expect((await supabase.auth.getClaims()).error).toBeNull();
		expect(requests, 'the JWKS is cached, the token never goes to /user').toEqual([]);
	});

	it('refuses in getClaims() a token whose signature does not match the published key', async () => {
		const { session } = await signedIn('alice@example.com');
		const [h, p] = session.access_token.split('.');
		const { supabase } = recordingClient();
		const tampered = `${h}.${p}.${'A'.repeat(86)}`;
		const { data, error } = await supabase.auth.getClaims(tampered);
		expect(data).toBeNull();
		expect(error?.message).toBe('Invalid JWT signature');
	});

	it('accepts ES256 user tokens on auth, REST, realtime private channels and RLS', async () => {
		const { supabase, user } = await signedIn('carol@example.com');
		pool.add(supabase);
		expect((await supabase.auth.getUser()).data.user?.id).toBe(user.id);
		// Profiles are visible to the authenticated role only: the token's role reached RLS.
		const { data, error } = await supabase.from('profiles').select('id').eq('id', user.id);
		expect(error).toBeNull();
		expect(data).toEqual([{ id: user.id }]);

		// A private channel: RLS on realtime.messages sees auth.uid() from the ES256 token.
		const topic = `es256-${crypto.randomUUID()}`;
		const name = `rt es256 ${topic}`;
		await sql(
			`create policy "${name}" on realtime.messages for select to authenticated
			 using (realtime.topic() = '${topic}' and auth.uid() = '${user.id}'::uuid)`
		);
		try {
			const token = (await supabase.auth.getSession()).data.session!.access_token;
			await supabase.realtime.setAuth(token);
			expect(await joinOutcome(supabase.channel(topic, { config: { private: true } }))).toEqual({
				status: 'SUBSCRIBED'
			});
		} finally {
			await sql(`drop policy if exists "${name}" on realtime.messages`);
		}
	});

	it('still accepts HS256 user tokens signed with the project secret, and refuses foreign keys', async () => {
		const { session, user } = await signedIn('dave@example.com');
		const claims = decodeJwt(session.access_token);
		const legacy = await HS256(claims);
		const headers = { apikey: testEnv().anonKey, Authorization: `Bearer ${legacy}` };
		const me = await fetch(`${testEnv().url}/auth/v1/user`, { headers });
		expect(me.status).toBe(200);
		expect(((await me.json()) as { id: string }).id).toBe(user.id);
		const rest = await fetch(`${testEnv().url}/rest/v1/profiles?select=id&id=eq.${user.id}`, { headers });
		expect(await rest.json()).toEqual([{ id: user.id }]);

		// Same kid, another private key: a forgery, refused everywhere.
		const { privateKey } = await generateKeyPair('ES256');
		const kid = decodeProtectedHeader(session.access_token).kid!;
		const forged = await new SignJWT(claims)
			.setProtectedHeader({ alg: 'ES256', kid, typ: 'JWT' })
			.sign(privateKey);
		const forgedHeaders = { apikey: testEnv().anonKey, Authorization: `Bearer ${forged}` };
		const refused = await fetch(`${testEnv().url}/auth/v1/user`, { headers: forgedHeaders });
		expect(refused.status).toBe(403);
		expect(await refused.json()).toMatchObject({ error_code: 'bad_jwt' });
		const restRefused = await fetch(`${testEnv().url}/rest/v1/profiles?select=id`, {
			headers: forgedHeaders
		});
		expect(restRefused.status).toBe(401);
		// An unknown kid is refused too, and an ES256 key never verifies an HS256-labelled token.
		const unknownKid = await new SignJWT(claims)
			.setProtectedHeader({ alg: 'ES256', kid: 'nope', typ: 'JWT' })
			.sign(privateKey);
		const unknown = await fetch(`${testEnv().url}/auth/v1/user`, {
			headers: { apikey: testEnv().anonKey, Authorization: `Bearer ${unknownKid}` }
		});
		expect(await unknown.json()).toMatchObject({
			msg: 'invalid JWT: unable to parse or verify signature, token is unverifiable: error while executing keyfunc: invalid kid: nope'
		});
	});
});
