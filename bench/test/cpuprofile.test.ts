import { describe, expect, it } from "vitest";
import { type CpuProfile, summarizeProfile } from "../lib/cpuprofile.js";

const frame = (functionName: string, url = "") => ({ functionName, url, lineNumber: 0 });

// root → handleRelay (relayminer) → recoverDigest (core) → ecdsaRecover (secp256k1)
//                                 → Buffer.from (node:buffer, unmatched: charged to handleRelay)
//      → (idle)
const profile: CpuProfile = {
  nodes: [
    { id: 1, callFrame: frame("(root)"), children: [2, 6] },
    {
      id: 2,
      callFrame: frame("handleRelay", "file:///x/packages/relayminer/src/relay.ts"),
      children: [3, 5],
    },
    {
      id: 3,
      callFrame: frame("recoverDigest", "file:///x/packages/core/src/relay/signature.ts"),
      children: [4],
    },
    { id: 4, callFrame: frame("ecdsaRecover", "file:///x/node_modules/secp256k1/lib/index.js") },
    { id: 5, callFrame: frame("from", "node:buffer") },
    { id: 6, callFrame: frame("(idle)") },
  ],
  startTime: 1_000,
  endTime: 1_000 + 8 * 1_000,
  // Each sample stands for the time until the next one: 1 ms here.
  samples: [4, 4, 3, 5, 6, 6, 4, 6],
  timeDeltas: [0, 1_000, 1_000, 1_000, 1_000, 1_000, 1_000, 1_000],
};

describe("summarizeProfile", () => {
  it("charges each sample to the first recognised frame from the leaf up", () => {
    const s = summarizeProfile(profile);
    const ms = Object.fromEntries(s.categories.map((c) => [c.category, c.ms]));
    // The last sample has no successor, so it counts for nothing: 7 ms sampled.
    expect(s.totalMs).toBe(7);
    expect(s.busyMs).toBe(5);
    // Samples 1, 2 and 7 are ecdsaRecover, sample 3 recoverDigest (both verify); sample 4 Buffer.from, which
    // no rule knows, so it counts for its caller, handleRelay.
    expect(ms).toEqual({ "signature verify (recover)": 4, "RelayMiner logic": 1 });
    expect(s.categories[0]).toMatchObject({ category: "signature verify (recover)", shareOfBusy: 80 });
    expect(s.topFunctions[0]?.name).toMatch(/^ecdsaRecover node_modules\/secp256k1/);
  });

  it("keeps to the window it is given", () => {
    // Sample times: 1000, 2000, ..., 8000 µs; keep those at 3000..5000 µs: recoverDigest, Buffer.from, idle.
    const s = summarizeProfile(profile, undefined, { fromUs: 3_000, toUs: 5_000 });
    expect(s.totalMs).toBe(3);
    expect(s.busyMs).toBe(2);
    expect(s.categories.map((c) => [c.category, c.ms])).toEqual([
      ["signature verify (recover)", 1],
      ["RelayMiner logic", 1],
    ]);
  });
});
