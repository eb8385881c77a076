// Calibrating the prefill thresholds on honest answers, and measuring how often honest answers would fail.
import type { CompletionScore } from "@decai/llm";
import { judgePrefill, type PrefillThresholds } from "./prefill.js";

/** Options of {@link calibratePrefill}. */
export type CalibrationOptions = {
  /**
   * Share of honest answers allowed below each threshold before the margin (0 = the lowest honest score).
   * Default 0.
   */
  quantile?: number;
  /** How far under the honest quantile each threshold sits. Default `{ topKShare: 0.15, meanLogprob: 1.5 }`. */
  margin?: { topKShare?: number; meanLogprob?: number };
  /** Scores of answers with fewer tokens are ignored (they vary too much). Default 8. */
  minTokens?: number;
};

/**
 * Prefill thresholds from honest answers: the `quantile` of honest scores, lowered by a margin so that an honest
 * supplier is (almost) never sanctioned. Answers from another model score far lower (see the tests), so the
 * margin costs little detection. Calibrate per model and per traffic mix (temperatures): honest scores drop as
 * sampling gets hotter.
 *
 * @example
 * const honest = await Promise.all(samples.map((s) => reference.score("chat.completions", s.request, s.text)));
 * const thresholds = calibratePrefill(honest);
 * console.log(failureRate(heldOut, thresholds)); // share of honest answers that would fail
 */
export function calibratePrefill(
  honest: readonly CompletionScore[],
  options: CalibrationOptions = {},
): PrefillThresholds & { samples: number } {
  const minTokens = options.minTokens ?? 8;
  const usable = honest.filter((s) => s.tokens >= minTokens);
  if (usable.length === 0) {
    throw new RangeError(`calibratePrefill needs honest scores of at least ${minTokens} tokens`);
  }
  const q = options.quantile ?? 0;
  const low = (values: number[]) => {
    const sorted = [...values].sort((a, b) => a - b);
    return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number;
  };
  const margin = { topKShare: 0.15, meanLogprob: 1.5, ...options.margin };
  return {
    minTopKShare: Math.max(0, low(usable.map((s) => s.topKShare)) - margin.topKShare),
    minMeanLogprob: low(usable.map((s) => s.meanLogprob)) - margin.meanLogprob,
    minEndLogprob: null,
    samples: usable.length,
  };
}

/**
 * The share of `scores` that fail `thresholds` (for honest scores: the false-positive rate; for scores of a wrong
 * model: the detection rate). Scores under `minTokens` are not judged, as in the live check.
 *
 * @example
 * failureRate(honestHeldOut, config.prefill); // e.g. 0
 */
export function failureRate(
  scores: readonly CompletionScore[],
  thresholds: PrefillThresholds,
  minTokens = 8,
): number {
  const judged = scores.filter((s) => s.tokens >= minTokens);
  if (judged.length === 0) return 0;
  return judged.filter((s) => !judgePrefill(s, thresholds).passed).length / judged.length;
}
