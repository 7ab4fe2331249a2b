import { fail, redirect } from '@sveltejs/kit';
import { safeRedirect } from '$lib/redirect';
import { explainAuthError } from '$lib/server/auth-errors';
import type { Actions } from './$types';

export const actions: Actions = {
	default: async ({ request, locals, url }) => {
		const form = await request.formData();
		const email = String(form.get('email') ?? '').trim();
		const password = String(form.get('password') ?? '');
		if (!email) return fail(400, { email, field: 'email', message: 'Enter your email address.' });
		if (!password) return fail(400, { email, field: 'password', message: 'Enter your password.' });

		const { error } = await locals.supabase.auth.signInWithPassword({ email, password });
		if (error) {
			const { field, message } = explainAuthError(error);
			return fail(error.status && error.status < 500 ? 400 : 503, { email, field, message });
		}
		redirect(303, safeRedirect(url.searchParams.get('redirectTo')));
	}
};
