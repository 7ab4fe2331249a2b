/**
 * TLS (issue 9, item 5): with STACK_TLS_CERT and STACK_TLS_KEY the gateway serves https and wss.
 * A self-signed pair is made here; supabase-js (in a child process that trusts it through
 * NODE_EXTRA_CA_CERTS) signs in, reads through REST and receives a change over wss.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { generate } from 'selfsigned';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTestStack, type TestStack } from './setup/stack.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
let test: TestStack;
let dir: string;
let certFile: string;

beforeAll(async () => {
	dir = await mkdtemp(path.join(os.tmpdir(), 'beacon-tls-'));
	const pems = await generate([{ name: 'commonName', value: '127.0.0.1' }], {
		keySize: 2048,
		algorithm: 'sha256',
		extensions: [
			{ name: 'basicConstraints', cA: true },
			{
				name: 'subjectAltName',
				altNames: [
					{ type: 7, ip: '127.0.0.1' },
					{ type: 2, value: 'localhost' }
				]
			}
		]
	});
	certFile = path.join(dir, 'cert.pem');
	const keyFile = path.join(dir, 'key.pem');
	await writeFile(certFile, pems.cert);
	await writeFile(keyFile, pems.private);
	test = await startTestStack({ STACK_TLS_CERT: certFile, STACK_TLS_KEY: keyFile });
}, 120_000);

afterAll(async () => {
	await test?.dispose();
	if (dir) await rm(dir, { recursive: true, force: true });
});

it('serves https and wss: supabase-js signs in, reads and receives changes over TLS', async () => {
	expect(test.env.SUPABASE_URL).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
	const result = await new Promise<string>((resolve, reject) => {
		const child = spawn(process.execPath, ['--import', 'tsx', 'tests/faults-tls.client.ts'], {
			cwd: ROOT,
			env: { ...process.env, ...test.env, NODE_EXTRA_CA_CERTS: certFile },
			stdio: ['ignore', 'pipe', 'inherit']
		});
		let out = '';
		child.stdout.on('data', (chunk: Buffer) => void (out += chunk.toString()));
		child.once('error', reject);
		child.once('exit', () => resolve(out.trim().split('\n').at(-1) ?? ''));
	});
	expect(JSON.parse(result)).toEqual({ signedIn: true, restRows: 1, realtime: 'over wss' });

	// Plain http on the TLS port is refused rather than answered.
	await expect(fetch(test.env.SUPABASE_URL.replace('https:', 'http:') + '/health')).rejects.toThrow();
}, 90_000);
