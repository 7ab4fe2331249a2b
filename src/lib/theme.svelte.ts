import { THEME_KEY as KEY } from './theme-script';

/**
 * Light or dark: the person's choice (kept in localStorage under THEME_KEY, which the head script
 * in app.html reads before first paint) or else the system's. Applies `.dark` and `color-scheme`
 * to <html>, follows the system while no choice is stored, and other tabs.
 */
type Mode = 'light' | 'dark' | 'system';

class Theme {
	#mode = $state<Mode>('system');
	#systemDark = $state(false);

	get current(): 'light' | 'dark' {
		return this.#mode === 'system' ? (this.#systemDark ? 'dark' : 'light') : this.#mode;
	}

	toggle() {
		this.#mode = this.current === 'dark' ? 'light' : 'dark';
		localStorage.setItem(KEY, this.#mode);
		this.#apply();
	}

	/** Start following the stored choice and the system; returns the stop function. */
	watch(): () => void {
		const system = matchMedia('(prefers-color-scheme: dark)');
		const read = () => {
			const stored = localStorage.getItem(KEY);
			this.#mode = stored === 'light' || stored === 'dark' ? stored : 'system';
			this.#systemDark = system.matches;
			this.#apply();
		};
		const onStorage = (e: StorageEvent) => e.key === KEY && read();
		read();
		system.addEventListener('change', read);
		addEventListener('storage', onStorage);
		return () => {
			system.removeEventListener('change', read);
			removeEventListener('storage', onStorage);
		};
	}

	#apply() {
		const root = document.documentElement;
		root.classList.toggle('dark', this.current === 'dark');
		root.style.colorScheme = this.current;
	}
}

export const theme = new Theme();
