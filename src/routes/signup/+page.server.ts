import { fail, redirect } from '@sveltejs/kit';
import { explainAuthError } from '$lib/server/auth-errors';
import type { Actions } from './$types';

export const actions: Actions = {
	default: async ({ request, locals }) => {
		const form = await request.formData();
		const name = String(form.get('name') ?? '').trim();
		const email = String(form.get('email') ?? '').trim();
		const password = String(form.get('password') ?? '');
		if (!email) return fail(400, { name, email, field: 'email', message: 'Enter your email address.' });
		if (password.length < 6) {
			return fail(400, {
				name,
				email,
				field: 'password',
				message: 'Choose a password of at least 6 characters.'
			});
		}
		const { data, error } = await locals.supabase.auth.signUp({
			email,
			password,
			options: { data: { display_name: name || email.split('@')[0] } }
		});
		if (error) {
			const { field, message } = explainAuthError(error);
			return fail(error.status && error.status < 500 ? 400 : 503, { name, email, field, message });
		}
		if (!data.session) {
			return { name, email, confirm: true };
		}
		redirect(303, '/');
	}
};
