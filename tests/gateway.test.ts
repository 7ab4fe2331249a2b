/**
 * The gateway as a browser and curl meet it: CORS, API keys, body limits, JSON errors.
 */
import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { testEnv } from './helpers.ts';

const env = testEnv();

describe('gateway', () => {
	it('answers CORS preflights with the headers supabase-js sends and exposes Content-Range', async () => {
		const res = await fetch(`${env.url}/rest/v1/notifications`, {
			method: 'OPTIONS',
			headers: {
				origin: 'http://localhost:5173',
				'access-control-request-method': 'PATCH',
				'access-control-request-headers': 'apikey,authorization,content-type,prefer,x-client-info'
			}
		});
		expect(res.status).toBeLessThan(300);
		expect(res.headers.get('access-control-allow-origin')).toBe('http://localhost:5173');
		expect(res.headers.get('access-control-allow-methods')).toContain('PATCH');
		expect(res.headers.get('access-control-allow-headers')?.toLowerCase()).toContain('apikey');

		const get = await fetch(`${env.url}/rest/v1/notifications?select=id`, {
			headers: { origin: 'http://localhost:5173', apikey: env.anonKey }
		});
		expect(get.headers.get('access-control-expose-headers')).toContain('Content-Range');
	});

	it('refuses requests without an API key, or with a wrong one, as Kong does', async () => {
		const missing = await fetch(`${env.url}/rest/v1/notifications`);
		expect(missing.status).toBe(401);
		expect(await missing.json()).toMatchObject({ message: 'No API key found in request' });

		const wrong = await fetch(`${env.url}/rest/v1/notifications`, { headers: { apikey: 'not-a-key' } });
		expect(wrong.status).toBe(401);
		expect(await wrong.json()).toMatchObject({ message: 'Invalid API key' });
	});

	it('accepts the key as a query parameter and the opaque sb_ keys', async () => {
		// Accepted keys reach the database as anon, which holds no privilege on public tables
		// (20261202000100_revoke_anon): Postgres' 42501, not the gateway's "Invalid API key".
		const byQuery = await fetch(`${env.url}/rest/v1/profiles?select=id&apikey=${env.anonKey}`);
		expect(byQuery.status).toBe(401);
		expect(await byQuery.json()).toMatchObject({ code: '42501' });
		const publishable = await fetch(`${env.url}/rest/v1/profiles?select=id`, {
			headers: { apikey: env.publishableKey }
		});
		expect(publishable.status).toBe(401);
		expect(await publishable.json()).toMatchObject({ code: '42501' });
	});

	it('answers unknown routes and oversized bodies with JSON, and keeps serving', async () => {
		const unknown = await fetch(`${env.url}/nowhere`, { headers: { apikey: env.anonKey } });
		expect(unknown.status).toBe(404);
		expect(await unknown.json()).toHaveProperty('message');

		const huge = await fetch(`${env.url}/rest/v1/notifications`, {
			method: 'POST',
			headers: { apikey: env.anonKey, 'content-type': 'application/json' },
			body: JSON.stringify({ title: 'x'.repeat(1024 * 1024 + 1024) })
		});
		expect(huge.status).toBe(413);
		expect(await huge.json()).toHaveProperty('message');

		const health = await fetch(`${env.url}/health`);
		expect(health.status).toBe(200);
	});

	it('lets a client that sends its whole body before reading get the 413 (the close lingers)', async () => {
		// Like a simple HTTP client: the whole request is written, then the answer is read. Closing
		// at once with the body unread made the kernel reset the connection, and the 413 was lost
		// with it (EPIPE with nothing read, most of the time).
		const size = 1_100_000;
		for (let i = 0; i < 5; i++) {
			const { answer, error } = await rawPost(size, size);
			expect(error, `attempt ${i}: ${error} after ${JSON.stringify(answer)}`).toBeUndefined();
			expect(answer).toMatch(/^HTTP\/1\.1 413 /);
			expect(answer.toLowerCase()).toContain('connection: close');
		}
	});

	it('answers a request line over 16 KB with a JSON 431, even while its body is still coming', async () => {
		// Node's HTTP parser refuses it before the gateway sees it; its own answer had no body and
		// closed at once, so a client uploading a body got EPIPE instead.
		const size = 1_100_000;
		for (let i = 0; i < 3; i++) {
			const { answer, error } = await rawPost(size, size, `?select=${'x'.repeat(20_000)}`);
			expect(error, `attempt ${i}: ${error} after ${JSON.stringify(answer)}`).toBeUndefined();
			expect(answer).toMatch(/^HTTP\/1\.1 431 /);
			expect(JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4))).toEqual({
				message: 'Request Header Fields Too Large'
			});
		}
		const health = await fetch(`${env.url}/health`);
		expect(health.status).toBe(200);
	});

	it('cuts off a client that goes on uploading after the refusal', async () => {
		// Declares 256 MiB and sends as fast as it can: the lingering close reads a bounded amount.
		const declared = 256 * 1024 * 1024;
		const { answer, sent } = await rawPost(declared, declared);
		expect(answer).toMatch(/^HTTP\/1\.1 413 /);
		expect(sent).toBeLessThan(declared);
	});
});

/**
 * POSTs a body of `declared` bytes on a raw socket, writing `send` bytes of it in 64 KiB chunks as
 * fast as the socket takes them, then half-closes and reads what comes back until the server closes.
 */
function rawPost(
	declared: number,
	send: number,
	query = ''
): Promise<{ answer: string; sent: number; error?: string }> {
	const { hostname, port } = new URL(env.url);
	return new Promise((resolve) => {
		// Half-open allowed: the server's FIN after its answer does not stop this client sending.
		const socket = connect({ port: Number(port), host: hostname, allowHalfOpen: true });
		let answer = '';
		let sent = 0;
		let error: string | undefined;
		const chunk = Buffer.alloc(64 * 1024, 'x');
		socket.setEncoding('utf8');
		socket.on('data', (data: string) => (answer += data));
		socket.on('error', (e: NodeJS.ErrnoException) => (error = e.code ?? e.message));
		socket.on('close', () => resolve({ answer, sent, error: answer ? undefined : error }));
		const pump = () => {
			while (sent < send && !socket.destroyed) {
				const n = Math.min(chunk.length, send - sent);
				sent += n;
				if (!socket.write(n === chunk.length ? chunk : chunk.subarray(0, n)))
					return socket.once('drain', pump);
			}
			// The whole request is out: half-close, as an HTTP/1.0 client does, and read on.
			if (sent >= send) socket.end();
		};
		socket.write(
			`POST /rest/v1/notifications${query} HTTP/1.1\r\nHost: ${hostname}\r\napikey: ${env.anonKey}\r\n` +
				`content-type: application/json\r\ncontent-length: ${declared}\r\n\r\n`
		);
		pump();
	});
}
