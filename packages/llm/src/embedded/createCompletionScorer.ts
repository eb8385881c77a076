import type { LlamaContext, LlamaContextSequence, LlamaModel, Token } from "node-llama-cpp";
import { OpenAIError } from "../openai/errors.js";
import { parseChatRequest, parseCompletionRequest } from "../openai/parse.js";
import { FairQueue } from "../queue.js";
import { createChatPrompter, tokenizeCompletionPrompt } from "./prompt.js";
import { type CompletionScore, scoreCompletion } from "./scoreCompletion.js";

/** Options of {@link createCompletionScorer}. */
export type CompletionScorerOptions = {
  /** Prompt + completion tokens one check may hold. Default: the model's training size, at most 4096. */
  contextSize?: number;
  /** Checks evaluated at once. Default 1. */
  sequences?: number;
  /** CPU threads. Default 1 (enough for small models; raise it for real ones). */
  threads?: number;
  /** Default `k` of the top-k share. Default 10. */
  topK?: number;
};

/** A request as the OpenAI API receives it: which endpoint, and its JSON body. */
export type ScoredRequest = { endpoint: "chat.completions" | "completions"; body: unknown };

/**
 * A model's own view of requests and answers: the exact prompt tokens a request makes (chat template applied, as
 * the embedded backend builds them), the tokens of a text, and how likely an answer is under the model.
 */
export type CompletionScorer = {
  /** The prompt tokens of a request, exactly as the embedded backend counts `prompt_tokens`. Throws `OpenAIError`. */
  promptTokens(request: ScoredRequest): Token[];
  /** Tokens of a completion text (no special-token parsing, no BOS). */
  tokenize(text: string): Token[];
  /** Tokens that end a chat turn for this model (its end-of-generation tokens and the template's end marker). */
  readonly endTokens: readonly Token[];
  /** Prompt + completion tokens one check may hold. */
  readonly contextSize: number;
  /**
   * Scores `completion` as the answer to `request` in one prefill pass. `ended`: also score ending the turn right
   * after it (`endLogprob`), for answers that claim to have stopped on their own. Throws `OpenAIError` 400
   * (`context_length_exceeded`) when prompt + completion do not fit.
   */
  score(
    request: ScoredRequest,
    completion: string,
    options?: { ended?: boolean; topK?: number; signal?: AbortSignal },
  ): Promise<CompletionScore>;
  /** Frees the scorer's context (the model stays loaded). */
  close(): Promise<void>;
};

/**
 * Creates a scorer on an already loaded model (e.g. an embedded backend's `llamaModel`), with its own llama.cpp
 * context so checks never take sequences from generation.
 *
 * @example
 * const backend = await createEmbeddedBackend();
 * const scorer = await createCompletionScorer(backend.llamaModel);
 * const score = await scorer.score({ endpoint: "chat.completions", body: request }, answerText);
 * console.log(score.topKShare, score.meanLogprob);
 */
export async function createCompletionScorer(
  model: LlamaModel,
  options: CompletionScorerOptions = {},
): Promise<CompletionScorer> {
  const context: LlamaContext = await model.createContext({
    sequences: options.sequences ?? 1,
    contextSize: options.contextSize ?? Math.min(model.trainContextSize, 4096),
    threads: options.threads ?? 1,
  });
  const sequences: LlamaContextSequence[] = Array.from({ length: context.totalSequences }, () =>
    context.getSequence(),
  );
  const queue = new FairQueue(sequences);
  const prompter = createChatPrompter(model);
  const tokens = (model.fileInfo.metadata as unknown as { tokenizer?: { ggml?: { tokens?: unknown[] } } })
    .tokenizer?.ggml?.tokens;
  const vocabularySize = tokens?.length ?? Number.POSITIVE_INFINITY;
  const turnEnd = prompter([{ role: "user", content: "" }]).stopTokens;
  const endTokens = [
    ...new Set(
      [...turnEnd, model.tokens.eos, model.tokens.eot].filter(
        (t): t is Token => t !== null && t !== undefined,
      ),
    ),
  ];
  const defaultTopK = options.topK ?? 10;

  const promptTokens = (request: ScoredRequest): Token[] => {
    if (request.endpoint === "chat.completions") {
      return prompter(parseChatRequest(request.body).messages).tokens;
    }
    return tokenizeCompletionPrompt(model, parseCompletionRequest(request.body).prompt, vocabularySize);
  };
  const tokenize = (text: string): Token[] => (text === "" ? [] : model.tokenize(text, false));

  return {
    promptTokens,
    tokenize,
    endTokens,
    contextSize: context.contextSize,
    async score(request, completion, scoreOptions = {}) {
      const prompt = promptTokens(request);
      const answer = tokenize(completion);
      if (prompt.length + answer.length > context.contextSize) {
        throw new OpenAIError(
          400,
          `The scorer's context holds ${context.contextSize} tokens, but the prompt and answer need ${prompt.length + answer.length}.`,
          { code: "context_length_exceeded" },
        );
      }
      const sequence = await queue.acquire(scoreOptions.signal);
      try {
        return await scoreCompletion(sequence, {
          promptTokens: prompt,
          completionTokens: answer,
          topK: scoreOptions.topK ?? defaultTopK,
          ...(scoreOptions.ended ? { endTokens } : {}),
        });
      } finally {
        await sequence.clearHistory().catch(() => {});
        queue.release(sequence);
      }
    },
    async close() {
      queue.close();
      await context.dispose();
    },
  };
}
