/**
 * Where the person's light/dark choice is kept (absent: follow the system). The name is
 * mode-watcher's, which Beacon used before: a stored choice survives the change.
 */
export const THEME_KEY = 'mode-watcher-mode';

/**
 * Runs in <head> before first paint (app.html, under SvelteKit's CSP nonce) and makes the same
 * choice as `theme.current`, so the page never flashes the other theme. Storage can throw (blocked
 * cookies): then the system decides.
 */
export const THEME_SCRIPT = `(() => {
	let stored = null;
	try { stored = localStorage.getItem(${JSON.stringify(THEME_KEY)}); } catch {}
	const dark = stored === 'dark' || (stored !== 'light' && matchMedia('(prefers-color-scheme: dark)').matches);
	const root = document.documentElement;
	root.classList.toggle('dark', dark);
	root.style.colorScheme = dark ? 'dark' : 'light';
})();`;
