import { expect, insertNotification, person, row, sql, test, userId } from './fixtures';

test.describe('untrusted text and links', () => {
	test('an XSS payload in title and body renders as text and runs nothing', async ({ browser }) => {
		const bob = await person(browser, 'bob@example.com');
		await bob.page.evaluate(() => ((window as unknown as { pwned: number }).pwned = 0));
		const title = `<img src=x onerror="window.pwned=1"> ${Date.now()}`;
		const body = '<script>window.pwned=2</script><b>bold?</b>';
		await insertNotification('bob@example.com', { title, body, actor: 'carol@example.com' });

		const item = row(bob.page, title);
		await expect(item).toBeVisible();
		await expect(item).toContainText(body);
		await expect(item.locator('img[src="x"], script, b')).toHaveCount(0);
		expect(await bob.page.evaluate(() => (window as unknown as { pwned: number }).pwned)).toBe(0);
		await bob.context.close();
	});

	test('the database refuses a javascript: link, and so does the composer', async ({ browser }) => {
		const bob = await userId('bob@example.com');
		await expect(
			sql(`insert into public.notifications (user_id, title, url) values ($1, 'x', 'javascript:alert(1)')`, [
				bob
			])
		).rejects.toThrow(/notifications_url_format/);

		const alice = await person(browser, 'alice@example.com');
		await alice.page.getByRole('button', { name: 'New notification' }).click();
		const dialog = alice.page.getByRole('dialog', { name: 'New notification' });
		await dialog.getByLabel('Title').fill('Click me');
		const link = dialog.getByLabel(/Link/);
		await link.fill('javascript:alert(1)');
		await expect(dialog.getByText(/starting with http/)).toBeVisible();
		await expect(link).toHaveAttribute('aria-invalid', 'true');
		await expect(dialog.getByRole('button', { name: 'Send' })).toBeDisabled();
		// What was typed stays.
		await expect(dialog.getByLabel('Title')).toHaveValue('Click me');
		await alice.context.close();
	});

	test('a strange but allowed link stays inside its href', async ({ browser }) => {
		const bob = await person(browser, 'bob@example.com');
		const title = `Odd link ${Date.now()}`;
		const url = 'https://example.com/"><script>window.pwned=3</script>';
		await insertNotification('bob@example.com', { title, url });
		const open = row(bob.page, title).getByRole('link', { name: /Open/ });
		await expect(open).toBeVisible();
		expect(await open.getAttribute('href')).toBe(new URL(url).href);
		await expect(open).toHaveAttribute('rel', /noopener/);
		await expect(row(bob.page, title).locator('script')).toHaveCount(0);

		const plain = `No link ${Date.now()}`;
		await insertNotification('bob@example.com', { title: plain, url: null });
		await expect(row(bob.page, plain)).toBeVisible();
		await expect(row(bob.page, plain).getByRole('link')).toHaveCount(0);
		await bob.context.close();
	});
});
