import type { SubmitFunction } from '@sveltejs/kit';

/**
 * A `use:enhance` submit function for the auth forms: reports while the request is pending and keeps
 * what the person typed when the action answers with an error.
 */
export function keepInputWhilePending(setPending: (pending: boolean) => void): SubmitFunction {
	return () => {
		setPending(true);
		return async ({ update }) => {
			await update({ reset: false });
			setPending(false);
		};
	};
}
