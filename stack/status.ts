import type { StackConfig } from './config.ts';
import { LOCAL_KEYS } from './keys.ts';

/** The block `supabase status` prints: URLs and the local keys. */
export function statusBlock(config: StackConfig): string {
	const rows: Array<[string, string]> = [
		['API URL', config.apiUrl],
		['REST URL', `${config.apiUrl}/rest/v1`],
		['Auth URL', `${config.apiUrl}/auth/v1`],
		['Realtime URL', `${config.apiUrl.replace(/^http/, 'ws')}/realtime/v1`],
		['DB URL', config.dbUrl],
		['JWT secret', config.jwtSecret],
		['Publishable key', LOCAL_KEYS.publishable],
		['Secret key', LOCAL_KEYS.secret],
		['anon key', LOCAL_KEYS.anon],
		['service_role key', LOCAL_KEYS.serviceRole],
		['Data folder', config.dir]
	];
	const width = Math.max(...rows.map(([k]) => k.length));
	return rows.map(([k, v]) => `${k.padStart(width)}: ${v}`).join('\n');
}
