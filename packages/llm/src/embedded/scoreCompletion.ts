import type { ControlledEvaluateInputItem, LlamaContextSequence, Token } from "node-llama-cpp";

/** How likely a completion is under a model, position by position (natural-log probabilities). */
export type CompletionScore = {
  /** Completion tokens scored. */
  tokens: number;
  /** The `k` of {@link CompletionScore.topKShare}. */
  topK: number;
  /** Share of completion tokens that are among the model's `topK` most likely next tokens (0-1). */
  topKShare: number;
  /** Share of completion tokens that are the model's single most likely next token: 1 for greedy output. */
  top1Share: number;
  /** Mean log-probability of the completion tokens (≤ 0; closer to 0 is more likely). */
  meanLogprob: number;
  /** Lowest log-probability of any completion token. */
  minLogprob: number;
  /** Log-probability that the model ends its turn right after the completion (any `endTokens`), when asked. */
  endLogprob: number | undefined;
  /**
   * Log-probability of the model's most likely token at that end position, when asked: greedy decoding stops
   * there only if `endLogprob` reaches it.
   */
  endTopLogprob: number | undefined;
  /** Tokens evaluated (prompt + completion): the cost of the check. */
  evaluatedTokens: number;
};

/** What {@link scoreCompletion} evaluates. */
export type ScoreInput = {
  /** The prompt exactly as the model sees it (chat template applied), at least one token. */
  promptTokens: readonly Token[];
  /** The completion to score. */
  completionTokens: readonly Token[];
  /** Default 10. */
  topK?: number;
  /** Tokens that end the turn (end-of-generation, the chat template's end marker): scores stopping there. */
  endTokens?: readonly Token[];
};

/**
 * Scores a completion in one prefill pass: evaluates prompt + completion on `sequence` (after clearing it) and,
 * at every completion position, reads the model's raw next-token logits (no sampling options applied) for the
 * token that was returned and the top `k`. Far cheaper than generating the completion (one batched pass, no
 * sampling loop), and the basis of a TOPLOC-style check: text from another model, or altered text, scores far
 * below what the model itself produces.
 *
 * Only the needed logits are read (the returned token, the top `k`, the end tokens) with the softmax normaliser
 * (`totalLogitWeight`), so the cost does not grow with the vocabulary.
 *
 * @example
 * const score = await scoreCompletion(sequence, { promptTokens, completionTokens: model.tokenize(text), topK: 10 });
 * if (score.topKShare < 0.4) console.log("this text is unlikely under the model");
 */
export async function scoreCompletion(
  sequence: LlamaContextSequence,
  input: ScoreInput,
): Promise<CompletionScore> {
  const { promptTokens, completionTokens } = input;
  const topK = input.topK ?? 10;
  const endTokens = input.endTokens ?? [];
  if (promptTokens.length === 0) throw new RangeError("scoreCompletion needs at least one prompt token");
  if (!Number.isInteger(topK) || topK < 1)
    throw new RangeError(`topK must be a positive integer, got ${topK}`);
  const all = [...promptTokens, ...completionTokens];
  const first = promptTokens.length - 1; // the position that predicts the first completion token
  const wantEnd = endTokens.length > 0;
  const last = wantEnd ? all.length - 1 : all.length - 2;
  const items: ControlledEvaluateInputItem[] = all.map((token, i) => {
    if (i < first || i > last) return token;
    const next = all[i + 1];
    const tokens = i === all.length - 1 ? [...endTokens] : next === undefined ? [] : [next];
    return [
      token,
      { generateNext: { logits: { filter: { tokens, includeTop: topK } }, totalLogitWeight: true } },
    ];
  });
  await sequence.clearHistory();
  const outputs = await sequence.controlledEvaluate(items);

  let inTopK = 0;
  let top1 = 0;
  let sum = 0;
  let min = 0;
  let endLogprob: number | undefined;
  let endTopLogprob: number | undefined;
  for (let i = first; i <= last; i++) {
    const next = outputs[i]?.next;
    const logits = next?.logits;
    const total = next?.totalLogitWeight;
    if (!logits || total === undefined) throw new Error(`llama.cpp returned no logits for position ${i}`);
    const max = logits.values().next().value as number;
    const logprobOf = (t: Token) => {
      const logit = logits.get(t);
      return logit === undefined ? Number.NEGATIVE_INFINITY : logit - max - Math.log(total);
    };
    if (i === all.length - 1) {
      endLogprob = Math.log(endTokens.reduce((p, t) => p + Math.exp(logprobOf(t)), 0));
      endTopLogprob = -Math.log(total); // the top token's logit is the max
      continue;
    }
    const token = all[i + 1] as Token;
    // The map is sorted by logit: its first `topK` keys are the model's top k (the filtered token may follow).
    let rank = 0;
    for (const t of logits.keys()) {
      if (t === token) break;
      rank++;
    }
    if (rank < topK) inTopK++;
    if (rank === 0) top1++;
    const lp = Math.max(logprobOf(token), -1e4); // JSON has no -Infinity
    sum += lp;
    if (lp < min) min = lp;
  }
  const n = completionTokens.length;
  return {
    tokens: n,
    topK,
    topKShare: n ? inTopK / n : 1,
    top1Share: n ? top1 / n : 1,
    meanLogprob: n ? sum / n : 0,
    minLogprob: min,
    endLogprob,
    endTopLogprob,
    evaluatedTokens: all.length,
  };
}
