// Scenario 1(c) and 2 measure "client → gateway → RelayMiner → backend": the gateway in its own process, on the
// Decai network through `connectDecaiNetwork` (the SDK behind the gateway's `Upstream` interface). (c') beside it
// is the load generator sending relays signed as the gateway would, straight to the RelayMiner.
import type { BenchNetwork } from "./network.js";
import { type Child, freePort, waitForHttp } from "./processes.js";
import { spawnEntry } from "./runtime.js";

/** The export of @decai/gateway that builds an `Upstream` serving through the Decai network. */
export const networkUpstreamExport = "connectDecaiNetwork";

/** A gateway serving through the bench network, as the load generator reaches it. */
export type GatewayUnderTest = {
  label: string;
  /** Origin, e.g. "http://127.0.0.1:8080"; requests go to `${origin}/v1/chat/completions`. */
  origin: string;
  /** Headers every request needs (the API key). */
  headers: Record<string, string>;
  child: Child;
  stop(): Promise<void>;
};

/**
 * Whether @decai/gateway can serve through the network yet; `reason` says why not.
 *
 * @example
 * const { available, reason } = await gatewayAvailability();
 */
export async function gatewayAvailability(): Promise<{ available: boolean; reason: string }> {
  try {
    const gateway = (await import("@decai/gateway")) as Record<string, unknown>;
    if (typeof gateway[networkUpstreamExport] === "function") {
      return { available: true, reason: `@decai/gateway exports ${networkUpstreamExport}` };
    }
    return {
      available: false,
      reason: `@decai/gateway has no Decai-network upstream yet (no ${networkUpstreamExport} export)`,
    };
  } catch (error) {
    return { available: false, reason: `@decai/gateway does not load: ${(error as Error).message}` };
  }
}

/**
 * Starts the gateway in its own process (SQLite store on disk, one API key without limits), serving through
 * the bench network: it signs relays for the bench application, which delegated to it, and sends them to the
 * session's supplier, the RelayMiner at the supplier's on-chain endpoint.
 *
 * @example
 * const gateway = await startGatewayUnderTest(net);
 * await fetch(`${gateway.origin}/v1/chat/completions`, { method: "POST", headers: gateway.headers, body });
 */
export async function startGatewayUnderTest(
  net: BenchNetwork,
  options: { nodeArgs?: string[] } = {},
): Promise<GatewayUnderTest> {
  const port = await freePort();
  const child = await spawnEntry(
    "gateway",
    "bench/lib/gateway-main.ts",
    [
      "--port",
      String(port),
      "--rpc-url",
      net.anvil.rpcUrl,
      "--deployment",
      net.deploymentPath,
      "--application",
      net.application,
      "--dir",
      net.dir,
    ],
    {
      ...(options.nodeArgs ? { nodeArgs: options.nodeArgs } : {}),
      env: { DECAI_BENCH_GATEWAY_KEY: net.keys.gateway },
    },
  );
  const origin = `http://127.0.0.1:${port}`;
  await waitForHttp(`${origin}/health`, child);
  // The child prints its API key as the first stdout line, `{"apiKey":"dk_..."}`.
  const line = child
    .output()
    .split("\n")
    .find((l) => l.startsWith('{"apiKey"'));
  if (!line) throw new Error(`the gateway printed no API key:\n${child.output()}`);
  const { apiKey } = JSON.parse(line) as { apiKey: string };
  return {
    label: "(c) gateway → RelayMiner → mock backend",
    origin,
    headers: { authorization: `Bearer ${apiKey}` },
    child,
    stop: () => child.stop(),
  };
}
