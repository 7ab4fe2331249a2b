/**
 * How arrivals make themselves known: a toast in a visible tab, a desktop notification when the tab
 * is hidden, and a short beep (the last two opt-in). The reader's preferences (src/lib/preferences)
 * decide first whether an arrival may alert at all.
 */

const SOUND_KEY = 'beacon:sound';
const DESKTOP_KEY = 'beacon:desktop';

export function soundEnabled(): boolean {
	return localStorage.getItem(SOUND_KEY) === '1';
}

export function setSoundEnabled(on: boolean): void {
	localStorage.setItem(SOUND_KEY, on ? '1' : '0');
	if (on) beep();
}

export function desktopEnabled(): boolean {
	return (
		'Notification' in window &&
		Notification.permission === 'granted' &&
		localStorage.getItem(DESKTOP_KEY) === '1'
	);
}

/** Ask for permission (only ever from a click). */
export async function setDesktopEnabled(on: boolean): Promise<boolean> {
	if (!on) {
		localStorage.setItem(DESKTOP_KEY, '0');
		return false;
	}
	if (!('Notification' in window)) return false;
	const permission =
		Notification.permission === 'default' ? await Notification.requestPermission() : Notification.permission;
	localStorage.setItem(DESKTOP_KEY, permission === 'granted' ? '1' : '0');
	return permission === 'granted';
}

export function showDesktop(title: string, body: string, onClick: () => void): void {
	if (!desktopEnabled() || document.visibilityState !== 'hidden') return;
	const n = new Notification(title, { body, tag: 'beacon' });
	n.onclick = () => {
		window.focus();
		onClick();
		n.close();
	};
}

export interface AlertPlan {
	toast: boolean;
	sound: boolean;
	desktop: boolean;
}

/**
 * The alerts an arrival raises. `allowed` is the preferences' verdict (`shouldAlert`: a shown
 * category outside quiet hours); a muted arrival (null) is still listed, but raises none of them,
 * not even the screen-reader announcement.
 */
export function planAlert(allowed: boolean): AlertPlan | null {
	if (!allowed) return null;
	const hidden = document.visibilityState === 'hidden';
	return { toast: !hidden, sound: soundEnabled(), desktop: hidden && desktopEnabled() };
}

let audio: AudioContext | undefined;

/** A soft two-tone beep made with WebAudio (no file to load). */
export function beep(): void {
	try {
		audio ??= new AudioContext();
		const t = audio.currentTime;
		const gain = audio.createGain();
		gain.gain.setValueAtTime(0.0001, t);
		gain.gain.exponentialRampToValueAtTime(0.12, t + 0.02);
		gain.gain.exponentialRampToValueAtTime(0.0001, t + 0.35);
		gain.connect(audio.destination);
		for (const [freq, at] of [
			[880, 0],
			[1320, 0.09]
		]) {
			const osc = audio.createOscillator();
			osc.type = 'sine';
			osc.frequency.setValueAtTime(freq, t + at);
			osc.connect(gain);
			osc.start(t + at);
			osc.stop(t + at + 0.25);
		}
	} catch {
		// No audio available: stay quiet.
	}
}
