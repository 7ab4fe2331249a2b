import type { RealtimePostgresChangesPayload, SupabaseClient } from '@supabase/supabase-js';
import type { Database, Tables } from '$lib/database.types';
import type { Category } from '$lib/types';
import {
	fromRow,
	hiddenCategories,
	inQuietHours,
	isVisible,
	levelOf,
	shouldAlert,
	type Level,
	type Settings
} from './decide';
import { loadSettings, PREFERENCE_COLUMNS } from './load';

type Row = Tables<'notification_preferences'>;

/**
 * The reader's notification preferences, live: saved to their row (RLS keeps it theirs) and
 * followed through postgres_changes on it, so an edit in any tab applies in every other one.
 */
export class NotificationPreferences {
	#settings = $state.raw<Settings>(fromRow(null));
	#hidden = $derived(hiddenCategories(this.#settings));
	/** A save is on its way. */
	saving = $state(false);
	/** When the last save was confirmed (for a "Saved" note). */
	savedAt = $state<number | null>(null);
	error = $state<string | null>(null);

	#supabase: SupabaseClient<Database>;
	#userId: string;
	#pending = 0;
	#queue: Promise<void> = Promise.resolve();

	constructor(supabase: SupabaseClient<Database>, userId: string, initial: Settings | null) {
		this.#supabase = supabase;
		this.#userId = userId;
		if (initial) this.#settings = initial;
	}

	get settings(): Settings {
		return this.#settings;
	}

	/** Categories left out of the inbox list and unread count (level "off"). */
	get hidden(): readonly Category[] {
		return this.#hidden;
	}

	levelOf(category: Category): Level {
		return levelOf(this.#settings, category);
	}

	isVisible(category: Category): boolean {
		return isVisible(this.#settings, category);
	}

	/** Whether a new notification of `category` may toast, sound and raise a desktop alert now. */
	shouldAlert(category: Category, now = Date.now()): boolean {
		return shouldAlert(this.#settings, category, now);
	}

	/** Quiet hours are on right now (nudges keep quiet too). */
	quietNow(now = Date.now()): boolean {
		return inQuietHours(this.#settings, now);
	}

	/**
	 * Apply `next` at once and store it. Saves go out one after another, so the last edit wins;
	 * a refused save puts the stored settings back and says why.
	 */
	save(next: Settings): Promise<void> {
		const previous = this.#settings;
		this.#settings = next;
		this.#pending++;
		this.saving = true;
		this.error = null;
		const run = async () => {
			const { data, error } = await this.#supabase
				.from('notification_preferences')
				.upsert(next, { onConflict: 'user_id' })
				.select(PREFERENCE_COLUMNS)
				.single();
			this.#pending--;
			if (error) {
				this.error = `We couldn't save your preferences (${error.message}). Try again in a moment.`;
				if (this.#pending === 0) this.#settings = previous;
			} else {
				this.savedAt = Date.now();
				if (this.#pending === 0) this.#settings = fromRow(data);
			}
			this.saving = this.#pending > 0;
		};
		this.#queue = this.#queue.then(run, run);
		return this.#queue;
	}

	/** Follow the row live; after every (re)subscribe, read it again for what a gap may have missed. */
	connect(): () => void {
		const channel = this.#supabase
			.channel(`preferences:${this.#userId}`)
			.on(
				'postgres_changes',
				{
					event: '*',
					schema: 'public',
					table: 'notification_preferences',
					filter: `user_id=eq.${this.#userId}`
				},
				(payload: RealtimePostgresChangesPayload<Row>) => {
					// Our own saves settle from their responses; an echo could undo a newer local edit.
					if (this.#pending > 0) return;
					this.#settings = fromRow(payload.eventType === 'DELETE' ? null : payload.new);
				}
			)
			.subscribe((status) => {
				if (status === 'SUBSCRIBED') void this.refresh();
			});
		return () => void this.#supabase.removeChannel(channel);
	}

	async refresh(): Promise<void> {
		try {
			const settings = await loadSettings(this.#supabase, this.#userId);
			if (this.#pending === 0) this.#settings = settings;
		} catch {
			// Keep what we know; the next subscribe reads again.
		}
	}
}
