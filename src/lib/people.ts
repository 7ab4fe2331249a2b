import type { SupabaseClient } from '@supabase/supabase-js';
import { SvelteMap } from 'svelte/reactivity';
import type { Profile } from './types';

/** Up to two initials for an avatar without a picture. */
export function initials(name: string): string {
	const parts = name
		.trim()
		.split(/[\s._@-]+/)
		.filter(Boolean);
	if (parts.length === 0) return '?';
	const letters =
		parts.length === 1 ? [...parts[0]].slice(0, 2) : [[...parts[0]][0], [...parts[parts.length - 1]][0]];
	return letters.join('').toUpperCase();
}

/** A stable hue per person, so the same initials always get the same colour. */
export function hueFor(id: string): number {
	let h = 0;
	for (const ch of id) h = (h * 31 + ch.charCodeAt(0)) % 360;
	return h;
}

/** A profile id as Postgres prints a uuid; anything else is not worth asking the database about. */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** Ids asked for in one request (the query string stays short). */
const LOOK_UP_BATCH = 50;

/**
 * Names and avatars of people, from public.profiles by id: the only source of a name the UI shows.
 * Reactive, so a person looked up later appears wherever their id is already on screen.
 */
export class Directory {
	#byId: SvelteMap<string, Profile>;
	/** Ids already asked for, found or not: an unknown id costs one query, once. */
	#asked = new Set<string>();

	constructor(profiles: Profile[]) {
		this.#byId = new SvelteMap(profiles.map((p) => [p.id, p]));
	}
	get(id: string | null): Profile | undefined {
		return id ? this.#byId.get(id) : undefined;
	}
	has(id: string): boolean {
		return this.#byId.has(id);
	}
	name(id: string | null): string {
		if (!id) return 'Beacon';
		return this.#byId.get(id)?.display_name || 'Someone';
	}
	all(): Profile[] {
		return [...this.#byId.values()];
	}
	add(profiles: readonly Profile[]): void {
		for (const p of profiles) this.#byId.set(p.id, p);
	}

	/** Reads the profiles of ids not known yet (people who signed up after the page loaded). */
	async lookUp(supabase: SupabaseClient, ids: Iterable<string>): Promise<void> {
		const missing: string[] = [];
		for (const id of ids) {
			if (this.#byId.has(id) || this.#asked.has(id) || !UUID.test(id)) continue;
			this.#asked.add(id);
			missing.push(id);
			if (missing.length === LOOK_UP_BATCH) break;
		}
		if (missing.length === 0) return;
		const { data, error } = await supabase
			.from('profiles')
			.select('id,display_name,avatar_url')
			.in('id', missing)
			.overrideTypes<Profile[], { merge: false }>();
		if (error) {
			// Ask again next time.
			for (const id of missing) this.#asked.delete(id);
			return;
		}
		this.add(data);
	}
}
