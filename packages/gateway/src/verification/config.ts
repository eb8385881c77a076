// Every knob of verification, with defaults that keep its extra inference cost at or under 5% of served tokens.
import type { CheckKind } from "./types.js";

/** How a supplier's standing moves: severities, forgiveness, thresholds, weights. */
export type ReputationConfig = {
  /** Demerits one failure adds, per check. Deterministic, signed over-billing weighs most. */
  severity: Record<CheckKind, number>;
  /** Share of a check's demerits one pass of the same check forgives (0.1: each pass keeps 90%). */
  forgiveness: number;
  /** Demerits from which a `good` supplier goes on probation. */
  probationAt: number;
  /** Demerits from which a supplier is excluded. */
  excludeAt: number;
  /** A supplier on probation is `good` again below this. */
  recoverAt: number;
  /** Shortest exclusion, ms; after it, passing checks (watchers) below `probationAt` bring probation back. */
  minExclusionMs: number;
  /** Routing weight of a supplier on probation (excluded: 0, good: 1). */
  probationWeight: number;
};

/** The whole verification configuration (see docs/verification.md). */
export type VerificationConfig = {
  enabled: boolean;
  /** Most verification tokens, as a share of the tokens served to users. Checks beyond it are skipped. */
  maxCostFraction: number;
  /** Tokens the verification budget may run ahead of served traffic (lets the first checks run at once). */
  burstTokens: number;
  usage: {
    enabled: boolean;
    /** Prompt tokens billed above the recount that are tolerated (another chat template's markers). */
    promptSlack: number;
    /** Completion tokens billed above the recount that are tolerated, plus one end token per answer. */
    completionSlack: number;
    /** ... plus this share of the recount (generated tokens need not re-tokenize the same way). */
    completionSlackRatio: number;
  };
  prefill: {
    /** Share of user answers re-scored by the reference model. */
    rate: number;
    /** A supplier's first answers per service are all re-scored (within the budget). */
    warmup: number;
    /** Share of answers re-scored while a supplier is on probation or excluded. */
    probationRate: number;
    topK: number;
    /** Fail below this share of answer tokens inside the reference's top-k. */
    minTopKShare: number;
    /** Fail below this mean log-probability of the answer tokens. */
    minMeanLogprob: number;
    /** Fail an answer that claims to have stopped when ending there is less likely than this; null: off. */
    minEndLogprob: number | null;
    /**
     * Temperature-0 answers that claim to have stopped fail when ending there trails the reference's top choice by
     * more than this (nats): greedy decoding stops only where ending is the top choice.
     */
    greedyEndTolerance: number;
    /** Answers with fewer tokens are not judged (too little signal). */
    minTokens: number;
    /** Requests sampled hotter than this are not judged (honest answers spread too wide). */
    maxTemperature: number;
  };
  reexecution: {
    /** Share of user answers re-run on a second supplier. */
    rate: number;
    /** Temperature-0 answers agree when their common prefix is at least this share of the longer one. */
    minAgreement: number;
    /** Sampled answers: fail when the mean log-probability trails the second supplier's by more than this. */
    maxLogprobGap: number;
  };
  watchers: {
    /** Challenge rounds per user answer (each round asks every supplier of the service once). */
    rate: number;
    /** The fixed seed of challenges. */
    seed: number;
    /** Answers agree with the expected one when their common prefix is at least this share of the longer. */
    minAgreement: number;
    /** Recent real requests whose shapes (sizes, fields, timing) challenges copy. */
    window: number;
  };
  replay: {
    enabled: boolean;
    /** Shorter answers are not compared (short answers repeat honestly). */
    minChars: number;
    /** Only answers sampled at least this hot are judged: greedy answers to different prompts may coincide. */
    minTemperature: number;
    /** Recent answers remembered per service. */
    window: number;
  };
  reputation: ReputationConfig;
  queue: {
    /** Checks running at once. */
    concurrency: number;
    /** Checks waiting; beyond it new ones are dropped (counted as skipped). */
    maxPending: number;
  };
};

