import { describe, expect, it } from "vitest";
import { checkArtifactCommitment } from "../src/verification/artifact.js";

const service = `0x${"aa".repeat(32)}` as const;
const other = `0x${"bb".repeat(32)}` as const;
const zero = `0x${"00".repeat(32)}` as const;
const kinds = (m: { kind: string }[]) => m.map((x) => x.kind);

describe("checkArtifactCommitment", () => {
  it("finds nothing when declaration and report match the service (in any case)", () => {
    expect(
      checkArtifactCommitment({
        serviceDigest: service,
        declaredDigest: service.toUpperCase().replace("0X", "0x"),
        reportedDigest: ` ${service} `,
      }),
    ).toEqual([]);
  });

  it("flags a declaration of another file as a violation", () => {
    const [m, ...rest] = checkArtifactCommitment({ serviceDigest: service, declaredDigest: other });
    expect(rest).toEqual([]);
    expect(m).toMatchObject({
      kind: "declared_mismatch",
      severity: "violation",
      expected: service,
      actual: other,
    });
    expect(m?.message).toContain(other);
  });

  it("flags a reported digest of another file, even when the declaration is right", () => {
    const found = checkArtifactCommitment({
      serviceDigest: service,
      declaredDigest: service,
      reportedDigest: other,
    });
    expect(found).toEqual([
      expect.objectContaining({
        kind: "reported_mismatch",
        severity: "violation",
        expected: service,
        actual: other,
      }),
    ]);
  });

  it("reports missing statements as 'missing', not as violations", () => {
    const found = checkArtifactCommitment({
      serviceDigest: service,
      declaredDigest: zero,
      reportedDigest: undefined,
    });
    expect(kinds(found)).toEqual(["undeclared", "unreported"]);
    expect(found.every((m) => m.severity === "missing")).toBe(true);
    // A malformed header is no report either.
    expect(
      kinds(
        checkArtifactCommitment({ serviceDigest: service, declaredDigest: service, reportedDigest: "0x12" }),
      ),
    ).toEqual(["unreported"]);
  });

  it("skips the report checks when no report is passed", () => {
    expect(checkArtifactCommitment({ serviceDigest: service, declaredDigest: service })).toEqual([]);
    expect(
      kinds(
        checkArtifactCommitment({ serviceDigest: service, declaredDigest: service }, { checkReported: true }),
      ),
    ).toEqual(["unreported"]);
  });

  it("with a placeholder service digest, only checks that the supplier is consistent with itself", () => {
    expect(
      checkArtifactCommitment({ serviceDigest: zero, declaredDigest: other, reportedDigest: other }),
    ).toEqual([]);
    expect(
      checkArtifactCommitment({ serviceDigest: zero, declaredDigest: other, reportedDigest: service }),
    ).toEqual([
      expect.objectContaining({
        kind: "inconsistent",
        severity: "violation",
        expected: other,
        actual: service,
      }),
    ]);
  });

  it("cannot catch a supplier that repeats the committed digest (the answers must be checked for that)", () => {
    expect(
      checkArtifactCommitment({ serviceDigest: service, declaredDigest: service, reportedDigest: service }),
    ).toEqual([]);
  });
});
