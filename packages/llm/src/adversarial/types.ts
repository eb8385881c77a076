import type { Backend } from "../backend.js";

/** A backend that can say which model file it loaded: what a supplier's RelayMiner reports. */
export type DigestBackend = Backend & {
  /** sha256 of the model file, 0x-hex (`EmbeddedBackend.weightsDigest()`). */
  weightsDigest(): Promise<`0x${string}`>;
};

/** The one way an adversarial backend misbehaves. */
export type AdversarialBehaviour = "wrong-model" | "truncating" | "inflating-usage" | "replaying";

/** How many completions an adversarial backend answered, and how many of them it tampered with. */
export type AdversarialCounts = { served: number; tampered: number };

/**
 * A supplier backend that misbehaves in one way (for tests and benchmarks of the gateway's verification). It
 * speaks the same OpenAI wire format as an honest backend, reports a weights digest like one, and counts what it
 * did so a test can tell detection from luck.
 */
export type AdversarialBackend = DigestBackend & {
  readonly behaviour: AdversarialBehaviour;
  /** The honest backend it wraps (for a wrong-model backend: the one on the other file). */
  readonly inner: DigestBackend;
  /** Completions served (chat and text) and how many were tampered with. */
  counts(): AdversarialCounts;
};
