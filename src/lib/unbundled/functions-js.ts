/** Stands in for @supabase/functions-js in the browser build: see storage-js.ts beside it. */
import { unbundled } from './unbundled';

export class FunctionsClient {
	constructor() {
		return unbundled('Supabase Edge Functions', '@supabase/functions-js');
	}
}

export class FunctionsError extends Error {}
export class FunctionsFetchError extends FunctionsError {}
export class FunctionsHttpError extends FunctionsError {}
export class FunctionsRelayError extends FunctionsError {}
export const FunctionRegion = {};
