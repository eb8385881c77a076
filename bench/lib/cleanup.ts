// Benchmarks start anvil, nginx and Node children; a run stopped with Ctrl-C (or killed by a timeout) must not
// leave them running, loading the machine and skewing the next run.

const tasks: (() => Promise<void>)[] = [];
let installed = false;

/**
 * Registers `stop` to run (newest first) by {@link runCleanup}, and on SIGINT/SIGTERM before exiting.
 *
 * @example
 * const net = await startBenchNetwork(); onCleanup(() => net.stop());
 */
export function onCleanup(stop: () => Promise<void>): void {
  tasks.unshift(stop);
  if (installed) return;
  installed = true;
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.once(signal, () => {
      console.error(`\n${signal}: stopping the benchmark's processes...`);
      void runCleanup().finally(() => process.exit(130));
    });
  }
}

/**
 * Runs every registered stop once, newest first, reporting (not throwing) failures.
 *
 * @example
 * try { await measure(); } finally { await runCleanup(); }
 */
export async function runCleanup(): Promise<void> {
  while (tasks.length > 0) {
    const stop = tasks.shift() as () => Promise<void>;
    await stop().catch((error: unknown) => console.error(`cleanup failed: ${String(error)}`));
  }
}
