import fc from "fast-check";
import { type Address, type Hex, keccak256, toHex } from "viem";
import { describe, expect, it } from "vitest";
import {
  computeSessionSuppliers,
  type Epoch,
  epochOf,
  fromServiceId,
  type SupplierEntry,
  sessionEndBlock,
  sessionOf,
  sessionStartBlock,
  toServiceId,
} from "../src/session/index.js";

const epochs: Epoch[] = [
  { startBlock: 100n, startSession: 0n, blocksPerSession: 10, suppliersPerSession: 3 },
  { startBlock: 150n, startSession: 5n, blocksPerSession: 4, suppliersPerSession: 2 },
  { startBlock: 170n, startSession: 10n, blocksPerSession: 25, suppliersPerSession: 5 },
];

describe("session numbering", () => {
  it("maps blocks to sessions across epochs", () => {
    expect(sessionOf(epochs, 100n)).toBe(0n);
    expect(sessionOf(epochs, 149n)).toBe(4n);
    expect(sessionOf(epochs, 150n)).toBe(5n);
    expect(sessionOf(epochs, 169n)).toBe(9n);
    expect(sessionOf(epochs, 170n)).toBe(10n);
    expect(sessionOf(epochs, 195n)).toBe(11n);
    expect(sessionStartBlock(epochs, 11n)).toBe(195n);
    expect(sessionEndBlock(epochs, 9n)).toBe(169n);
    expect(epochOf(epochs, 9n).suppliersPerSession).toBe(2);
  });

  it("rejects blocks before genesis", () => {
    expect(() => sessionOf(epochs, 99n)).toThrow(/before the genesis/);
  });

  it("puts every block inside its session's bounds", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 100n, max: 10_000n }), (block) => {
        const s = sessionOf(epochs, block);
        return sessionStartBlock(epochs, s) <= block && block <= sessionEndBlock(epochs, s);
      }),
    );
  });
});

describe("service ids", () => {
  it("round-trips a name and rejects bad ones", () => {
    const id = toServiceId("tiny-llama");
    expect(id).toHaveLength(66);
    expect(fromServiceId(id)).toBe("tiny-llama");
    expect(() => toServiceId("")).toThrow(/invalid service name/);
    expect(() => toServiceId("Has Space")).toThrow(/invalid service name/);
    expect(() => toServiceId("x".repeat(33))).toThrow(/invalid service name/);
  });
});

describe("supplier draw", () => {
  const address = (i: number): Address => `0x${(i + 1).toString(16).padStart(40, "0")}`;
  const entries: SupplierEntry[] = Array.from({ length: 8 }, (_, i) => ({
    supplier: address(i),
    fromSession: BigInt(i % 3),
    untilSession: i === 7 ? 4n : 2n ** 64n - 1n,
  }));
  const base = {
    seed: keccak256(toHex("seed")) as Hex,
    application: address(100),
    serviceId: toServiceId("svc"),
    entries,
    suppliersPerSession: 3,
  };

  it("draws k distinct eligible suppliers, deterministically", () => {
    const set = computeSessionSuppliers({ ...base, session: 5n });
    expect(set).toHaveLength(3);
    expect(new Set(set).size).toBe(3);
    expect(set).not.toContain(address(7)); // its entry ended at session 4
    expect(computeSessionSuppliers({ ...base, session: 5n })).toEqual(set);
  });

  it("only counts entries that cover the session", () => {
    // At session 0 only suppliers whose entries start at 0 are eligible: i % 3 == 0 -> 0, 3, 6.
    const set = computeSessionSuppliers({ ...base, session: 0n, suppliersPerSession: 10 });
    expect([...set].sort()).toEqual([address(0), address(3), address(6)].sort());
  });

  it("returns everyone eligible when fewer than k, and nobody when none", () => {
    expect(computeSessionSuppliers({ ...base, session: 0n, suppliersPerSession: 5 })).toHaveLength(3);
    expect(computeSessionSuppliers({ ...base, entries: [], session: 0n })).toEqual([]);
  });

  it("gives different applications different sets", () => {
    const sets = new Set(
      Array.from({ length: 20 }, (_, i) =>
        computeSessionSuppliers({ ...base, application: address(200 + i), session: 5n }).join(","),
      ),
    );
    expect(sets.size).toBeGreaterThan(1);
  });
});
