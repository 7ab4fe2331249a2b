import type { ApiKeyRole } from '../keys.ts';

/** Hono environment shared by the gateway and the services it mounts. */
export interface GatewayEnv {
	Variables: {
		/** The role the request's API key grants, checked by the gateway. */
		apiKeyRole: ApiKeyRole;
		/** The API key as sent (header `apikey` or query `apikey`). */
		apiKey: string;
	};
}
