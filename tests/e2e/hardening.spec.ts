/**
 * Issue 8, items 11-13: no open redirect after sign-in, security headers, no stray cookies in the
 * HTML, and signing out ends the live session (no cached live page, gone from the roster at once).
 */
import type { Page } from '@playwright/test';
import { appUrl, expect, person, roster, test } from './fixtures';

/** Signs in as dave on /login with the given (already encoded) redirectTo. */
async function signInVia(page: Page, redirectTo: string): Promise<void> {
	await page.goto(`${appUrl()}/login?redirectTo=${redirectTo}`);
	await page.getByLabel('Email', { exact: true }).fill('dave@example.com');
	await page.getByLabel('Password', { exact: true }).fill('password123');
	await page.getByRole('button', { name: 'Sign in' }).click();
}

test('sign-in never sends anyone off site, and odd targets do not fail', async ({ browser }) => {
	for (const target of ['%2F%09%2F127.0.0.1%3A5191%2Fphish', '%0A']) {
		// A tab in the target used to send the browser off site; a newline used to give a 500.
		const context = await browser.newContext();
		const page = await context.newPage();
		await signInVia(page, target);
		await page.waitForURL(`${appUrl()}/`);
		await expect(page.getByRole('region', { name: 'Notifications', exact: true })).toBeVisible();
		await context.close();
	}
});

test('pages carry a CSP with the Supabase URL, and anti-framing, sniffing and referrer headers', async ({
	request
}) => {
	const res = await request.get(`${appUrl()}/login`);
	const headers = res.headers();
	const csp = headers['content-security-policy'] ?? '';
	const supabase = new URL(process.env.SUPABASE_URL!);
	expect(csp).toContain("frame-ancestors 'none'");
	expect(csp).toMatch(/script-src 'self' 'nonce-[^']+'/);
	expect(csp).toMatch(new RegExp(`connect-src [^;]*${supabase.origin.replace(/[.]/g, '\\.')}`));
	expect(csp).toMatch(new RegExp(`connect-src [^;]*ws://${supabase.host.replace(/[.]/g, '\\.')}`));
	expect(headers['x-frame-options']).toBe('DENY');
	expect(headers['x-content-type-options']).toBe('nosniff');
	expect(headers['referrer-policy']).toBe('strict-origin-when-cross-origin');
	expect(headers['permissions-policy']).toContain('camera=()');
});

test('the live page works under the CSP, is never stored, and holds no unrelated cookie', async ({
	browser
}) => {
	const violations: string[] = [];
	const dave = await person(browser, 'dave@example.com', async (context) => {
		await context.addCookies([{ name: 'tracking', value: 'unrelated-secret-4711', url: appUrl() }]);
		context.on('console', (m) => {
			if (/Content Security Policy/i.test(m.text())) violations.push(m.text());
		});
	});
	// Signed in and live (person() waits for it): the Supabase REST and WebSocket URLs were allowed.
	const res = await dave.page.request.get(`${appUrl()}/`);
	expect(res.headers()['cache-control']).toBe('private, no-store');
	const html = await res.text();
	expect(html).toContain('auth-token');
	expect(html).not.toContain('unrelated-secret-4711');
	expect(await dave.page.content()).not.toContain('unrelated-secret-4711');
	expect(violations).toEqual([]);
	await dave.context.close();
});

test('signing out in one tab ends the live session in every tab', async ({ browser }) => {
	// Three signed-in pages in one test.
	test.setTimeout(120_000);
	const alice = await person(browser, 'alice@example.com');
	const secondTab = await alice.context.newPage();
	await secondTab.goto(`${appUrl()}/`);
	await expect(secondTab.getByTestId('connection')).toHaveAttribute('data-state-name', 'live', {
		timeout: 30_000
	});
	const bob = await person(browser, 'bob@example.com');
	await expect(roster(bob.page).getByText('Alice Chen')).toBeVisible();

	await alice.page.getByRole('button', { name: /Account menu/ }).click();
	await alice.page.getByRole('menuitem', { name: 'Sign out' }).click();
	await alice.page.waitForURL(/\/login/);
	// Alice's other tab is still open, but it closed its channels: she leaves bob's roster now,
	// not when a socket times out.
	await expect(roster(bob.page).getByText('Alice Chen')).toBeHidden({ timeout: 5_000 });
	await expect(secondTab.getByText('Your session has ended.')).toBeVisible();

	// Back does not bring a cached live page: the page is asked for again, and sends her to sign in.
	await alice.page.goBack();
	await expect(alice.page).toHaveURL(/\/login/);
	await expect(alice.page.getByTestId('connection')).toHaveCount(0);
	await alice.context.close();
	await bob.context.close();
});
