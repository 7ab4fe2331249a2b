/**
 * ui_live: a row inserted into alice's notifications -> its title visible in the dashboard, in
 * chromium, on the production build (served by `node build` against the bench's stack, as the
 * end-to-end tests do). A MutationObserver in the page notes the first mutation after which the
 * title is in the document, then waits for the next animation frame (the frame that shows it).
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { chromium } from '@playwright/test';
import getPort from 'get-port';
import pg from 'pg';
import { LOCAL_KEYS } from '../stack/keys.ts';
import { ensureBuild } from './bundle.ts';
import { cpuMeter, epochNow, histogram, size, sleep, type Context, type ScenarioResult } from './lib.ts';

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const SYSTEM_CHROMIUM = '/usr/bin/chromium';

async function waitForHttp(url: string, timeoutMs: number): Promise<void> {
	const deadline = Date.now() + timeoutMs;
	while (Date.now() < deadline) {
		try {
			const res = await fetch(url, { redirect: 'manual', signal: AbortSignal.timeout(1000) });
			if (res.status < 500) return;
		} catch {
			// not listening yet
		}
		await sleep(100);
	}
	throw new Error(`${url} did not answer within ${timeoutMs} ms`);
}

declare global {
	interface Window {
		__want?: string;
		__seenAt?: number;
	}
}

export async function uiLive({ stack, mode }: Context): Promise<ScenarioResult> {
	const n = size(mode, 100, 30, 3);
	await ensureBuild(mode);
	const port = await getPort({ host: '127.0.0.1' });
	const appUrl = `http://127.0.0.1:${port}`;
	const app = spawn(process.execPath, ['build'], {
		cwd: ROOT,
		stdio: ['ignore', 'ignore', 'inherit'],
		env: {
			...process.env,
			PUBLIC_SUPABASE_URL: stack.url,
			PUBLIC_SUPABASE_PUBLISHABLE_KEY: LOCAL_KEYS.publishable,
			PUBLIC_BEACON_LOCAL: '1',
			HOST: '127.0.0.1',
			PORT: String(port),
			ORIGIN: appUrl
		}
	});
	const browser = await chromium.launch({
		executablePath: existsSync(SYSTEM_CHROMIUM) ? SYSTEM_CHROMIUM : undefined,
		args: [
			'--no-sandbox',
			'--disable-gpu',
			'--disable-background-networking',
			'--disable-component-update',
			'--disable-sync',
			'--no-first-run',
			'--disable-quic'
		]
	});
	const db = new pg.Client({ connectionString: stack.dbUrl });
	await db.connect();
	try {
		await waitForHttp(`${appUrl}/login`, 30_000);
		const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
		await page.goto(`${appUrl}/login`);
		await page.getByLabel('Email', { exact: true }).fill('alice@example.com');
		await page.getByLabel('Password', { exact: true }).fill('password123');
		await page.getByRole('button', { name: 'Sign in' }).click();
		await page.waitForURL(`${appUrl}/`);
		await page
			.getByTestId('connection')
			.and(page.locator('[data-state-name="live"]'))
			.waitFor({ timeout: 20_000 });
		await page.evaluate(() => {
			new MutationObserver(() => {
				const want = window.__want;
				if (!want || window.__seenAt || !document.body.textContent?.includes(want)) return;
				window.__want = undefined;
				requestAnimationFrame(() => (window.__seenAt = performance.timeOrigin + performance.now()));
			}).observe(document.body, { childList: true, subtree: true, characterData: true });
		});
		const { rows } = await db.query<{ id: string }>(
			`select id from auth.users where email = 'alice@example.com'`
		);
		const alice = rows[0].id;
		const samples: number[] = [];
		const stop = cpuMeter(stack.pid, () => []);
		for (let i = -2; i < n; i++) {
			const title = `Bench live ${i} ${Math.random().toString(36).slice(2, 8)}`;
			await page.evaluate((t) => {
				window.__want = t;
				window.__seenAt = undefined;
			}, title);
			const t0 = epochNow();
			await db.query(`insert into notifications (user_id, category, title) values ($1, 'system', $2)`, [
				alice,
				title
			]);
			const seenAt = await page.waitForFunction(() => window.__seenAt, undefined, {
				timeout: 10_000,
				polling: 20
			});
			const at = (await seenAt.jsonValue()) as number;
			if (i >= 0) samples.push(at - t0); // the first two warm the page up
			await sleep(50);
		}
		const cpu = stop();
		await db.query(`delete from notifications where title like 'Bench live %'`);
		const h = histogram(samples);
		return {
			rows: [
				{ metric: 'p50_ms', value: h.at(50), digits: 1 },
				{ metric: 'p95_ms', value: h.at(95), target: '<= 100', met: h.at(95) <= 100, digits: 1 },
				{ metric: 'samples', value: h.count, digits: 0, extra: true }
			],
			cpu,
			distributions: { 'ui_live: insert -> painted in chromium': samples }
		};
	} finally {
		await db.end();
		await browser.close();
		app.kill('SIGTERM');
		await new Promise((r) => (app.exitCode !== null ? r(null) : app.once('exit', r)));
	}
}
