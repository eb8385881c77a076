import type { LlamaEmbeddingContext, LlamaModel, Token } from "node-llama-cpp";
import { OpenAIError } from "../openai/errors.js";
import { invalidParam } from "../openai/fields.js";
import { parseEmbeddingRequest } from "../openai/parse.js";
import type { EmbeddingResponse } from "../openai/types.js";
import type { FairQueue } from "../queue.js";

/** What {@link embed} needs from the backend. */
export type EmbedDeps = {
  modelId: string;
  model: LlamaModel;
  contexts: FairQueue<LlamaEmbeddingContext>;
  vocabularySize: number;
  /** Tokens the embedding context holds. */
  contextSize: number;
  signal: AbortSignal;
  checkModel(model: string): void;
};

/**
 * Computes L2-normalised embeddings (as llama.cpp's server and OpenAI return them), one input at a time on the
 * shared embedding context. `prompt_tokens` counts the tokens actually evaluated, BOS/EOS included.
 *
 * @example
 * await embed({ model: "decai-tiny", input: "hello" }, deps);
 */
export async function embed(request: unknown, deps: EmbedDeps): Promise<EmbeddingResponse> {
  const params = parseEmbeddingRequest(request);
  deps.checkModel(params.model);
  for (const input of params.inputs) {
    if (typeof input !== "string" && input.some((t) => t >= deps.vocabularySize)) {
      throw invalidParam("input", `token ids must be below the vocabulary size ${deps.vocabularySize}`);
    }
  }
  const context = await deps.contexts.acquire(deps.signal);
  try {
    let promptTokens = 0;
    const data: EmbeddingResponse["data"] = [];
    for (const [index, input] of params.inputs.entries()) {
      deps.signal.throwIfAborted();
      const tokens = typeof input === "string" ? input : (input as Token[]);
      const length = context.calculateInputLength(tokens);
      if (length >= deps.contextSize) {
        throw new OpenAIError(
          400,
          `Input ${index} has ${length} tokens; the context holds ${deps.contextSize - 1}.`,
          {
            param: "input",
            code: "context_length_exceeded",
          },
        );
      }
      const { vector } = await context.getEmbeddingFor(tokens);
      promptTokens += length;
      const unit = normalize(vector);
      data.push({
        object: "embedding",
        index,
        embedding:
          params.encodingFormat === "base64" ? Buffer.from(unit.buffer).toString("base64") : [...unit],
      });
    }
    return {
      object: "list",
      data,
      model: deps.modelId,
      usage: { prompt_tokens: promptTokens, total_tokens: promptTokens },
    };
  } finally {
    deps.contexts.release(context);
  }
}

function normalize(vector: readonly number[]): Float32Array {
  const out = Float32Array.from(vector);
  const norm = Math.sqrt(out.reduce((sum, x) => sum + x * x, 0));
  if (norm > 0) for (let i = 0; i < out.length; i++) out[i] = (out[i] as number) / norm;
  return out;
}
