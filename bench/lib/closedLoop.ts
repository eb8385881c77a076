import type { LoadResult } from "./load.js";
import { Samples, summarize } from "./stats.js";

/**
 * A closed-loop load in this process: `connections` workers, each calling `send` again as soon as it settles,
 * for `durationSeconds`. For clients that cannot be expressed as autocannon requests (the SDK, which signs each
 * relay and checks each receipt itself); `send` resolves true for a success.
 *
 * @example
 * const r = await runClosedLoop({ connections: 1, durationSeconds: 5, send: async () => (await client.relay({ body })).status === 200 });
 */
export async function runClosedLoop(options: {
  connections: number;
  durationSeconds: number;
  send: () => Promise<boolean>;
}): Promise<LoadResult> {
  const samples = new Samples();
  let failed = 0;
  let firstError: string | undefined;
  const started = performance.now();
  const deadline = started + options.durationSeconds * 1000;
  const worker = async () => {
    while (performance.now() < deadline) {
      const t0 = performance.now();
      try {
        if (await options.send()) samples.push(performance.now() - t0);
        else failed++;
      } catch (error) {
        failed++;
        firstError ??= (error as Error).message;
      }
    }
  };
  await Promise.all(Array.from({ length: options.connections }, worker));
  const seconds = (performance.now() - started) / 1000;
  if (firstError) console.error(`  closed loop: ${failed} failures, first: ${firstError.slice(0, 300)}`);
  return {
    connections: options.connections,
    seconds: Number(seconds.toFixed(2)),
    ok: samples.length,
    rps: Math.round(samples.length / seconds),
    latencyMs: summarize(samples.view()),
    non2xx: failed,
    errors: 0,
    timeouts: 0,
    statusCodes: {},
    exhausted: false,
  };
}
