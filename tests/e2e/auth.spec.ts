import { appUrl, expect, inbox, test } from './fixtures';

test.describe('sign-in and session', () => {
	test('a signed-out visitor is sent to sign in, and back to the page they wanted', async ({ page }) => {
		await page.goto(`${appUrl()}/?tab=unread`);
		await expect(page).toHaveURL(/\/login\?redirectTo=/);
		await page.getByLabel('Email', { exact: true }).fill('dave@example.com');
		await page.getByLabel('Password', { exact: true }).fill('not his password');
		await page.getByRole('button', { name: 'Sign in' }).click();
		await expect(page.getByText("That email and password don't match.")).toBeVisible();
		// What was typed stays.
		await expect(page.getByLabel('Email', { exact: true })).toHaveValue('dave@example.com');

		await page.getByLabel('Password', { exact: true }).fill('password123');
		await page.getByRole('button', { name: 'Sign in' }).click();
		await expect(page).toHaveURL(`${appUrl()}/?tab=unread`);
		await expect(page.getByRole('tab', { name: /Unread/ })).toHaveAttribute('aria-selected', 'true');
	});

	test('a new person signs up, lands in an empty inbox, and signs out', async ({ page }) => {
		const email = `newcomer-${Date.now()}@example.com`;
		await page.goto(`${appUrl()}/signup`);
		await page.getByLabel('Name').fill('Nora Newcomer');
		await page.getByLabel('Email', { exact: true }).fill(email);
		await page.getByLabel('Password', { exact: true }).fill('short');
		await page.getByRole('button', { name: 'Create account' }).click();
		await expect(page.getByText(/at least 6 characters/)).toBeVisible();
		await page.getByLabel('Password', { exact: true }).fill('a good long password');
		await page.getByRole('button', { name: 'Create account' }).click();

		await expect(page).toHaveURL(`${appUrl()}/`);
		await expect(inbox(page).getByText("You're all caught up")).toBeVisible();
		await expect(page.getByTestId('unread-badge')).toHaveText('0 unread');

		await page.getByRole('button', { name: 'Account menu for Nora Newcomer' }).click();
		await page.getByRole('menuitem', { name: 'Sign out' }).click();
		await expect(page).toHaveURL(`${appUrl()}/login`);
		await page.goto(`${appUrl()}/`);
		await expect(page).toHaveURL(`${appUrl()}/login`);
	});
});
