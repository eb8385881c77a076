// Prefill re-check (in the spirit of TOPLOC): the reference model reads prompt + returned answer in one pass and
// scores how likely the answer's tokens are. Another model's text, or altered text, scores far below honest answers.
import type { CompletionScore } from "@decai/llm";
import type { VerificationConfig } from "./config.js";
import type { Reference } from "./reference.js";
import type { CheckResult, Exchange } from "./types.js";

/** The thresholds a prefill score is judged against (calibrated on honest answers: see `calibratePrefill`). */
export type PrefillThresholds = Pick<
  VerificationConfig["prefill"],
  "minTopKShare" | "minMeanLogprob" | "minEndLogprob"
> & { greedyEndTolerance?: number };

// Parameters that bend the output distribution away from the model's own: answers made with them are not judged.
const distorting = ["logit_bias", "response_format", "tools", "functions", "grammar", "guided_json"];

/**
 * Why an exchange cannot be judged by its prefill score (`undefined` when it can): another endpoint, no text, a
 * sampling temperature above `maxTemperature`, penalties or constraints that reshape the distribution.
 *
 * @example
 * if (!prefillSkipReason(exchange, config.prefill)) await prefillCheck(exchange, reference, config.prefill);
 */
export function prefillSkipReason(
  exchange: Exchange,
  policy: Pick<VerificationConfig["prefill"], "maxTemperature">,
): string | undefined {
  const r = exchange.request;
  if (!exchange.choices[0]?.text) return "no_text";
  const temperature = typeof r.temperature === "number" ? r.temperature : 1;
  if (temperature > policy.maxTemperature) return "temperature";
  if (distorting.some((k) => r[k] !== undefined && r[k] !== null)) return "constrained";
  for (const k of ["frequency_penalty", "presence_penalty"]) {
    if (typeof r[k] === "number" && r[k] !== 0) return "penalty";
  }
  return undefined;
}

/**
 * Judges a prefill score: fails (`prefill_unlikely`) when the share of tokens inside the reference's top-k or the
 * mean log-probability falls under the thresholds; (`stopped_early`) when a greedy answer (`greedy`) claims to
 * have stopped where ending is not the reference's top choice (within `greedyEndTolerance`); (`end_unlikely`)
 * when any answer claims to have stopped where the reference would hardly stop (only with `minEndLogprob` set).
 * The end checks need a score made with `ended`.
 *
 * @example
 * judgePrefill({ topKShare: 0.05, meanLogprob: -7.9, ... }, defaultVerificationConfig.prefill).passed; // false
 */
export function judgePrefill(
  score: CompletionScore,
  thresholds: PrefillThresholds,
  greedy = false,
): { passed: boolean; code: string; reason: string } {
  const { minTopKShare, minMeanLogprob, minEndLogprob } = thresholds;
  const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
  if (score.topKShare < minTopKShare || score.meanLogprob < minMeanLogprob) {
    return {
      passed: false,
      code: "prefill_unlikely",
      reason: `The answer is unlikely under the reference model: ${pct(score.topKShare)} of its ${score.tokens} tokens in the top ${score.topK} (at least ${pct(minTopKShare)} expected), mean log-probability ${score.meanLogprob.toFixed(2)} (at least ${minMeanLogprob} expected).`,
    };
  }
  const { endLogprob, endTopLogprob } = score;
  const tolerance = thresholds.greedyEndTolerance;
  if (
    greedy &&
    tolerance !== undefined &&
    endLogprob !== undefined &&
    endTopLogprob !== undefined &&
    endLogprob < endTopLogprob - tolerance
  ) {
    return {
      passed: false,
      code: "stopped_early",
      reason: `The temperature-0 answer claims to stop where greedy decoding would go on: ending has log-probability ${endLogprob.toFixed(2)}, the reference's top choice ${endTopLogprob.toFixed(2)} (cut short?).`,
    };
  }
  if (minEndLogprob !== null && score.endLogprob !== undefined && score.endLogprob < minEndLogprob) {
    return {
      passed: false,
      code: "end_unlikely",
      reason: `The answer claims to stop where the reference model would hardly stop (log-probability ${score.endLogprob.toFixed(2)}, at least ${minEndLogprob} expected): cut short?`,
    };
  }
  return {
    passed: true,
    code: "ok",
    reason: "The answer is as likely as honest answers under the reference model.",
  };
}

/**
 * Re-scores the exchange's first answer with the reference and judges it. Returns `undefined` when the exchange
 * cannot be judged (see `prefillSkipReason`; longer than the scorer's context; fewer than `minTokens` tokens,
 * except for the greedy end check).
 * The result's `cost` is the tokens the reference evaluated.
 *
 * @example
 * const result = await prefillCheck(exchange, reference, config.prefill);
 * if (result && !result.passed) await store.addEvidence(toEvidence(result));
 */
export async function prefillCheck(
  exchange: Exchange,
  reference: Pick<Reference, "score">,
  policy: VerificationConfig["prefill"],
  now: () => number = Date.now,
): Promise<CheckResult | undefined> {
  if (prefillSkipReason(exchange, policy)) return undefined;
  const choice = exchange.choices[0];
  if (!choice) return undefined;
  const stops = [exchange.request.stop].flat().filter((s) => typeof s === "string" && s !== "");
  // Only an answer that says the model itself ended its turn is scored for ending there.
  const ended = choice.finishReason === "stop" && stops.length === 0;
  let score: CompletionScore;
  try {
    score = await reference.score(exchange.endpoint, exchange.request, choice.text, {
      ended,
      topK: policy.topK,
    });
  } catch {
    return undefined; // too long for the scorer, or a request it cannot read: no verdict
  }
  const greedy = exchange.request.temperature === 0;
  // Too few tokens for the likelihood thresholds; the greedy end check needs only the last position.
  const short = score.tokens < policy.minTokens;
  if (short && !(greedy && ended)) return undefined;
  const thresholds = short
    ? { ...policy, minTopKShare: 0, minMeanLogprob: Number.NEGATIVE_INFINITY, minEndLogprob: null }
    : policy;
  const verdict = judgePrefill(score, thresholds, greedy);
  return {
    check: "prefill",
    supplier: exchange.supplier,
    service: exchange.service,
    ...verdict,
    details: {
      tokens: score.tokens,
      topK: score.topK,
      topKShare: score.topKShare,
      top1Share: score.top1Share,
      meanLogprob: score.meanLogprob,
      minLogprob: score.minLogprob,
      ...(score.endLogprob !== undefined
        ? { endLogprob: score.endLogprob, endTopLogprob: score.endTopLogprob }
        : {}),
      thresholds: {
        minTopKShare: policy.minTopKShare,
        minMeanLogprob: policy.minMeanLogprob,
        minEndLogprob: policy.minEndLogprob,
        greedyEndTolerance: policy.greedyEndTolerance,
      },
    },
    cost: score.evaluatedTokens,
    exchange,
    at: now(),
  };
}
