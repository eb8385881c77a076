import {
  type Backend,
  type BackendServer,
  createBackendServer,
  createMockBackend,
  isStream,
  type MockBackendOptions,
} from "@decai/llm";

/** What a supplier's model backend is doing right now, so a test can pick its moment to kill the supplier. */
export type BackendActivity = {
  /** Non-streamed completions being generated. */
  json: number;
  /** Streams being generated. */
  streams: number;
  /** Streams that have sent a token after their first chunk (a kill now cuts them mid-stream). */
  streaming: number;
  /** Completions finished (whole or cut). */
  finished: number;
  /** `performance.now()` when the last completion finished generating; -Infinity before the first. */
  lastFinishedAt: number;
};

/** A supplier's backend: the @decai/llm mock behind its real OpenAI-compatible HTTP server, with activity. */
export type TrackedBackend = {
  /** Base URL without `/v1` (the RelayMiner appends the relay's path). */
  url: string;
  activity: BackendActivity;
  /** Milliseconds since the last completion finished (Infinity before the first). */
  quietForMs(): number;
  stop(): Promise<void>;
};

/**
 * Starts the mock backend (configurable latency and tokens/s) for one supplier, counting the completions in
 * flight. A RelayMiner killed while `activity.json` or `activity.streaming` is non-zero is killed mid-request or
 * mid-stream; one killed long after `lastFinishedAt` has answered everything its backend finished.
 *
 * @example
 * const backend = await startTrackedBackend({ modelId: "tiny-llama", tokensPerSecond: 40 });
 * if (backend.activity.streaming > 0 && backend.quietForMs() > 300) supplier.kill();
 */
export async function startTrackedBackend(
  options: MockBackendOptions & { modelId: string },
): Promise<TrackedBackend> {
  const inner = createMockBackend(options);
  const activity: BackendActivity = {
    json: 0,
    streams: 0,
    streaming: 0,
    finished: 0,
    lastFinishedAt: Number.NEGATIVE_INFINITY,
  };
  const finish = (stream: boolean) => {
    if (stream) activity.streams--;
    else activity.json--;
    activity.finished++;
    activity.lastFinishedAt = performance.now();
  };
  async function* track<T>(source: AsyncIterable<T>): AsyncGenerator<T> {
    let sent = 0;
    try {
      for await (const chunk of source) {
        if (++sent === 2) activity.streaming++;
        yield chunk;
      }
    } finally {
      if (sent >= 2) activity.streaming--;
      finish(true);
    }
  }
  const backend: Backend = {
    models: (o) => inner.models(o),
    async chat(request, o) {
      const stream = (request as { stream?: unknown }).stream === true;
      if (stream) activity.streams++;
      else activity.json++;
      let result: unknown;
      try {
        result = await inner.chat(request as never, o);
      } catch (error) {
        finish(stream);
        throw error;
      }
      if (isStream(result)) return track(result as AsyncIterable<unknown>) as never;
      finish(false);
      return result as never;
    },
    complete: (request, o) => inner.complete(request as never, o) as never,
    embed: (request, o) => inner.embed(request, o),
    close: () => inner.close(),
  };
  const server: BackendServer = await createBackendServer(backend);
  return {
    url: `http://127.0.0.1:${server.port}`,
    activity,
    quietForMs: () => performance.now() - activity.lastFinishedAt,
    async stop() {
      await server.close();
      await inner.close();
    },
  };
}
