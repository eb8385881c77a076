import { randomInt } from "node:crypto";
import { stat } from "node:fs/promises";
import { availableParallelism } from "node:os";
import {
  getLlama,
  type Llama,
  type LlamaContext,
  type LlamaContextSequence,
  type LlamaEmbeddingContext,
  LlamaLogLevel,
  type LlamaModel,
} from "node-llama-cpp";
import type { Backend, RequestOptions } from "../backend.js";
import { sha256File } from "../model/sha256File.js";
import { modelNotFound, OpenAIError } from "../openai/errors.js";
import { toUint32Seed } from "../openai/fields.js";
import {
  newLabels,
  toChatChunks,
  toChatCompletion,
  toCompletion,
  toCompletionChunks,
} from "../openai/format.js";
import type { Generation } from "../openai/generation.js";
import { parseChatRequest, parseCompletionRequest, type SamplingParams } from "../openai/parse.js";
import type { ModelObject } from "../openai/types.js";
import { FairQueue, type QueueStats } from "../queue.js";
import { withCleanup } from "../stream.js";
import { embed } from "./embed.js";
import { generate } from "./generate.js";
import { defaultModelsDir, resolveModel } from "./loadModel.js";
import { createChatPrompter, type Prompt, tokenizeCompletionPrompt } from "./prompt.js";

/** Options of {@link createEmbeddedBackend}. */
export type EmbeddedBackendOptions = {
  /** GGUF path, `hf:` reference or URL; default: the generated tiny model. */
  model?: string;
  /** Id in `/v1/models` and the `model` field requests must carry; default `decai-tiny` or the file name. */
  modelId?: string;
  /** Where the tiny model is written and `hf:` models are downloaded; default {@link defaultModelsDir}. */
  modelsDir?: string;
  /** Sequences generating at once (one llama.cpp context, batched together). Default 2. */
  parallel?: number;
  /** Requests allowed to wait for a sequence before new ones get 503. Default 64. */
  maxQueue?: number;
  /** Tokens per sequence (prompt + completion). Default: the model's training size, at most 4096. */
  contextSize?: number;
  /**
   * CPU threads per evaluation. Default: 1 for models under 64 MiB (thread synchronisation costs more than the
   * math), else the CPU's math cores (node-llama-cpp's own default may exceed the cores, and its spinning threads
   * then crawl).
   */
  threads?: number;
  /** GPU backend for llama.cpp; default `"auto"` (CPU where there is none). */
  gpu?: "auto" | false | "cuda" | "vulkan" | "metal";
  /** Reuse an already loaded llama.cpp binding (loading one takes about a second). */
  llama?: Llama;
};

/** Queue state plus generation outcomes: `cancelled` ones ended early (client gone, aborted, or closed). */
export type EmbeddedStats = QueueStats & { completed: number; cancelled: number };

/** The embedded llama.cpp backend, with what a supplier needs to know about the model it serves. */
export type EmbeddedBackend = Backend & {
  readonly modelId: string;
  readonly modelPath: string;
  /** Tokens per sequence. */
  readonly contextSize: number;
  /** The loaded model, e.g. to tokenize with the service's own tokenizer. */
  readonly llamaModel: LlamaModel;
  /** sha256 of the GGUF file (the service's weights digest), hashed on first call for user models. */
  weightsDigest(): Promise<`0x${string}`>;
  /** Sequences in use, requests waiting, and how generations ended so far. */
  stats(): EmbeddedStats;
};

/**
 * Loads a GGUF model into llama.cpp (through node-llama-cpp) and serves it with OpenAI semantics: `parallel`
 * sequences generate at once, further requests wait in a FIFO line, exact usage comes from the model's tokenizer.
 * At temperature 0, or with a fixed `seed`, the same request gives the same output.
 *
 * @example
 * const backend = await createEmbeddedBackend({ parallel: 2 }); // the generated tiny model
 * const completion = await backend.chat({ model: "decai-tiny", messages: [{ role: "user", content: "Hi" }], temperature: 0 });
 * await backend.close();
 */
