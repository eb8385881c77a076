import type { MockBackendOptions } from "@decai/llm";
import { type Child, freePort, spawnTs, waitForHttp } from "./processes.js";

/** The model id of the bench's mock backend, and the name of the service registered for it. */
export const benchModel = "bench-mock";

/** A mock backend in a child process. */
export type BackendProcess = {
  /** Base URL without `/v1` (what a RelayMiner's `backend` takes), e.g. "http://127.0.0.1:41234". */
  origin: string;
  port: number;
  child: Child;
  stop(): Promise<void>;
};

/**
 * Starts `createMockBackend` behind `createBackendServer` in its own process and waits for `/health`.
 *
 * @example
 * const backend = await startBackendProcess({ completionTokens: 8 });
 * await fetch(`${backend.origin}/v1/chat/completions`, { method: "POST", body });
 */
export async function startBackendProcess(options: MockBackendOptions = {}): Promise<BackendProcess> {
  const port = await freePort();
  const child = spawnTs("mock backend", "bench/lib/backend-main.ts", [
    "--port",
    String(port),
    "--options",
    JSON.stringify({ modelId: benchModel, ...options }),
  ]);
  const origin = `http://127.0.0.1:${port}`;
  await waitForHttp(`${origin}/health`, child);
  return { origin, port, child, stop: () => child.stop() };
}
