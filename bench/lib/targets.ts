import { benchModel } from "./backend.js";
import { type HeaderSource, type LoadResult, runLoad } from "./load.js";
import type { BenchNetwork } from "./network.js";
import { RelayPool, relayHeader, signRelayHeaders } from "./relays.js";

/** The request every proxy-overhead and saturation run sends: a small chat completion, 8 tokens back. */
export const smallChatBody = JSON.stringify({
  model: benchModel,
  messages: [{ role: "user", content: "ping" }],
  max_tokens: 8,
});

/** One path through the system that the same load generator drives. */
export type LoadTarget = {
  /** Short id: "a", "b", "c'", "c". */
  id: string;
  label: string;
  url: string;
  headers?: Record<string, string>;
  /** Relays must be signed per request (straight to a RelayMiner). */
  signed: boolean;
};

/**
 * Runs `target` at `connections` for `durationSeconds` after a warm-up (not recorded). Relays for a RelayMiner
 * are signed before the run, `expectedRps × seconds × 1.3` of them (each is served once); everything else gets a
 * constant header of the same size, so the generator does the same work on every path.
 *
 * @example
 * const r = await measureTarget(net, target, { connections: 16, durationSeconds: 5, warmupSeconds: 1, expectedRps: 5000 });
 */
export async function measureTarget(
  net: BenchNetwork,
  target: LoadTarget,
  o: {
    connections: number;
    durationSeconds: number;
    warmupSeconds: number;
    expectedRps: number;
    body?: string;
  },
): Promise<LoadResult> {
  const body = o.body ?? smallChatBody;
  const source = (seconds: number): HeaderSource => {
    if (!target.signed) return constantHeader(net, body);
    const count = Math.ceil(Math.max(500, o.expectedRps * seconds * 1.3) + 4 * o.connections);
    return new RelayPool(signRelayHeaders(net, { body, count }));
  };
  const run = (seconds: number) =>
    runLoad({
      url: target.url,
      body,
      ...(target.headers ? { headers: target.headers } : {}),
      connections: o.connections,
      durationSeconds: seconds,
      perRequest: { header: relayHeader, source: source(seconds) },
    });
  if (o.warmupSeconds > 0) await run(o.warmupSeconds);
  return run(o.durationSeconds);
}

const constants = new Map<string, string>();

/** A real signed relay header, reused for every request of paths that ignore it (same bytes on the wire). */
function constantHeader(net: BenchNetwork, body: string): HeaderSource {
  let value = constants.get(body);
  if (!value) {
    value = signRelayHeaders(net, { body, count: 1 })[0] as string;
    constants.set(body, value);
  }
  const fixed = value;
  return { next: () => fixed, size: Number.POSITIVE_INFINITY };
}
