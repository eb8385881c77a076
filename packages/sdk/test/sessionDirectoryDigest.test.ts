import { type SupplierEntry, toServiceId } from "@decai/core";
import type { Address, Hex } from "viem";
import { describe, expect, it } from "vitest";
import { type SessionChain, SessionDirectory } from "../src/index.js";

const app: Address = "0x00000000000000000000000000000000000000a1";
const serviceId = toServiceId("tiny-llama");
const X: Address = "0x0000000000000000000000000000000000000001";
const Y: Address = "0x0000000000000000000000000000000000000002";
const digest = `0x${"ab".repeat(32)}` as Hex;

/** Two suppliers, both drawn (3 per session); X declared `digest`, Y declared nothing. */
function chain(withDigests: boolean): SessionChain {
  const base: SessionChain = {
    blockNumber: async () => 105n,
    epochs: async () => [
      { startBlock: 100n, startSession: 0n, blocksPerSession: 10, suppliersPerSession: 3 },
    ],
    sessionSeed: async () => `0x${"01".repeat(32)}`,
    supplierEntries: async () =>
      [X, Y].map((supplier) => ({
        supplier,
        fromSession: 0n,
        untilSession: 2n ** 64n - 1n,
      })) as SupplierEntry[],
    supplierEndpoint: async (s) => `http://${s.slice(-1)}.example`,
    lastRelayBlock: async (session) => 100n + (session + 1n) * 10n,
  };
  if (!withDigests) return base;
  return { ...base, supplierWeightsDigest: async (s) => (s === X ? digest : undefined) };
}

describe("SessionDirectory: declared weights digests", () => {
  it("carries each supplier's declared digest, and none for a supplier that declared nothing", async () => {
    const directory = new SessionDirectory({ chain: chain(true), headTtlMs: 0 });
    const suppliers = await directory.suppliers(app, serviceId);
    expect(suppliers.map((s) => s.supplier).sort()).toEqual([X, Y]);
    expect(suppliers.find((s) => s.supplier === X)?.weightsDigest).toBe(digest);
    expect(suppliers.find((s) => s.supplier === Y)).not.toHaveProperty("weightsDigest");
  });

  it("leaves digests out when the chain cannot read them", async () => {
    const directory = new SessionDirectory({ chain: chain(false), headTtlMs: 0 });
    const suppliers = await directory.suppliers(app, serviceId);
    expect(suppliers).toHaveLength(2);
    for (const s of suppliers) expect(s).not.toHaveProperty("weightsDigest");
  });
});
