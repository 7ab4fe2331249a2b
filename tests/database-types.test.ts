/**
 * src/lib/database.types.ts is what the migrations generate: adding a migration without running
 * `npm run gen:types` fails here, with the command to run.
 */
import { readFile } from 'node:fs/promises';
import { expect, it } from 'vitest';
import { generateTypesFromMigrations, TYPES_FILE } from '../scripts/gen-types.ts';
import { testEnv } from './helpers';

it('the committed Database types match the migrations', { timeout: 180_000 }, async () => {
	const generated = await generateTypesFromMigrations(testEnv().dbUrl);
	const committed = await readFile(TYPES_FILE, 'utf8');
	expect(
		committed === generated,
		'src/lib/database.types.ts is out of date with supabase/migrations: run `npm run gen:types`'
	).toBe(true);
});
