import { gzipSync } from 'node:zlib';
import { appUrl, expect, person, test, type Person } from './fixtures';

/** The dashboard's first download budget (issue 11): what `/` loads before anything is opened. */
const BUDGET_KB = 130;

/**
 * The scripts the dashboard's first response loads: SvelteKit names every static import of the
 * route as a modulepreload (in the Link header, or as <link> tags) and imports its two entries from
 * the inline start script. Lazy parts (the composer, dialogs, menus, the chart, the toasts) are not
 * among them.
 */
async function firstPaintScripts({ page }: Person): Promise<string[]> {
	const res = await page.request.get(`${appUrl()}/`);
	expect(res.status(), 'the dashboard answers for a signed-in person').toBe(200);
	const html = await res.text();
	const urls = new Set<string>();
	for (const [, href] of (res.headers()['link'] ?? '').matchAll(/<([^>]+)>;\s*rel="modulepreload"/g))
		urls.add(href);
	for (const [, href] of html.matchAll(/<link[^>]+rel="modulepreload"[^>]+href="([^"]+)"/g)) urls.add(href);
	for (const [, href] of html.matchAll(/import\("([^"]+\.js)"\)/g)) urls.add(href);
	return [...urls].map((href) => new URL(href, `${appUrl()}/`).href);
}

test('the dashboard loads at most 130 KB of gzipped JavaScript at first paint', async ({ browser }) => {
	const alice = await person(browser, 'alice@example.com');
	const scripts = await firstPaintScripts(alice);
	expect(scripts.length, 'the HTML lists the route’s scripts').toBeGreaterThan(2);
	const sizes = await Promise.all(
		scripts.map(async (url) => {
			const res = await alice.page.request.get(url);
			expect(res.ok(), url).toBe(true);
			return { url, kb: gzipSync(await res.body(), { level: 9 }).length / 1024 };
		})
	);
	const total = sizes.reduce((sum, s) => sum + s.kb, 0);
	const table = sizes.map((s) => `${s.kb.toFixed(1).padStart(6)} KB ${s.url}`).join('\n');
	expect(total, `first-paint JavaScript over budget:\n${table}`).toBeLessThanOrEqual(BUDGET_KB);
	await alice.context.close();
});

test('the composer’s code arrives on first open, not with the page', async ({ browser }) => {
	const alice = await person(browser, 'alice@example.com');
	const initial = new Set(await firstPaintScripts(alice));
	const later: string[] = [];
	alice.page.on('request', (req) => {
		if (req.resourceType() === 'script' && !initial.has(req.url())) later.push(req.url());
	});
	await alice.page.getByRole('button', { name: 'New notification' }).click();
	await expect(alice.page.getByRole('dialog', { name: 'New notification' })).toBeVisible();
	expect(later.length, 'opening the composer fetched its code').toBeGreaterThan(0);
	await alice.context.close();
});