type DeepPartial<T> = { [K in keyof T]?: T[K] extends object ? DeepPartial<T[K]> | null : T[K] };

/** A partial configuration: anything left out takes its default. */
export type VerificationConfigInput = DeepPartial<VerificationConfig>;

/**
 * The defaults. Cost, as a share of served tokens, at most: prefill 2.5% of answers (each re-scores its own
 * tokens once), re-execution 0.5% × 3 (one more request, then two prefills or a reference answer to settle it),
 * watchers 0.15% of answers × (5 suppliers + 1 reference answer) = 0.9%: 4.9% in all; `maxCostFraction` caps the
 * total at 5% whatever happens (warm-up included). Usage audits and replay detection cost no inference and run on
 * every answer.
 */
export const defaultVerificationConfig: VerificationConfig = {
  enabled: true,
  maxCostFraction: 0.05,
  burstTokens: 0,
  usage: { enabled: true, promptSlack: 8, completionSlack: 2, completionSlackRatio: 0.1 },
  prefill: {
    rate: 0.025,
    warmup: 3,
    probationRate: 0.25,
    topK: 10,
    minTopKShare: 0.35,
    minMeanLogprob: -5.5,
    minEndLogprob: null,
    greedyEndTolerance: 1,
    minTokens: 8,
    maxTemperature: 1.5,
  },
  reexecution: { rate: 0.005, minAgreement: 0.5, maxLogprobGap: 2.5 },
  watchers: { rate: 0.0015, seed: 20_240_531, minAgreement: 0.5, window: 200 },
  replay: { enabled: true, minChars: 64, minTemperature: 0.5, window: 5000 },
  reputation: {
    severity: { usage: 2, receipt: 2, artifact: 3, prefill: 1, replay: 1.5, watcher: 1.5, reexecution: 1 },
    forgiveness: 0.1,
    probationAt: 1.5,
    excludeAt: 3,
    recoverAt: 0.5,
    minExclusionMs: 10 * 60_000,
    probationWeight: 0.05,
  },
  queue: { concurrency: 1, maxPending: 256 },
};

const shares = new Set([
  "maxCostFraction",
  "rate",
  "probationRate",
  "minTopKShare",
  "minAgreement",
  "forgiveness",
  "probationWeight",
  "completionSlackRatio",
]);

/**
 * The configuration with `input` laid over the defaults, checked: shares within 0-1, counts non-negative, every
 * value of the default's type. Throws `RangeError` naming the bad field.
 *
 * @example
 * const config = resolveVerificationConfig({ prefill: { rate: 0.2 }, reputation: { probationWeight: 0.01 } });
 */
export function resolveVerificationConfig(input: VerificationConfigInput = {}): VerificationConfig {
  return merge(defaultVerificationConfig, input, "verification") as VerificationConfig;
}

function merge(base: unknown, over: unknown, path: string): unknown {
  if (over === undefined) return base;
  if (base !== null && typeof base === "object") {
    if (over === null || typeof over !== "object" || Array.isArray(over)) {
      throw new RangeError(`${path} must be an object`);
    }
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(base))
      out[k] = merge(v, (over as Record<string, unknown>)[k], `${path}.${k}`);
    for (const k of Object.keys(over)) {
      if (!(k in base)) throw new RangeError(`${path}.${k} is not a verification setting`);
    }
    return out;
  }
  const name = path.split(".").at(-1) as string;
  if (typeof base === "boolean") {
    if (typeof over !== "boolean") throw new RangeError(`${path} must be true or false`);
    return over;
  }
  if (over === null && name === "minEndLogprob") return null;
  if (typeof over !== "number" || !Number.isFinite(over)) throw new RangeError(`${path} must be a number`);
  if (shares.has(name) && (over < 0 || over > 1)) throw new RangeError(`${path} must be between 0 and 1`);
  const signed = name.startsWith("min") && name.includes("Logprob");
  if (!signed && over < 0) throw new RangeError(`${path} must not be negative`);
  return over;
}
