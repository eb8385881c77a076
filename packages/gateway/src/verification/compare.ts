// Comparing two answers to the same temperature-0 request (a challenge, a re-execution).

/** How an answer relates to the expected one. */
export type Comparison = {
  /**
   * - `match`: identical;
   * - `truncated`: a strict prefix of the expected answer (cut short);
   * - `extended`: the expected answer is a strict prefix of it (ran past where the model stops);
   * - `diverged`: they differ somewhere inside.
   */
  verdict: "match" | "truncated" | "extended" | "diverged";
  /** Characters in common at the start. */
  commonPrefix: number;
  /** `commonPrefix` over the longer answer's length: 1 = identical, 0 = different from the first character. */
  agreement: number;
};

/**
 * Compares `actual` with `expected`, character by character from the start.
 *
 * @example
 * compareAnswers("the cat sat on the mat", "the cat sat"); // { verdict: "truncated", commonPrefix: 11, agreement: 0.5 }
 */
export function compareAnswers(expected: string, actual: string): Comparison {
  const n = Math.min(expected.length, actual.length);
  let i = 0;
  while (i < n && expected.charCodeAt(i) === actual.charCodeAt(i)) i++;
  const longest = Math.max(expected.length, actual.length);
  const agreement = longest === 0 ? 1 : i / longest;
  const verdict =
    expected === actual
      ? "match"
      : i === actual.length
        ? "truncated"
        : i === expected.length
          ? "extended"
          : "diverged";
  return { verdict, commonPrefix: i, agreement };
}

/**
 * Whether a comparison passes: a match passes; a truncated answer always fails (greedy decoding on other hardware
 * drifts, it does not stop early); an extended or diverged one passes when it agrees on at least `minAgreement`
 * of its length (temperature 0 is not bit-exact across hardware and batch sizes).
 *
 * @example
 * judgeComparison(compareAnswers(expected, actual), 0.5); // { passed: false, code: "truncated", reason: "…" }
 */
export function judgeComparison(
  comparison: Comparison,
  minAgreement: number,
): { passed: boolean; code: string; reason: string } {
  const pct = `${(comparison.agreement * 100).toFixed(0)}%`;
  switch (comparison.verdict) {
    case "match":
      return { passed: true, code: "ok", reason: "The answer matches the expected one." };
    case "truncated":
      return {
        passed: false,
        code: "truncated",
        reason: `The answer is the expected one cut short (${comparison.commonPrefix} characters, ${pct} of it).`,
      };
    default:
      return comparison.agreement >= minAgreement
        ? {
            passed: true,
            code: "ok",
            reason: `The answer agrees with the expected one on ${pct} of its length (tolerated drift).`,
          }
        : {
            passed: false,
            code: "diverged",
            reason: `The answer departs from the expected one after ${comparison.commonPrefix} characters (${pct} agreement, at least ${(minAgreement * 100).toFixed(0)}% expected).`,
          };
  }
}
