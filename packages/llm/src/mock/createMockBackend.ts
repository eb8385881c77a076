import type { Backend, RequestOptions } from "../backend.js";
import { createPrng } from "../model/prng.js";
import { BackendDisconnectError, modelNotFound, OpenAIError } from "../openai/errors.js";
import {
  newLabels,
  toChatChunks,
  toChatCompletion,
  toCompletion,
  toCompletionChunks,
} from "../openai/format.js";
import type { Generation, GenerationEvent } from "../openai/generation.js";
import {
  parseChatRequest,
  parseCompletionRequest,
  parseEmbeddingRequest,
  type SamplingParams,
} from "../openai/parse.js";
import { StopDetector } from "../openai/stop.js";
import type { EmbeddingResponse, ModelObject } from "../openai/types.js";
import { sleep } from "../sleep.js";
import { withCleanup } from "../stream.js";
import { countMockTokens, mockEmbedding, mockWords } from "./text.js";

/**
 * How a failing request fails:
 * - `error500`: a 500 OpenAI error after the latency;
 * - `hang`: never answers (until the client gives up);
 * - `disconnect-mid-stream`: drops the connection halfway through the tokens (at once when not streaming);
 * - `slow-first-token`: answers normally, but the first token waits `slowFirstTokenMs` more.
 */
export type MockFailureMode = "error500" | "hang" | "disconnect-mid-stream" | "slow-first-token";

/** Options of {@link createMockBackend}. */
export type MockBackendOptions = {
  /** Default `decai-mock`. */
  modelId?: string;
  /** Delay before the first token (and so before a non-streamed response). Default 0. */
  latencyMs?: number;
  /** Pace of the tokens after the first; default: as fast as possible. */
  tokensPerSecond?: number;
  /** Tokens generated when `max_tokens` does not cut earlier (finish_reason `stop`). Default 16. */
  completionTokens?: number;
  failure?: MockFailureMode;
  /** Share of requests that fail in the `failure` mode, drawn from a fixed sequence. Default 1 (all). */
  failureRate?: number;
  /** Extra first-token delay of `slow-first-token`. Default 2000. */
  slowFirstTokenMs?: number;
  /** Default 16. */
  embeddingDimensions?: number;
};

/**
 * A fast, deterministic backend for benchmarks and fault tests (not for serving users): the text is a function
 * of the model, prompt, seed and temperature only; tokens are whitespace-led words (see `countMockTokens`), so
 * usage is exact; latency, pace and failures are configurable.
 *
 * @example
 * const backend = createMockBackend({ latencyMs: 20, tokensPerSecond: 200 });
 * const flaky = createMockBackend({ failure: "disconnect-mid-stream", failureRate: 0.1 });
 */
