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

export class Directory {
	#byId: Map<string, Profile>;
	constructor(profiles: Profile[]) {
		this.#byId = new Map(profiles.map((p) => [p.id, p]));
	}
	get(id: string | null): Profile | undefined {
		return id ? this.#byId.get(id) : undefined;
	}
	name(id: string | null): string {
		if (!id) return 'Beacon';
		return this.#byId.get(id)?.display_name || 'Someone';
	}
	all(): Profile[] {
		return [...this.#byId.values()];
	}
}
