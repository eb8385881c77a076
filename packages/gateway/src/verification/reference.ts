// The gateway's trusted copy of a service's model: its tokenizer (usage audits), a prefill scorer (TOPLOC-style
// re-checks), and generation (the expected answer to watcher challenges).
import {
  type CompletionScore,
  type CompletionScorer,
  createCompletionScorer,
  createEmbeddedBackend,
  type EmbeddedBackend,
} from "@decai/llm";
import type { TokenUsage } from "../pricing.js";
import type { AnswerChoice, VerifiedEndpoint } from "./types.js";

/** What verification needs from a reference model of one service. */
export interface Reference {
  /** Prompt tokens of a request, as the service's tokenizer and chat template count them. Throws on bad input. */
  promptTokens(endpoint: VerifiedEndpoint, body: Record<string, unknown>): number;
  /** Tokens of a generated text. */
  completionTokens(text: string): number;
  /** How likely `text` is as the answer to the request (one prefill pass); `ended`: score stopping after it. */
  score(
    endpoint: VerifiedEndpoint,
    body: Record<string, unknown>,
    text: string,
    options?: { ended?: boolean; topK?: number },
  ): Promise<CompletionScore>;
  /** The reference's own answer to the request (non-streamed), e.g. at temperature 0 for a challenge. */
  generate(
    endpoint: VerifiedEndpoint,
    body: Record<string, unknown>,
    signal?: AbortSignal,
  ): Promise<{ choices: AnswerChoice[]; usage: TokenUsage }>;
  close?(): Promise<void>;
}

/**
 * A reference on an embedded llama.cpp backend that runs the service's exact weights (check its
 * `weightsDigest()` against the service's on-chain digest). Requests keep their parameters; `model` is set to
 * the backend's id and streaming is turned off.
 *
 * @example
 * const backend = await createEmbeddedBackend({ model: "/models/llama-8b.gguf", modelId: "llama-8b" });
 * const reference = await createEmbeddedReference({ backend });
 * await Verifier.create({ references: { "llama-8b": reference }, transport });
 */
export async function createEmbeddedReference(options: {
  backend: EmbeddedBackend;
  /** Default: a scorer with its own context on the backend's model. */
  scorer?: CompletionScorer;
  /** Close the backend with the reference. Default false (the caller owns it). */
  ownsBackend?: boolean;
}): Promise<Reference> {
  const { backend } = options;
  const scorer = options.scorer ?? (await createCompletionScorer(backend.llamaModel));
  const ownsScorer = options.scorer === undefined;
  const scored = (endpoint: VerifiedEndpoint, body: Record<string, unknown>) => ({
    endpoint,
    body: { ...body, model: backend.modelId },
  });
  return {
    promptTokens: (endpoint, body) => scorer.promptTokens(scored(endpoint, body)).length,
    completionTokens: (text) => scorer.tokenize(text).length,
    score: (endpoint, body, text, scoreOptions = {}) =>
      scorer.score(scored(endpoint, body), text, scoreOptions),
    async generate(endpoint, body, signal) {
      const { stream: _stream, stream_options: _options, ...rest } = body;
      const request = { ...rest, model: backend.modelId };
      const answer = (
        endpoint === "chat.completions"
          ? await backend.chat(request as never, { signal })
          : await backend.complete(request as never, { signal })
      ) as {
        choices: Array<{
          message?: { content?: string | null };
          text?: string;
          finish_reason?: string | null;
        }>;
        usage?: { prompt_tokens: number; completion_tokens: number };
      };
      return {
        choices: answer.choices.map((c) => ({
          text: c.message?.content ?? c.text ?? "",
          finishReason: c.finish_reason ?? null,
        })),
        usage: {
          inputTokens: answer.usage?.prompt_tokens ?? 0,
          outputTokens: answer.usage?.completion_tokens ?? 0,
        },
      };
    },
    async close() {
      if (ownsScorer) await scorer.close();
      if (options.ownsBackend) await backend.close();
    },
  };
}

/**
 * Loads a model and makes it a reference: `model` is a GGUF path, an `hf:` reference or `"tiny"` (the generated
 * tiny model, for devnets), served under `modelId` (the service name). Closing the reference frees the model.
 *
 * @example
 * const reference = await loadReference({ model: "tiny", modelId: "tiny-llama" });
 */
export async function loadReference(options: {
  model?: string;
  modelId: string;
  modelsDir?: string;
  threads?: number;
}): Promise<Reference & { backend: EmbeddedBackend }> {
  const backend = await createEmbeddedBackend({
    ...(options.model && options.model !== "tiny" ? { model: options.model } : {}),
    modelId: options.modelId,
    ...(options.modelsDir ? { modelsDir: options.modelsDir } : {}),
    ...(options.threads ? { threads: options.threads } : {}),
    parallel: 1,
  });
  try {
    const reference = await createEmbeddedReference({ backend, ownsBackend: true });
    return Object.assign(reference, { backend });
  } catch (error) {
    await backend.close();
    throw error;
  }
}
