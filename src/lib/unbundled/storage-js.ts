/**
 * Stands in for @supabase/storage-js in the browser build (see vite.config.ts): the dashboard uses
 * neither Storage nor Edge Functions, yet supabase-js imports both clients eagerly, about 8 KB gzip
 * of the first download. Anything that touches them fails loudly with a sentence saying why.
 */
import { unbundled } from './unbundled';

export class StorageClient {
	constructor() {
		return unbundled('Supabase Storage', '@supabase/storage-js');
	}
}

export class StorageApiError extends Error {}
