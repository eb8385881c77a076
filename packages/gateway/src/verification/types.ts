// The vocabulary of inference verification: what the gateway saw (an exchange), what a check concluded (a
// result), what it keeps when a check fails (evidence), and where a supplier stands (its reputation).
import type { TokenUsage } from "../pricing.js";
import type { SignedRelay } from "../upstream/types.js";

/** The generating endpoints verification understands (embeddings are not checked). */
export type VerifiedEndpoint = "chat.completions" | "completions";

/** Who made the request behind an exchange: a user, a watcher's challenge, or a re-execution. */
export type ExchangeOrigin = "user" | "watcher" | "reexecution";

/** One generated answer of an exchange (`n` > 1 gives several). */
export type AnswerChoice = {
  /** The generated text (chat: `message.content`, text completions: `text`; streams: the deltas joined). */
  text: string;
  /** `stop`, `length`, ... as the supplier reported it. */
  finishReason: string | null;
};

/** One complete request/answer pair with a supplier, as the gateway saw it. */
export type Exchange = {
  /** Unique id (the relay hash when signed, else random). */
  id: string;
  /** The service: the OpenAI `model` id the supplier served. */
  service: string;
  endpoint: VerifiedEndpoint;
  /** The request body sent to the supplier (`model` set, gateway-only fields removed). */
  request: Record<string, unknown>;
  /** The supplier's address (through the network) or name. */
  supplier: string;
  stream: boolean;
  choices: AnswerChoice[];
  /** The usage the supplier billed: its signed receipt's on the network, else the answer's `usage`. */
  usage: TokenUsage | undefined;
  /** The signed relay (request, receipt, exact bytes), when the upstream gives one. */
  signed?: SignedRelay;
  origin: ExchangeOrigin;
  /** Unix ms when the answer completed. */
  at: number;
};

/**
 * The verification checks:
 * - `usage`: billed tokens recounted with the service's tokenizer;
 * - `prefill`: the answer's likelihood under the reference model (TOPLOC-style, one prefill pass);
 * - `watcher`: a challenge at temperature 0 compared with the reference and the other suppliers;
 * - `reexecution`: a real request re-run on a second supplier and compared;
 * - `replay`: the same long answer served for different prompts;
 * - `receipt`: an invalid signed receipt seen by the SDK (wrong usage, bad digest, ...);
 * - `artifact`: the weights digest a supplier declares or reports contradicts the service's (reported by the
 *   artifact commitment check through `Verifier.report`).
 */
export type CheckKind = "usage" | "prefill" | "watcher" | "reexecution" | "replay" | "receipt" | "artifact";

/** Every check kind, in a stable order (for tables and publication). */
export const checkKinds: readonly CheckKind[] = [
  "usage",
  "prefill",
  "watcher",
  "reexecution",
  "replay",
  "receipt",
  "artifact",
];

/** What one check concluded about one supplier's exchange. */
export type CheckResult = {
  check: CheckKind;
  supplier: string;
  service: string;
  passed: boolean;
  /**
   * Machine-readable why, for failures: `output_above_max_tokens`, `prompt_above_count`,
   * `completion_above_count`, `length_before_max_tokens`, `prefill_unlikely`, `end_unlikely`, `truncated`,
   * `diverged`, `replayed`, or an SDK evidence kind (`usage_mismatch`, ...). `ok` for passes.
   */
  code: string;
  /** What was found, in words. */
  reason: string;
  /** The numbers behind the verdict (scores, counts, thresholds, agreement). */
  details: Record<string, unknown>;
  /** Tokens this check spent (reference prefill or generation, supplier requests). */
  cost: number;
  /** The exchange that was checked (absent for SDK receipt evidence). */
  exchange?: Exchange;
  /** The answer it was compared with, for watcher and re-execution checks. */
  comparedWith?: { source: string; text: string };
  /** Unix ms. */
  at: number;
};

/** A stored record of a failed check: what was wrong, and the signed request/response pair that proves it. */
export type EvidenceRecord = {
  id: string;
  supplier: string;
  service: string;
  check: CheckKind;
  code: string;
  reason: string;
  details: Record<string, unknown>;
  /** Unix ms. */
  at: number;
  /** The request as sent and the answer as received (text, finish reasons, billed usage). */
  exchange?: {
    id: string;
    endpoint: string;
    origin: ExchangeOrigin;
    stream: boolean;
    request: Record<string, unknown>;
    choices: AnswerChoice[];
    usage: TokenUsage | null;
  };
  /**
   * The signed relay in JSON (bigints as decimal strings): `request` + `requestSignature` (the gateway's),
   * `response` + `responseSignature` (the supplier's receipt), and the exact `requestBody` / `responseBody`
   * (UTF-8) their digests cover.
   */
  signed?: Record<string, unknown>;
  comparedWith?: { source: string; text: string };
};

/** Where a supplier stands for a service: `good` (full traffic), `probation` (little), `excluded` (none). */
export type ReputationState = "good" | "probation" | "excluded";

/** Passed and failed counts of one check. */
export type CheckCounts = { passed: number; failed: number };

/** A supplier's standing for one service, as stored and published. */
export type ReputationRecord = {
  supplier: string;
  service: string;
  state: ReputationState;
  /** 1 / (1 + demerits): 1 = never failed (or fully forgiven), towards 0 as failures pile up. */
  score: number;
  /** Outstanding demerits per check: a failure adds its severity, a pass of the same check forgives a share. */
  demerits: Partial<Record<CheckKind, number>>;
  checks: Partial<Record<CheckKind, CheckCounts>>;
  /** Unix ms of the last state change. */
  since: number;
  /** Unix ms of the last check. */
  updatedAt: number;
};
