// Usage audit: recount what a supplier billed with the service's own tokenizer. Costs no inference (tokenizing
// only), so it runs on every answer.
import type { VerificationConfig } from "./config.js";
import type { Reference } from "./reference.js";
import type { CheckResult, Exchange } from "./types.js";

/** What the audit needs from the reference: its tokenizer and chat template. */
export type TokenCounter = Pick<Reference, "promptTokens" | "completionTokens">;

/**
 * Audits an exchange's billed usage. It fails, with the first problem found, when:
 * - `output_above_max_tokens`: more completion tokens than the request's `max_tokens` × `n` (or the signed bound);
 * - `prompt_above_count`: more prompt tokens than the tokenizer counts with the chat template, + `promptSlack`;
 * - `completion_above_count`: more completion tokens than the answer's text re-tokenizes to, + one end token per
 *   answer, + the longest stop sequence's tokens, + `completionSlack` + `completionSlackRatio` × the recount
 *   (generated token sequences need not be the canonical tokenization of their text);
 * - `length_before_max_tokens`: an answer that says it stopped at the length limit, billed below `max_tokens`.
 *
 * Returns `undefined` when there is nothing to audit (no usage billed, a request the tokenizer refuses).
 *
 * @example
 * const result = auditUsage(exchange, reference, config.usage);
 * if (result && !result.passed) console.log(result.code, result.reason);
 */
export function auditUsage(
  exchange: Exchange,
  counter: TokenCounter,
  policy: VerificationConfig["usage"],
  now: number = Date.now(),
): CheckResult | undefined {
  const { usage, request } = exchange;
  if (!usage) return undefined;
  const result = (passed: boolean, code: string, reason: string, details: Record<string, unknown>) => ({
    check: "usage" as const,
    supplier: exchange.supplier,
    service: exchange.service,
    passed,
    code,
    reason,
    details: { billed: usage, ...details },
    cost: 0,
    exchange,
    at: now,
  });
  const n = Math.max(1, exchange.choices.length);
  const requested = (request.max_completion_tokens ?? request.max_tokens) as number | undefined;
  const signedMax = exchange.signed?.relay.request.maxTokens;
  const maxTokens =
    typeof requested === "number"
      ? requested * n
      : signedMax !== undefined && signedMax > 0
        ? signedMax
        : undefined;
  if (maxTokens !== undefined && usage.outputTokens > maxTokens) {
    return result(
      false,
      "output_above_max_tokens",
      `Billed ${usage.outputTokens} completion tokens, above max_tokens ${maxTokens}.`,
      { maxTokens },
    );
  }

  let promptTokens: number;
  try {
    promptTokens = counter.promptTokens(exchange.endpoint, request);
  } catch {
    return undefined; // a request the reference cannot read (a field it does not know): no verdict
  }
  const promptLimit = promptTokens + policy.promptSlack;
  if (usage.inputTokens > promptLimit) {
    return result(
      false,
      "prompt_above_count",
      `Billed ${usage.inputTokens} prompt tokens; the service's tokenizer counts ${promptTokens} (+${policy.promptSlack} tolerated).`,
      { promptTokens, promptLimit },
    );
  }

  const recount = exchange.choices.reduce((sum, c) => sum + counter.completionTokens(c.text), 0);
  const stops = [request.stop].flat().filter((s): s is string => typeof s === "string");
  const stopTokens = Math.max(0, ...stops.map((s) => counter.completionTokens(s)));
  const completionLimit =
    recount +
    n * (1 + stopTokens) +
    policy.completionSlack +
    Math.ceil(recount * policy.completionSlackRatio);
  if (usage.outputTokens > completionLimit) {
    return result(
      false,
      "completion_above_count",
      `Billed ${usage.outputTokens} completion tokens for answers that re-tokenize to ${recount} (at most ${completionLimit} are plausible).`,
      { promptTokens, completionTokens: recount, completionLimit },
    );
  }
  const cutShort = exchange.choices.length === 1 && exchange.choices[0]?.finishReason === "length";
  if (cutShort && typeof requested === "number" && usage.outputTokens < requested) {
    return result(
      false,
      "length_before_max_tokens",
      `The answer says it stopped at the length limit, but only ${usage.outputTokens} of max_tokens ${requested} were billed.`,
      { promptTokens, completionTokens: recount, maxTokens: requested },
    );
  }
  return result(true, "ok", "Billed usage matches the recount.", {
    promptTokens,
    completionTokens: recount,
    completionLimit,
  });
}
