import { expect, inbox, insertNotification, newUser, person, sql, test, userId } from './fixtures';

test('older rows load on scroll, and arrivals wait in a pill while reading further down', async ({
	browser
}) => {
	const email = await newUser('Scroll Reader');
	// 45 rows, a minute apart: more than one page.
	await sql(
		`insert into public.notifications (user_id, title, created_at)
		 select $1, 'Old news ' || g, now() - make_interval(mins => g) from generate_series(1, 45) g`,
		[await userId(email)]
	);
	const reader = await person(browser, email);
	const items = inbox(reader.page).getByRole('listitem');
	await expect(items).toHaveCount(30);

	await items.last().scrollIntoViewIfNeeded();
	await expect(items).toHaveCount(45);
	await expect(inbox(reader.page).getByText(/Old news 45$/)).toBeVisible();

	await insertNotification(email, { title: 'Fresh arrival' });
	const pill = reader.page.getByRole('button', { name: '1 new' });
	await expect(pill).toBeVisible();
	await pill.click();
	await expect(inbox(reader.page).getByText('Fresh arrival')).toBeInViewport();
	await expect(pill).toBeHidden();
	await reader.context.close();
});