export async function createEmbeddedBackend(options: EmbeddedBackendOptions = {}): Promise<EmbeddedBackend> {
  const parallel = options.parallel ?? 2;
  if (!Number.isInteger(parallel) || parallel < 1) {
    throw new RangeError(`parallel must be a positive integer, got ${parallel}`);
  }
  const resolved = await resolveModel(options.model, options.modelsDir ?? defaultModelsDir());
  const size = await stat(resolved.path).then(
    (s) => s.size,
    () => {
      throw new Error(
        `No model file at ${resolved.path}: pass a GGUF path, an hf: reference, or nothing (tiny model).`,
      );
    },
  );
  const modelId = options.modelId ?? resolved.id;
  const ownsLlama = options.llama === undefined;
  const llama =
    options.llama ??
    (await getLlama({ gpu: options.gpu ?? "auto", build: "never", logLevel: LlamaLogLevel.warn }));
  const cores = Math.max(1, Math.min(llama.cpuMathCores, availableParallelism()));
  const threads = options.threads ?? (size < 64 * 1024 * 1024 ? 1 : cores);
  let model: LlamaModel | undefined;
  let context: LlamaContext | undefined;
  try {
    model = await llama.loadModel({ modelPath: resolved.path });
    context = await model.createContext({
      sequences: parallel,
      contextSize: options.contextSize ?? Math.min(model.trainContextSize, 4096),
      threads,
    });
  } catch (err) {
    await model?.dispose();
    if (ownsLlama) await llama.dispose();
    throw err;
  }
  const sequences: LlamaContextSequence[] = Array.from({ length: parallel }, () => context.getSequence());
  const maxQueue = options.maxQueue ?? 64;
  return new Embedded({ llama, ownsLlama, model, context, sequences, modelId, resolved, threads, maxQueue });
}

type EmbeddedInit = {
  maxQueue: number;
  llama: Llama;
  ownsLlama: boolean;
  model: LlamaModel;
  context: LlamaContext;
  sequences: LlamaContextSequence[];
  modelId: string;
  resolved: { path: string; sha256: `0x${string}` | undefined };
  threads: number;
};

class Embedded implements EmbeddedBackend {
  readonly modelId: string;
  readonly modelPath: string;
  readonly contextSize: number;
  readonly llamaModel: LlamaModel;
  readonly #init: EmbeddedInit;
  readonly #queue: FairQueue<LlamaContextSequence>;
  readonly #chatPrompt: ReturnType<typeof createChatPrompter>;
  readonly #vocabularySize: number;
  readonly #created = Math.floor(Date.now() / 1000);
  readonly #fingerprint: string | null;
  readonly #closing = new AbortController();
  readonly #active = new Set<Promise<void>>();
  readonly #counts = { completed: 0, cancelled: 0 };
  #digest: Promise<`0x${string}`> | undefined;
  #embedding: Promise<FairQueue<LlamaEmbeddingContext>> | undefined;

  constructor(init: EmbeddedInit) {
    this.#init = init;
    this.modelId = init.modelId;
    this.modelPath = init.resolved.path;
    this.llamaModel = init.model;
    this.contextSize = init.context.contextSize;
    this.#queue = new FairQueue(init.sequences, { maxWaiting: init.maxQueue });
    this.#chatPrompt = createChatPrompter(init.model);
    const tokens = (
      init.model.fileInfo.metadata as unknown as { tokenizer?: { ggml?: { tokens?: unknown[] } } }
    ).tokenizer?.ggml?.tokens;
    this.#vocabularySize = tokens?.length ?? Number.POSITIVE_INFINITY;
    const digest = init.resolved.sha256;
    this.#fingerprint = digest ? `fp_${digest.slice(2, 14)}` : null;
    if (digest) this.#digest = Promise.resolve(digest);
  }

  weightsDigest(): Promise<`0x${string}`> {
    this.#digest ??= sha256File(this.modelPath);
    return this.#digest;
  }

