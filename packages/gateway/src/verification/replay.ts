// Replay detection: a supplier that answers from a cache serves the same long answer to different prompts.
import { createHash } from "node:crypto";
import { compareAnswers, judgeComparison } from "./compare.js";
import type { Reference } from "./reference.js";
import type { CheckResult, Exchange } from "./types.js";

type Seen = { prompt: string; supplier: string; exchange: string; at: number };

const digest = (value: string) => createHash("sha256").update(value).digest("base64url").slice(0, 22);

/** The prompt part of a request: what must differ for two answers to be answers to different questions. */
function promptOf(request: Record<string, unknown>): string {
  return JSON.stringify(request.messages ?? request.prompt ?? null);
}

/**
 * Remembers the last `window` long answers per service (by hash) and flags a supplier that serves an answer it
 * (or anyone) already served for a different prompt: honest sampling does not repeat a long text verbatim for
 * another question. Costs no inference. Short answers (`minChars`) repeat honestly and are not compared, and neither
 * are sampled degenerate loops ("|J7777…", "the the the…": fewer distinct character trigrams than half of
 * `minChars`), which models fall into from different prompts even when sampling.
 * Answers sampled cooler than `minTemperature` can repeat honestly too (greedy decoding of different prompts may
 * converge on one text, as small models often do): for them a repeat comes back with `details.confirm: true`,
 * a suspicion for the caller to settle (the reference's own greedy answer to the prompt), and no repeat is no
 * verdict at all.
 *
 * @example
 * const replay = new ReplayDetector({ minChars: 64, window: 5000, minTemperature: 0.5 });
 * const result = replay.check(exchange); // undefined (not judged) or a pass / `replayed` failure
 */
export class ReplayDetector {
  readonly #minChars: number;
  readonly #window: number;
  readonly #seen = new Map<string, Map<string, Seen>>();

  readonly #minTemperature: number;

  constructor(options: { minChars: number; window: number; minTemperature?: number }) {
    this.#minChars = options.minChars;
    this.#window = options.window;
    this.#minTemperature = options.minTemperature ?? 0.5;
  }

  /** Checks the exchange's answers against those remembered, then remembers them. */
  check(exchange: Exchange, now: number = Date.now()): CheckResult | undefined {
    const t = exchange.request.temperature;
    const judged = (typeof t === "number" ? t : 1) >= this.#minTemperature;
    // A sampled loop would be judged without confirmation: leave it out. Greedy ones are confirmed (see below).
    const texts = exchange.choices
      .map((c) => c.text)
      .filter((x) => x.length >= this.#minChars && (!judged || informative(x, this.#minChars)));
    if (texts.length === 0) return undefined;
    let seen = this.#seen.get(exchange.service);
    if (!seen) {
      seen = new Map();
      this.#seen.set(exchange.service, seen);
    }
    const prompt = digest(promptOf(exchange.request));
    let replayed: { text: string; earlier: Seen } | undefined;
    for (const text of texts) {
      const key = digest(text);
      const earlier = seen.get(key);
      if (earlier && earlier.prompt !== prompt && !replayed) replayed = { text, earlier };
      // Keep the first sighting: the original prompt of a text is what later replays are compared with.
      if (!earlier) {
        seen.set(key, { prompt, supplier: exchange.supplier, exchange: exchange.id, at: now });
        if (seen.size > this.#window) seen.delete(seen.keys().next().value as string);
      }
    }
    const base = {
      check: "replay" as const,
      supplier: exchange.supplier,
      service: exchange.service,
      cost: 0,
      exchange,
      at: now,
    };
    if (!replayed) {
      if (!judged) return undefined;
      return { ...base, passed: true, code: "ok", reason: "No answer repeats an earlier one.", details: {} };
    }
    return {
      ...base,
      passed: false,
      code: "replayed",
      reason: `The answer (${replayed.text.length} characters) repeats verbatim one served for a different prompt (exchange ${replayed.earlier.exchange} by ${replayed.earlier.supplier}).`,
      details: {
        ...(judged ? {} : { confirm: true }),
        earlierExchange: replayed.earlier.exchange,
        earlierSupplier: replayed.earlier.supplier,
        earlierAt: replayed.earlier.at,
        chars: replayed.text.length,
      },
    };
  }
}

/** Whether a text varies enough to tell answers apart: at least `minChars / 2` distinct character trigrams. */
function informative(text: string, minChars: number): boolean {
  const trigrams = new Set<string>();
  for (let i = 0; i + 3 <= text.length && trigrams.size < minChars / 2; i++)
    trigrams.add(text.slice(i, i + 3));
  return trigrams.size >= minChars / 2;
}

/**
 * Settles a suspected greedy replay (`details.confirm` from `ReplayDetector.check`): the repeat is honest when the
 * reference's own greedy answer to this prompt agrees with it (`minAgreement`: the model itself converges there),
 * a `replayed` failure otherwise. Costs one reference generation, booked as the result's `cost`.
 *
 * @example
 * const suspect = replay.check(exchange);
 * if (suspect?.details.confirm) await conclude(await confirmReplay(suspect, reference, 0.5));
 */
export async function confirmReplay(
  suspect: CheckResult,
  reference: Pick<Reference, "generate">,
  minAgreement: number,
): Promise<CheckResult> {
  const exchange = suspect.exchange as Exchange;
  const own = await reference.generate(exchange.endpoint, exchange.request);
  const expected = own.choices[0]?.text ?? "";
  const comparison = compareAnswers(expected, exchange.choices[0]?.text ?? "");
  const honest = judgeComparison(comparison, minAgreement).passed;
  const { confirm: _confirm, ...details } = suspect.details;
  return {
    ...suspect,
    ...(honest ? { passed: true, code: "ok", reason: "The repeat is the model's own greedy answer." } : {}),
    details: { ...details, agreementWithReference: comparison.agreement },
    cost: own.usage.inputTokens + own.usage.outputTokens,
    comparedWith: { source: "reference", text: expected },
  };
}
