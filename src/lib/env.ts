import { env } from '$env/dynamic/public';

export interface PublicSettings {
	url: string;
	key: string;
	local: boolean;
}

/**
 * The public Supabase settings, read at runtime so one build runs against any stack.
 * Fails fast with a sentence that says what to set.
 */
export function publicSettings(): PublicSettings {
	const url = env.PUBLIC_SUPABASE_URL;
	const key = env.PUBLIC_SUPABASE_PUBLISHABLE_KEY || env.PUBLIC_SUPABASE_ANON_KEY;
	if (!url) {
		throw new Error(
			'PUBLIC_SUPABASE_URL is not set: put your project URL (e.g. http://127.0.0.1:54321) in .env, or start everything with `npm run dev`.'
		);
	}
	if (!key) {
		throw new Error(
			'PUBLIC_SUPABASE_PUBLISHABLE_KEY (or PUBLIC_SUPABASE_ANON_KEY) is not set: copy the publishable or anon key of your project into .env.'
		);
	}
	return { url, key, local: env.PUBLIC_BEACON_LOCAL === '1' };
}

/**
 * Server renders never open a Realtime socket; this stands in for WebSocket there (Node 20 has none,
 * and supabase-js insists on one when it builds its realtime client).
 */
export class NoServerSocket {
	constructor() {
		throw new Error('Realtime runs in the browser only.');
	}
}

export const serverRealtime = { transport: NoServerSocket as unknown as typeof WebSocket };
