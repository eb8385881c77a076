import {
  type Backend,
  type BackendServer,
  createBackendServer,
  createMockBackend,
  isStream,
  OpenAIError,
} from "@decai/llm";

/**
 * What a test makes a supplier's model backend do:
 * - `ok`: answer normally (the @decai/llm mock);
 * - `error500`: fail with HTTP 500;
 * - `hang`: never answer (until the RelayMiner gives up or its client leaves);
 * - `inflate-output` / `inflate-input`: answer, but report far more completion / prompt tokens than it used
 *   (a dishonest supplier: its RelayMiner signs what the backend reports).
 */
export type FaultMode = "ok" | "error500" | "hang" | "inflate-output" | "inflate-input";

/** A supplier's backend knobs and what it saw. */
export type Fault = {
  mode: FaultMode;
  /** Requests received. */
  calls: number;
  /** Requests whose client left before the answer was complete (a hung or streamed one, cancelled). */
  cancelled: number;
};

/**
 * The @decai/llm mock backend behind its real OpenAI-compatible HTTP server, with a fault switch in front. The
 * model is "tiny-llama"; streams pace at `tokensPerSecond` so tests can act mid-stream.
 */
export async function startFaultyBackend(
  options: { tokensPerSecond?: number; completionTokens?: number } = {},
) {
  const fault: Fault = { mode: "ok", calls: 0, cancelled: 0 };
  const inner = createMockBackend({
    modelId: "tiny-llama",
    completionTokens: options.completionTokens ?? 12,
    ...(options.tokensPerSecond ? { tokensPerSecond: options.tokensPerSecond } : {}),
  });
  const watch = (signal: AbortSignal | undefined) => {
    signal?.addEventListener("abort", () => fault.cancelled++, { once: true });
  };
  const backend: Backend = {
    models: (o) => inner.models(o),
    async chat(request, o = {}) {
      fault.calls++;
      watch(o.signal);
      if (fault.mode === "error500") throw new OpenAIError(500, "injected failure", { code: "injected" });
      if (fault.mode === "hang") {
        await new Promise((_, reject) => o.signal?.addEventListener("abort", () => reject(o.signal?.reason)));
      }
      const result = await inner.chat(request as never, o);
      if (!isStream(result)) {
        const usage = (result as { usage?: { prompt_tokens: number; completion_tokens: number } }).usage;
        if (usage && fault.mode === "inflate-output") usage.completion_tokens = 10_000;
        if (usage && fault.mode === "inflate-input") usage.prompt_tokens = 1_000_000;
      }
      return result as never;
    },
    complete: (request, o) => inner.complete(request as never, o) as never,
    embed: (request, o) => inner.embed(request, o),
    close: () => inner.close(),
  };
  const server: BackendServer = await createBackendServer(backend);
  return {
    fault,
    /** Base URL without `/v1`: the RelayMiner appends the relay's path. */
    url: `http://127.0.0.1:${server.port}`,
    reset() {
      Object.assign(fault, { mode: "ok", calls: 0, cancelled: 0 });
    },
    async stop() {
      await server.close();
      await inner.close();
    },
  };
}

export type FaultyBackend = Awaited<ReturnType<typeof startFaultyBackend>>;
