import type { LlamaContextSequence, LlamaModel, Token } from "node-llama-cpp";
import { abortError } from "../openai/errors.js";
import type { GenerationEvent } from "../openai/generation.js";
import { StopDetector } from "../openai/stop.js";
import type { FinishReason, TokenLogprob, TopLogprob } from "../openai/types.js";

/** What one generation needs; sampling values are already validated. */
export type GenerateOptions = {
  promptTokens: Token[];
  /** Hard cap on generated tokens (already fitted to the context). */
  maxTokens: number;
  temperature: number;
  topP: number;
  /** uint32 */
  seed: number;
  stopTexts: readonly string[];
  stopTokens: ReadonlySet<Token>;
  /** Undefined: no logprobs; otherwise how many alternatives to report per position. */
  topLogprobs: number | undefined;
  signal?: AbortSignal | undefined;
};

// A token may end inside a multi-byte UTF-8 character; wait this many tokens for the rest before giving up.
const maxIncompleteTokens = 4;
const contextTokensForDetokenize = 8;

/**
 * Evaluates the prompt on `sequence` and yields text as it becomes final: complete UTF-8 only, stop sequences
 * cut (and never emitted, even when split across tokens), then one `end` event. `completionTokens` counts every
 * sampled token, including an end-of-generation or stop token. Logprobs are those of the distribution llama.cpp
 * sampled from: the model's own at temperature 0, after temperature and top_p otherwise.
 *
 * @example
 * for await (const event of generate(sequence, options)) if (event.type === "text") process.stdout.write(event.text);
 */
export async function* generate(
  sequence: LlamaContextSequence,
  options: GenerateOptions,
): AsyncGenerator<GenerationEvent> {
  const { promptTokens, maxTokens, stopTokens, topLogprobs, signal } = options;
  const model = sequence.model;
  const stops = new StopDetector(options.stopTexts);
  let completionTokens = 0;
  let finishReason: FinishReason = "length";
  let pending: Token[] = [];
  let logprobs: TokenLogprob[] = [];
  let recent: Token[] = promptTokens.slice(-contextTokensForDetokenize);
  const wantLogprobs = topLogprobs !== undefined;

  const iterator = sequence.evaluateWithMetadata(
    promptTokens,
    { probabilities: wantLogprobs },
    {
      temperature: options.temperature,
      topP: options.topP,
      topK: 0, // OpenAI has no top_k: keep the whole vocabulary
      minP: 0,
      seed: options.seed,
      yieldEogToken: true,
    },
  );
  for await (const output of iterator) {
    if (signal?.aborted) throw abortError(signal);
    completionTokens++;
    const token = output.token;
    if (model.isEogToken(token) || stopTokens.has(token)) {
      finishReason = "stop";
      break;
    }
    if (wantLogprobs) {
      const probabilities = (output as { probabilities?: Map<Token, number> }).probabilities;
      logprobs.push(tokenLogprob(model, token, probabilities, topLogprobs, recent));
    }
    pending.push(token);
    const text = model.detokenize(pending, false, recent);
    if (!text.endsWith("\uFFFD") || pending.length >= maxIncompleteTokens) {
      recent = [...recent, ...pending].slice(-contextTokensForDetokenize);
      pending = [];
      const cut = stops.push(text);
      if (cut.text !== "" || logprobs.length > 0) {
        yield { type: "text", text: cut.text, ...(wantLogprobs ? { logprobs } : {}) };
        logprobs = [];
      }
      if (cut.stopped) {
        finishReason = "stop";
        break;
      }
    }
    if (completionTokens >= maxTokens) break;
  }
  if (signal?.aborted) throw abortError(signal);
  if (!stops.stopped) {
    const cut = pending.length > 0 ? stops.push(model.detokenize(pending, false, recent)) : undefined;
    const rest = (cut?.text ?? "") + stops.flush().text;
    if (stops.stopped) finishReason = "stop";
    if (rest !== "" || logprobs.length > 0)
      yield { type: "text", text: rest, ...(wantLogprobs ? { logprobs } : {}) };
  }
  yield { type: "end", finishReason, completionTokens };
}

const utf8 = new TextEncoder();

function top(model: LlamaModel, token: Token, logprob: number, recent: readonly Token[]): TopLogprob {
  const text = model.detokenize([token], false, recent);
  // A token that ends mid-character has no exact text; OpenAI allows `bytes: null` then.
  return { token: text, logprob, bytes: text.includes("\uFFFD") ? null : [...utf8.encode(text)] };
}

function tokenLogprob(
  model: LlamaModel,
  token: Token,
  probabilities: Map<Token, number> | undefined,
  count: number | undefined,
  recent: readonly Token[],
): TokenLogprob {
  const logOf = (p: number | undefined) => Math.max(Math.log(p ?? 0), -9999); // JSON has no -Infinity
  const alternatives: TopLogprob[] = [];
  if (probabilities && count) {
    for (const [alt, p] of probabilities) {
      if (alternatives.length >= count) break;
      alternatives.push(top(model, alt, logOf(p), recent));
    }
  }
  return { ...top(model, token, logOf(probabilities?.get(token)), recent), top_logprobs: alternatives };
}
