import { type Child, freePort, waitForHttp } from "./processes.js";
import { spawnEntry } from "./runtime.js";

/** Two bare Node.js proxy hops in front of a backend. */
export type NodeProxyChain = { origin: string; children: Child[]; stop(): Promise<void> };

/**
 * Starts two bare Node.js reverse proxies (`node-proxy-main.ts`), entry → middle → `backendOrigin`, each in its
 * own process: the same two hops as gateway → RelayMiner, with none of their work, on the same runtime.
 *
 * @example
 * const chain = await startTwoHopNodeProxy(backend.origin);
 * await fetch(`${chain.origin}/v1/chat/completions`, { method: "POST", body });
 */
export async function startTwoHopNodeProxy(backendOrigin: string): Promise<NodeProxyChain> {
  const [middlePort, entryPort] = [await freePort(), await freePort()];
  const start = async (name: string, port: number, upstream: string) => {
    const child = await spawnEntry(name, "bench/lib/node-proxy-main.ts", [
      "--port",
      String(port),
      "--upstream",
      upstream,
    ]);
    await waitForHttp(`http://127.0.0.1:${port}/health`, child);
    return child;
  };
  const middle = await start("node proxy (middle)", middlePort, backendOrigin);
  const entry = await start("node proxy (entry)", entryPort, `http://127.0.0.1:${middlePort}`);
  return {
    origin: `http://127.0.0.1:${entryPort}`,
    children: [entry, middle],
    stop: async () => {
      await entry.stop();
      await middle.stop();
    },
  };
}