  stats(): EmbeddedStats {
    return { ...this.#queue.stats, ...this.#counts };
  }

  async models(): Promise<ModelObject[]> {
    return [{ id: this.modelId, object: "model", created: this.#created, owned_by: "decai" }];
  }

  async chat(request: unknown, options: RequestOptions = {}): Promise<never> {
    const params = parseChatRequest(request);
    this.#checkModel(params.model);
    const prompt = this.#chatPrompt(params.messages);
    const topLogprobs = params.logprobs ? params.topLogprobs : undefined;
    const run = await this.#start(params, prompt, { topLogprobs, promptParam: "messages" }, options);
    const labels = newLabels("chatcmpl", this.modelId, this.#fingerprint);
    const format = { logprobs: params.logprobs, includeUsage: params.includeUsage };
    if (params.stream)
      return withCleanup(toChatChunks(run.generation, labels, format), run.release, run.signal) as never;
    try {
      return (await toChatCompletion(run.generation, labels, format)) as never;
    } finally {
      await run.release();
    }
  }

  async complete(request: unknown, options: RequestOptions = {}): Promise<never> {
    const params = parseCompletionRequest(request);
    this.#checkModel(params.model);
    const tokens = tokenizeCompletionPrompt(this.llamaModel, params.prompt, this.#vocabularySize);
    const prompt: Prompt = { tokens, stopTokens: new Set(), stopTexts: [] };
    const topLogprobs = params.logprobs;
    const run = await this.#start(params, prompt, { topLogprobs, promptParam: "prompt" }, options);
    const labels = newLabels("cmpl", this.modelId, this.#fingerprint);
    const format = { logprobs: params.logprobs, includeUsage: params.includeUsage };
    if (params.stream) {
      return withCleanup(
        toCompletionChunks(run.generation, labels, format),
        run.release,
        run.signal,
      ) as never;
    }
    try {
      return (await toCompletion(run.generation, labels, format)) as never;
    } finally {
      await run.release();
    }
  }

  async embed(request: unknown, options: RequestOptions = {}): Promise<never> {
    this.#checkOpen();
    this.#embedding ??= this.llamaModel
      .createEmbeddingContext({
        contextSize: this.contextSize,
        threads: this.#init.threads,
      })
      .then((ctx) => new FairQueue([ctx], { maxWaiting: this.#init.maxQueue }));
    return (await embed(request, {
      modelId: this.modelId,
      model: this.llamaModel,
      contexts: await this.#embedding,
      vocabularySize: this.#vocabularySize,
      contextSize: this.contextSize,
      signal: this.#signal(options.signal),
      checkModel: (m) => this.#checkModel(m),
    })) as never;
  }

  async close(): Promise<void> {
    if (this.#closing.signal.aborted) return;
    this.#closing.abort();
    this.#queue.close();
    await Promise.all(this.#active); // aborting makes every generation stop and release its sequence
    const embedding = await this.#embedding?.catch(() => undefined);
    embedding?.close();
    await this.#init.context.dispose();
    await this.llamaModel.dispose();
    if (this.#init.ownsLlama) await this.#init.llama.dispose();
  }

  #checkOpen(): void {
    if (this.#closing.signal.aborted) {
      throw new OpenAIError(503, "The backend is closed and takes no new requests.", {
        code: "backend_closed",
      });
    }
  }

  #checkModel(model: string): void {
    this.#checkOpen();
    if (model !== this.modelId) throw modelNotFound(model, [this.modelId]);
  }

  #signal(signal: AbortSignal | undefined): AbortSignal {
    return signal ? AbortSignal.any([signal, this.#closing.signal]) : this.#closing.signal;
  }

  /**
   * Checks the prompt fits and waits for a sequence. The caller must call `release` exactly once however the
   * generation ends (streams: through `withCleanup`, which also covers streams that are never read).
   */
  async #start(
    params: SamplingParams,
    prompt: Prompt,
    { topLogprobs, promptParam }: { topLogprobs: number | undefined; promptParam: string },
    options: RequestOptions,
  ): Promise<{ generation: Generation; release: () => Promise<void>; signal: AbortSignal }> {
    const room = this.contextSize - prompt.tokens.length;
    if (room < 1 || (params.maxTokens !== undefined && params.maxTokens > room)) {
      const asked = params.maxTokens === undefined ? "" : ` plus ${params.maxTokens} completion tokens`;
      throw new OpenAIError(
        400,
        `This model's context holds ${this.contextSize} tokens, but the request needs ${prompt.tokens.length} prompt tokens${asked}. Shorten the prompt or lower max_tokens.`,
        { param: promptParam, code: "context_length_exceeded" },
      );
    }
    const signal = this.#signal(options.signal);
    const sequence = await this.#queue.acquire(signal);
    let ended = false;
    const generated = generate(sequence, {
      promptTokens: prompt.tokens,
      maxTokens: params.maxTokens ?? room,
      temperature: params.temperature,
      topP: params.topP,
      seed: params.seed === undefined ? randomInt(2 ** 32 - 1) : toUint32Seed(params.seed),
      stopTexts: [...params.stop, ...prompt.stopTexts],
      stopTokens: prompt.stopTokens,
      topLogprobs,
      signal,
    });
    const events = (async function* () {
      for await (const event of generated) {
        if (event.type === "end") ended = true;
        yield event;
      }
    })();
    let markReleased = () => {};
    const released = new Promise<void>((resolve) => {
      markReleased = resolve;
    });
    this.#active.add(released);
    const release = async () => {
      await sequence.clearHistory().catch(() => {}); // fails only once the context is disposed
      this.#queue.release(sequence);
      if (ended) this.#counts.completed++;
      else this.#counts.cancelled++;
      this.#active.delete(released);
      markReleased();
    };
    return { generation: { promptTokens: prompt.tokens.length, events }, release, signal };
  }
}
