// Sampled re-execution (a probabilistic quorum): a real request re-run on a second supplier and compared.
import type { CompletionScore } from "@decai/llm";
import { compareAnswers, judgeComparison } from "./compare.js";
import type { VerificationConfig } from "./config.js";
import { judgePrefill, prefillSkipReason } from "./prefill.js";
import type { Reference } from "./reference.js";
import type { ChallengeTransport } from "./transport.js";
import type { CheckResult, Exchange } from "./types.js";

/** What a re-execution needs. */
export type ReexecutionDeps = {
  transport: ChallengeTransport;
  /** Breaks ties at temperature 0 and scores sampled answers; without it only matching greedy answers conclude. */
  reference: Pick<Reference, "generate" | "score"> | undefined;
  config: VerificationConfig["reexecution"];
  prefill: VerificationConfig["prefill"];
  now: () => number;
  /** The second supplier's answer, so its billed usage is audited too. */
  onExchange?: (exchange: Exchange) => void;
};

const tokens = (x: Exchange) => (x.usage ? x.usage.inputTokens + x.usage.outputTokens : 0);
const textOf = (x: Exchange) => x.choices[0]?.text ?? "";

/**
 * Re-runs `original.request` on another supplier of the service and judges the original:
 * - temperature 0: identical answers vouch for both suppliers; different ones are settled by the reference's own
 *   greedy answer (each supplier is compared with it, `minAgreement`);
 * - sampled: both answers are scored by the reference; the original fails when it fails the prefill thresholds or
 *   trails the second answer's mean log-probability by more than `maxLogprobGap`.
 * Returns no results when nothing can be concluded (no second supplier answered, no reference to settle it).
 *
 * @example
 * const { results, cost } = await reexecute(exchange, { transport, reference, config: config.reexecution,
 *   prefill: config.prefill, now: Date.now });
 */
export async function reexecute(
  original: Exchange,
  deps: ReexecutionDeps,
): Promise<{ results: CheckResult[]; cost: number }> {
  let second: Exchange;
  try {
    second = await deps.transport.send({
      service: original.service,
      endpoint: original.endpoint,
      body: structuredClone(original.request),
      exclude: [original.supplier],
      origin: "reexecution",
    });
  } catch {
    return { results: [], cost: 0 };
  }
  deps.onExchange?.(second);
  let cost = tokens(second);
  const result = (
    exchange: Exchange,
    verdict: { passed: boolean; code: string; reason: string },
    details: Record<string, unknown>,
    comparedWith: { source: string; text: string },
  ): CheckResult => ({
    check: "reexecution",
    supplier: exchange.supplier,
    service: exchange.service,
    ...verdict,
    details,
    cost: 0,
    exchange,
    comparedWith,
    at: deps.now(),
  });

  if (original.request.temperature === 0) {
    if (textOf(original) === textOf(second)) {
      const ok = { passed: true, code: "ok", reason: "A second supplier gave the same answer." };
      return {
        results: [
          result(
            original,
            ok,
            { secondSupplier: second.supplier },
            { source: second.supplier, text: textOf(second) },
          ),
          result(
            second,
            ok,
            { firstSupplier: original.supplier },
            { source: original.supplier, text: textOf(original) },
          ),
        ],
        cost,
      };
    }
    if (!deps.reference) return { results: [], cost };
    const own = await deps.reference.generate(original.endpoint, original.request);
    cost += own.usage.inputTokens + own.usage.outputTokens;
    const expected = { source: "reference", text: own.choices[0]?.text ?? "" };
    const judge = (x: Exchange) => {
      const comparison = compareAnswers(expected.text, textOf(x));
      return result(x, judgeComparison(comparison, deps.config.minAgreement), { ...comparison }, expected);
    };
    return { results: [judge(original), judge(second)], cost };
  }

  if (!deps.reference || prefillSkipReason(original, deps.prefill)) return { results: [], cost };
  let scores: [CompletionScore, CompletionScore];
  try {
    const score = (x: Exchange) =>
      (deps.reference as Pick<Reference, "score">).score(x.endpoint, x.request, textOf(x), {
        topK: deps.prefill.topK,
      });
    scores = [await score(original), await score(second)];
  } catch {
    return { results: [], cost };
  }
  cost += scores[0].evaluatedTokens + scores[1].evaluatedTokens;
  const [mine, theirs] = scores;
  if (mine.tokens < deps.prefill.minTokens || theirs.tokens < deps.prefill.minTokens)
    return { results: [], cost };
  const gap = theirs.meanLogprob - mine.meanLogprob;
  const absolute = judgePrefill(mine, deps.prefill);
  const verdict = !absolute.passed
    ? absolute
    : gap > deps.config.maxLogprobGap
      ? {
          passed: false,
          code: "prefill_unlikely",
          reason: `The answer's mean log-probability (${mine.meanLogprob.toFixed(2)}) trails a second supplier's answer to the same request by ${gap.toFixed(2)} (at most ${deps.config.maxLogprobGap} tolerated).`,
        }
      : { passed: true, code: "ok", reason: "The answer is as likely as a second supplier's answer." };
  const details = {
    secondSupplier: second.supplier,
    meanLogprob: mine.meanLogprob,
    secondMeanLogprob: theirs.meanLogprob,
    topKShare: mine.topKShare,
    secondTopKShare: theirs.topKShare,
    gap,
  };
  return {
    results: [result(original, verdict, details, { source: second.supplier, text: textOf(second) })],
    cost,
  };
}
