// Artifact commitment inside the verifier: each supplier's on-chain declaration against the service's committed
// digest, judged once per statement, a contradiction excluding the supplier at once. No inference involved.
import { describe, expect, it } from "vitest";
import {
  artifactVerdicts,
  type ChallengeTransport,
  type CheckResult,
  type Declaration,
  type Upstream,
  Verifier,
} from "../../src/index.js";
import { chat, exchangeOf, service } from "./helpers.js";

const committed = `0x${"aa".repeat(32)}`;
const other = `0x${"bb".repeat(32)}`;
const zero = `0x${"00".repeat(32)}`;

/** A transport that only knows declarations (no supplier is ever asked anything). */
function declaring(declarations: Declaration[]): ChallengeTransport & { reads: number } {
  const transport = {
    reads: 0,
    suppliers: async () => declarations.map((d) => d.supplier),
    send: async () => {
      throw new Error("not used");
    },
    async declarations() {
      transport.reads++;
      return structuredClone(declarations);
    },
  };
  return transport;
}

/** A user answer from `supplier` (what makes the verifier look at the service's declarations). */
const answer = (supplier: string) =>
  exchangeOf(supplier, "chat.completions", chat("hi", { max_tokens: 4 }), {
    choices: [{ message: { role: "assistant", content: "hello" }, finish_reason: "stop" }],
    usage: { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 },
  });

describe("artifactVerdicts", () => {
  it("passes a declaration of the committed file and fails one of another file", () => {
    const results = artifactVerdicts(service, committed, [
      { supplier: "0xA", weightsDigest: committed.toUpperCase().replace("0X", "0x") },
      { supplier: "0xB", weightsDigest: other },
    ]);
    expect(results.map((r) => [r.supplier, r.passed, r.code])).toEqual([
      ["0xa", true, "ok"],
      ["0xb", false, "declared_mismatch"],
    ]);
    expect(results[1]).toMatchObject({ check: "artifact", details: { expected: committed, actual: other } });
  });

  it("gives no verdict without a statement to judge: nothing declared, or nothing committed", () => {
    expect(
      artifactVerdicts(service, committed, [{ supplier: "0xa" }, { supplier: "0xb", weightsDigest: zero }]),
    ).toEqual([]);
    expect(artifactVerdicts(service, zero, [{ supplier: "0xa", weightsDigest: other }])).toEqual([]);
    expect(artifactVerdicts(service, undefined, [{ supplier: "0xa", weightsDigest: other }])).toEqual([]);
  });
});

describe("Verifier: artifact commitment", () => {
  it("excludes a supplier whose declaration contradicts the commitment on the service's first answer", async () => {
    const transport = declaring([
      { supplier: "0xhonest", weightsDigest: committed },
      { supplier: "0xliar", weightsDigest: other },
      { supplier: "0xquiet" },
    ]);
    const verifier = await Verifier.create({ transport, serviceDigest: () => committed });
    const checks: CheckResult[] = [];
    verifier.on("check", (c) => checks.push(c));
    verifier.observe(answer("0xhonest"));
    await verifier.idle();

    expect(checks.filter((c) => c.check === "artifact").map((c) => [c.supplier, c.passed])).toEqual([
      ["0xhonest", true],
      ["0xliar", false],
    ]);
    expect(verifier.state("0xliar", service)).toBe("excluded");
    expect(verifier.weight("0xliar", service)).toBe(0);
    expect(verifier.state("0xhonest", service)).toBe("good");
    const [evidence] = await verifier.evidence({ supplier: "0xliar" });
    expect(evidence).toMatchObject({
      check: "artifact",
      code: "declared_mismatch",
      details: { actual: other },
    });

    // Within the minute nothing is read again; asked directly, statements already judged are not judged twice.
    verifier.observe(answer("0xhonest"));
    await verifier.idle();
    expect(transport.reads).toBe(1);
    expect(await verifier.checkArtifacts(service)).toEqual([]);
    expect(verifier.stats().checks.artifact).toMatchObject({ run: 2, passed: 1, failed: 1 });
  });

  it("judges a changed declaration again, and reads the commitment from the wrapped upstream by default", async () => {
    const declarations: Declaration[] = [{ supplier: "0xa", weightsDigest: committed }];
    const transport = declaring(declarations);
    const verifier = await Verifier.create({ transport });
    const upstream: Upstream = {
      models: async () => [{ id: service, suppliers: 1, weightsDigest: committed }],
      call: async () => {
        throw new Error("not used");
      },
    };
    verifier.wrap(upstream);
    expect((await verifier.checkArtifacts(service)).map((r) => r.passed)).toEqual([true]);
    // A new session: the supplier now declares another file.
    (declarations[0] as Declaration).weightsDigest = other;
    const [result] = await verifier.checkArtifacts(service);
    expect(result).toMatchObject({ supplier: "0xa", passed: false, code: "declared_mismatch" });
  });

  it("checks nothing without a transport that reads declarations, and survives one that fails", async () => {
    const silent = await Verifier.create({ serviceDigest: () => committed });
    expect(await silent.checkArtifacts(service)).toEqual([]);
    const broken = declaring([]);
    broken.declarations = async () => {
      throw new Error("the chain is away");
    };
    const verifier = await Verifier.create({ transport: broken, serviceDigest: () => committed });
    expect(await verifier.checkArtifacts(service)).toEqual([]);
    verifier.observe(answer("0xa"));
    await verifier.idle();
    expect(verifier.stats().checks.artifact.run).toBe(0);
  });
});
