// Artifact commitment as verdicts: each supplier's on-chain declaration of the weights it serves, compared with the
// service's committed digest (checkArtifactCommitment), becomes an `artifact` check result for its reputation.
import { parseWeightsDigest } from "@decai/core";
import { checkArtifactCommitment } from "./artifact.js";
import type { CheckResult } from "./types.js";

/** What one supplier declared on-chain for a service; `weightsDigest` absent when it declared nothing. */
export type Declaration = { supplier: string; weightsDigest?: string | undefined };

/**
 * One `artifact` verdict per supplier that declared a digest: passed when it names the service's committed file,
 * failed (`declared_mismatch`) when it names another one: the supplier's own signed statement contradicts the
 * commitment. No verdict for a supplier that declared nothing (a supplier behind a plain upstream server may not
 * know its digest), nor for any when the service committed to no digest.
 *
 * @example
 * const results = artifactVerdicts("tiny-llama", service.weightsDigest, [{ supplier: "0xabc…", weightsDigest }]);
 * for (const r of results) await verdicts.conclude(r);
 */
export function artifactVerdicts(
  service: string,
  serviceDigest: string | null | undefined,
  declarations: readonly Declaration[],
  now: number = Date.now(),
): CheckResult[] {
  const results: CheckResult[] = [];
  for (const { supplier, weightsDigest } of declarations) {
    const mismatches = checkArtifactCommitment({ serviceDigest, declaredDigest: weightsDigest });
    // `undeclared` is the only other finding without a report to compare: no statement, no verdict.
    if (mismatches.some((m) => m.kind === "undeclared")) continue;
    const base = { check: "artifact" as const, supplier: supplier.toLowerCase(), service, cost: 0, at: now };
    const violation = mismatches.find((m) => m.severity === "violation");
    if (violation) {
      results.push({
        ...base,
        passed: false,
        code: violation.kind,
        reason: violation.message,
        details: { expected: violation.expected, actual: violation.actual },
      });
    } else if (parseWeightsDigest(serviceDigest)) {
      results.push({
        ...base,
        passed: true,
        code: "ok",
        reason: "The supplier declared the service's committed weights.",
        details: { declared: parseWeightsDigest(weightsDigest) },
      });
    }
  }
  return results;
}
