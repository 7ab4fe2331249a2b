import { CuttableNetwork, expect, insertNotification, person, row, test } from './fixtures';

test.describe('never miss a notification', () => {
	test('rows inserted while the browser is offline all show after it reconnects', async ({ browser }) => {
		let network: CuttableNetwork | undefined;
		const bob = await person(browser, 'bob@example.com', (context) =>
			(network = new CuttableNetwork(context)).install()
		);
		const connection = bob.page.getByTestId('connection');

		await network!.cut();
		await expect(connection).toHaveAttribute('data-state-name', 'offline');
		await expect(connection).toContainText('Offline');
		const titles = [1, 2, 3].map((i) => `While offline ${i} ${Date.now()}`);
		for (const title of titles) {
			await insertNotification('bob@example.com', { title, actor: 'dave@example.com' });
		}
		// Nothing can arrive live while the network is down.
		await expect(row(bob.page, titles[0])).toHaveCount(0);

		await network!.restore();
		for (const title of titles) await expect(row(bob.page, title)).toBeVisible();
		await expect(connection).toHaveAttribute('data-state-name', 'live');
		await bob.context.close();
	});

	test('rows inserted around a stack restart all show after reconnecting', async ({ browser }) => {
		const bob = await person(browser, 'bob@example.com');
		const connection = bob.page.getByTestId('connection');
		const before = `Before restart ${Date.now()}`;
		await insertNotification('bob@example.com', { title: before });
		await expect(row(bob.page, before)).toBeVisible();

		const restarted = fetch(`${process.env.BEACON_STACK_CONTROL}/restart`, { method: 'POST' });
		await expect(connection).toHaveAttribute('data-state-name', 'reconnecting', { timeout: 30_000 });
		expect((await restarted).status).toBe(204);
		// The browser is still waiting out its reconnect backoff: these land before it rejoins.
		const titles = [1, 2].map((i) => `After restart ${i} ${Date.now()}`);
		for (const title of titles) await insertNotification('bob@example.com', { title });

		for (const title of titles) await expect(row(bob.page, title)).toBeVisible({ timeout: 30_000 });
		await expect(connection).toHaveAttribute('data-state-name', 'live');
		await expect(row(bob.page, before)).toHaveCount(1);
		await bob.context.close();
	});
});
