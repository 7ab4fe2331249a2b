/**
 * A load-generator process: runs the functions of tasks.ts when its parent (lib.ts `Generator`)
 * asks, so clients never share an event loop with the stack or with the process that measures.
 */
import * as tasks from './tasks.ts';

type Task = (...args: unknown[]) => unknown;

process.on('message', (raw) => {
	const { id, name, args } = raw as { id: number; name: string; args: unknown[] };
	const task = (tasks as unknown as Record<string, Task | undefined>)[name];
	Promise.resolve()
		.then(() => {
			if (!task) throw new Error(`no task "${name}"`);
			return task(...args);
		})
		.then(
			(result) => process.send!({ id, result: result ?? null }),
			(error: unknown) =>
				process.send!({ id, error: error instanceof Error ? (error.stack ?? error.message) : String(error) })
		);
});
process.on('SIGTERM', () => {
	setTimeout(() => process.exit(0), 2000).unref();
	void tasks.closeAll().finally(() => process.exit(0));
});
process.send!({ ready: true });
