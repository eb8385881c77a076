// Artifact commitment (verification layer 1): three statements about the model file behind a supplier's answers
// must agree. The service's digest is the Source's commitment (ServiceRegistry), the declared digest is the
// supplier's on-chain statement (Staking.supplierWeightsDigest), the reported digest is what its RelayMiner says
// its backend loaded (the Decai-Weights-Digest header). A supplier that contradicts the commitment in its own
// words is sanctioned at once. What this layer cannot catch: a supplier that repeats the right digest and serves
// something else (the watchers, prefill re-check and re-execution layers look at the answers for that).
import { parseWeightsDigest } from "@decai/core";
import type { Hex } from "viem";

/** What one check compares; digests are 0x-hex sha256, any case; zero, absent or malformed means "none". */
export type ArtifactCommitmentInput = {
  /** The service's registered weights digest. Zero (a placeholder) means the service committed to nothing. */
  serviceDigest: Hex | string | null | undefined;
  /** The digest the supplier declared on-chain for the service. */
  declaredDigest?: Hex | string | null | undefined;
  /** The digest its RelayMiner reported with an answer (header value as received). */
  reportedDigest?: Hex | string | null | undefined;
};

/**
 * One disagreement:
 * - `declared_mismatch`: the on-chain declaration names another file than the service's;
 * - `reported_mismatch`: the RelayMiner reported another file than the service's;
 * - `inconsistent`: declaration and report disagree (checked only where the service committed to nothing);
 * - `undeclared`: no on-chain declaration; `unreported`: the answer came without a digest.
 *
 * `severity` is "violation" when the supplier's own statement contradicts a commitment (hard evidence: sanction
 * at once) and "missing" when a statement is absent (a supplier behind a plain upstream server may not know its
 * digest: weigh it lightly).
 */
export type ArtifactMismatch = {
  kind: "declared_mismatch" | "reported_mismatch" | "inconsistent" | "undeclared" | "unreported";
  severity: "violation" | "missing";
  /** The digest that should have been given (null where nothing is expected in particular). */
  expected: Hex | null;
  /** The digest given (null when none). */
  actual: Hex | null;
  /** One sentence for evidence records and the public report. */
  message: string;
};

/**
 * Compares a supplier's declared and reported weights digests with the service's committed digest, and lists
 * every mismatch (empty when all agree). Pure and synchronous: call it per answer with the header value, or once
 * per session with only the declaration (leave `reportedDigest` out to skip the report checks).
 *
 * @example
 * const mismatches = checkArtifactCommitment({
 *   serviceDigest: service.weightsDigest,
 *   declaredDigest: sessionSupplier.weightsDigest,
 *   reportedDigest: response.headers["decai-weights-digest"],
 * });
 * if (mismatches.some((m) => m.severity === "violation")) reputation.sanction(supplier, mismatches);
 */
export function checkArtifactCommitment(
  input: ArtifactCommitmentInput,
  options: { checkReported?: boolean } = {},
): ArtifactMismatch[] {
  const service = parseWeightsDigest(input.serviceDigest) ?? null;
  const declared = parseWeightsDigest(input.declaredDigest) ?? null;
  const reported = parseWeightsDigest(input.reportedDigest) ?? null;
  const checkReported = options.checkReported ?? "reportedDigest" in input;
  const out: ArtifactMismatch[] = [];

  if (!declared) {
    out.push({
      kind: "undeclared",
      severity: "missing",
      expected: service,
      actual: null,
      message: "The supplier declared no weights digest on-chain for this service.",
    });
  } else if (service && declared !== service) {
    out.push({
      kind: "declared_mismatch",
      severity: "violation",
      expected: service,
      actual: declared,
      message: `The supplier declared weights ${declared} on-chain, but the service commits to ${service}.`,
    });
  }
  if (!checkReported) return out;
  if (!reported) {
    out.push({
      kind: "unreported",
      severity: "missing",
      expected: service ?? declared,
      actual: null,
      message: "The answer carried no weights digest (Decai-Weights-Digest header).",
    });
  } else if (service && reported !== service) {
    out.push({
      kind: "reported_mismatch",
      severity: "violation",
      expected: service,
      actual: reported,
      message: `The supplier's RelayMiner reported weights ${reported}, but the service commits to ${service}.`,
    });
  } else if (!service && declared && reported !== declared) {
    out.push({
      kind: "inconsistent",
      severity: "violation",
      expected: declared,
      actual: reported,
      message: `The supplier's RelayMiner reported weights ${reported}, but it declared ${declared} on-chain.`,
    });
  }
  return out;
}