export function createMockBackend(options: MockBackendOptions = {}): Backend {
  const modelId = options.modelId ?? "decai-mock";
  const length = options.completionTokens ?? 16;
  const rate = options.failureRate ?? 1;
  const draw = createPrng("decai-mock-failures");
  const closing = new AbortController();
  const created = Math.floor(Date.now() / 1000);

  /** Decides this request's fate, waits out `hang`, and throws `error500` / non-streamed disconnects. */
  const admit = async (params: { model: string; stream?: boolean }, signal: AbortSignal) => {
    if (closing.signal.aborted) {
      throw new OpenAIError(503, "The backend is shutting down and takes no new requests.", {
        code: "backend_closed",
      });
    }
    if (params.model !== modelId) throw modelNotFound(params.model, [modelId]);
    const fails = options.failure !== undefined && (rate >= 1 || draw() / 2 ** 32 < rate);
    const mode = fails ? options.failure : undefined;
    if (mode === "hang") await sleep(Number.POSITIVE_INFINITY, signal);
    if (mode === "error500") {
      await sleep(options.latencyMs ?? 0, signal);
      throw new OpenAIError(500, "The mock backend failed on purpose (failure mode error500).", {
        code: "mock_failure",
      });
    }
    if (mode === "disconnect-mid-stream" && !params.stream) throw new BackendDisconnectError();
    return mode;
  };

  const start = (
    params: SamplingParams,
    prompt: string,
    mode: MockFailureMode | undefined,
    signal: AbortSignal,
  ) => {
    const seed = `${params.model}|${params.temperature > 0 ? `t=${params.temperature}|s=${params.seed}` : "greedy"}|${prompt}`;
    const tokens = mockWords(seed, Math.min(length, params.maxTokens ?? length));
    const events = mockEvents(tokens, {
      truncated: params.maxTokens !== undefined && params.maxTokens < length,
      stop: params.stop,
      firstDelayMs:
        (options.latencyMs ?? 0) + (mode === "slow-first-token" ? (options.slowFirstTokenMs ?? 2000) : 0),
      tokensPerSecond: options.tokensPerSecond,
      disconnectAfter: mode === "disconnect-mid-stream" ? Math.floor(tokens.length / 2) : undefined,
      signal,
    });
    const generation: Generation = {
      promptTokens: countMockTokens(prompt),
      events: withCleanup(events, () => {}, signal),
    };
    return generation;
  };

  const linked = (signal: AbortSignal | undefined) =>
    signal ? AbortSignal.any([signal, closing.signal]) : closing.signal;

  return {
    async models(): Promise<ModelObject[]> {
      return [{ id: modelId, object: "model", created, owned_by: "decai" }];
    },
    async chat(request, { signal }: RequestOptions = {}) {
      const params = parseChatRequest(request);
      const abort = linked(signal);
      const mode = await admit(params, abort);
      const prompt = params.messages.map((m) => `${m.role}: ${m.content}`).join("\n");
      const generation = start(params, prompt, mode, abort);
      const labels = newLabels("chatcmpl", modelId, null);
      const format = { logprobs: false, includeUsage: params.includeUsage };
      return (
        params.stream
          ? toChatChunks(generation, labels, format)
          : await toChatCompletion(generation, labels, format)
      ) as never;
    },
    async complete(request, { signal }: RequestOptions = {}) {
      const params = parseCompletionRequest(request);
      const abort = linked(signal);
      const mode = await admit(params, abort);
      const prompt = typeof params.prompt === "string" ? params.prompt : params.prompt.join(" ");
      const generation = start(params, prompt, mode, abort);
      const labels = newLabels("cmpl", modelId, null);
      const format = { logprobs: undefined, includeUsage: params.includeUsage };
      return (
        params.stream
          ? toCompletionChunks(generation, labels, format)
          : await toCompletion(generation, labels, format)
      ) as never;
    },
    async embed(request, { signal }: RequestOptions = {}): Promise<EmbeddingResponse> {
      const params = parseEmbeddingRequest(request);
      await admit({ model: params.model }, linked(signal));
      await sleep(options.latencyMs ?? 0, linked(signal));
      const texts = params.inputs.map((i) => (typeof i === "string" ? i : i.join(" ")));
      const tokens = texts.reduce((sum, t) => sum + countMockTokens(t), 0);
      return {
        object: "list",
        data: texts.map((t, index) => ({
          object: "embedding",
          index,
          embedding: mockEmbedding(t, options.embeddingDimensions ?? 16),
        })),
        model: modelId,
        usage: { prompt_tokens: tokens, total_tokens: tokens },
      };
    },
    async close() {
      closing.abort();
    },
  };
}

type MockEventsOptions = {
  truncated: boolean;
  stop: readonly string[];
  firstDelayMs: number;
  tokensPerSecond: number | undefined;
  disconnectAfter: number | undefined;
  signal: AbortSignal;
};

async function* mockEvents(tokens: readonly string[], o: MockEventsOptions): AsyncGenerator<GenerationEvent> {
  await sleep(o.firstDelayMs, o.signal);
  const started = performance.now();
  const stops = new StopDetector(o.stop);
  for (const [i, token] of tokens.entries()) {
    if (i === o.disconnectAfter) throw new BackendDisconnectError();
    if (i > 0 && o.tokensPerSecond) {
      await sleep(Math.max(0, started + (i * 1000) / o.tokensPerSecond - performance.now()), o.signal);
    }
    const cut = stops.push(token);
    if (cut.text) yield { type: "text", text: cut.text };
    if (cut.stopped) return yield { type: "end", finishReason: "stop", completionTokens: i + 1 };
  }
  const rest = stops.flush();
  if (rest.text) yield { type: "text", text: rest.text };
  const finishReason = o.truncated && !rest.stopped ? "length" : "stop";
  yield { type: "end", finishReason, completionTokens: tokens.length };
}
