import { computeSessionSuppliers, type Epoch, type SupplierEntry, toServiceId } from "@decai/core";
import type { Address, Hex } from "viem";
import { describe, expect, it } from "vitest";
import { NoSessionError, type SessionChain, SessionDirectory } from "../src/index.js";

const app: Address = "0x00000000000000000000000000000000000000a1";
const serviceId = toServiceId("tiny-llama");
const X: Address = "0x0000000000000000000000000000000000000001";
const Y: Address = "0x0000000000000000000000000000000000000002";
const Z: Address = "0x0000000000000000000000000000000000000003";

/** A scripted chain: sessions of 10 blocks from block 100, 3 suppliers per session, claim window open offset 1. */
function fakeChain() {
  const state = {
    block: 105n,
    epochs: [{ startBlock: 100n, startSession: 0n, blocksPerSession: 10, suppliersPerSession: 3 }] as Epoch[],
    seeds: new Map<bigint, Hex>([[0n, `0x${"01".repeat(32)}`]]),
    entries: [X, Y, Z].map((supplier) => ({ supplier, fromSession: 0n, untilSession: 2n ** 64n - 1n })),
    endpoints: new Map<string, string>([
      [X, "http://x.example/"],
      [Y, "http://y.example"],
      [Z, ""], // declared none: left out
    ]),
  };
  const calls = { blockNumber: 0, epochs: 0, sessionSeed: 0, supplierEntries: 0, supplierEndpoint: 0 };
  const chain: SessionChain = {
    async blockNumber() {
      calls.blockNumber++;
      return state.block;
    },
    async epochs() {
      calls.epochs++;
      return state.epochs;
    },
    async sessionSeed(session) {
      calls.sessionSeed++;
      return state.seeds.get(session);
    },
    async supplierEntries() {
      calls.supplierEntries++;
      return state.entries as SupplierEntry[];
    },
    async supplierEndpoint(supplier) {
      calls.supplierEndpoint++;
      return state.endpoints.get(supplier) ?? "";
    },
    // claimWindow(s).open = sessionStartBlock(s + 1) + 1, so the last relay block is the next session's first.
    lastRelayBlock: async (session) => 100n + (session + 1n) * 10n,
  };
  let now = 0;
  const directory = new SessionDirectory({ chain, headTtlMs: 1_000, clock: () => now });
  return { state, calls, directory, advance: (ms: number) => (now += ms) };
}

describe("SessionDirectory", () => {
  it("draws the current session's suppliers like the contracts, with their endpoints", async () => {
    const { state, directory } = fakeChain();
    const [session, ...rest] = await directory.sessions(app, serviceId);
    expect(rest).toEqual([]);
    const drawn = computeSessionSuppliers({
      seed: state.seeds.get(0n) as Hex,
      application: app,
      serviceId,
      session: 0n,
      entries: state.entries,
      suppliersPerSession: 3,
    }).filter((s) => s !== Z);
    expect(session).toMatchObject({ session: 0n, startBlock: 100n, endBlock: 109n, lastRelayBlock: 110n });
    expect(session?.suppliers.map((s) => s.supplier)).toEqual(drawn);
    const endpoints = Object.fromEntries(session?.suppliers.map((s) => [s.supplier, s.endpoint]) ?? []);
    expect(endpoints).toEqual({ [X]: "http://x.example", [Y]: "http://y.example" });
    expect(session?.suppliers.every((s) => s.session === 0n)).toBe(true);
  });

  it("keeps the previous session through its grace period across a rollover", async () => {
    const { state, directory } = fakeChain();
    state.block = 110n; // session 1 started; its seed is not recorded yet
    expect((await directory.sessions(app, serviceId)).map((s) => s.session)).toEqual([0n]);
    state.seeds.set(1n, `0x${"02".repeat(32)}`);
    directory.refresh();
    // Both are servable now: the current one first.
    expect((await directory.sessions(app, serviceId)).map((s) => s.session)).toEqual([1n, 0n]);
    const suppliers = await directory.suppliers(app, serviceId);
    expect(suppliers.map((s) => s.session)).toEqual([1n, 1n, 0n, 0n]);
    state.block = 111n; // past claimWindow(0).open - 1
    directory.refresh();
    expect((await directory.sessions(app, serviceId)).map((s) => s.session)).toEqual([1n]);
  });

  it("throws NoSessionError when the new seed is missing after the grace period", async () => {
    const { state, directory } = fakeChain();
    state.block = 111n;
    const error = await directory.sessions(app, serviceId).catch((e) => e);
    expect(error).toBeInstanceOf(NoSessionError);
    expect(error.message).toMatch(/seed of session 1 is not recorded/);
  });

  it("caches the head for headTtlMs and a seeded session for good", async () => {
    const { calls, directory, advance } = fakeChain();
    await directory.sessions(app, serviceId);
    await directory.sessions(app, serviceId);
    expect(calls).toEqual({
      blockNumber: 1,
      epochs: 1,
      sessionSeed: 1,
      supplierEntries: 1,
      supplierEndpoint: 3,
    });
    advance(1_001);
    await directory.sessions(app, serviceId);
    expect(calls.blockNumber).toBe(2);
    expect(calls.sessionSeed).toBe(1); // final once seeded
    // Another application of the same service shares the entries read.
    await directory.sessions("0x00000000000000000000000000000000000000a2", serviceId);
    expect(calls.supplierEntries).toBe(1);
    expect(calls.sessionSeed).toBe(2);
  });

  it("asks again for a seed that was missing, once the head TTL has passed", async () => {
    const { state, calls, directory, advance } = fakeChain();
    state.block = 110n;
    await directory.sessions(app, serviceId);
    const asked = calls.sessionSeed;
    await directory.sessions(app, serviceId);
    expect(calls.sessionSeed).toBe(asked); // within the TTL: the "no seed" answer is reused
    state.seeds.set(1n, `0x${"02".repeat(32)}`);
    advance(1_001);
    expect((await directory.sessions(app, serviceId)).map((s) => s.session)).toEqual([1n, 0n]);
  });

  it("re-reads epochs when a new session starts (parameters change at boundaries)", async () => {
    const { state, calls, directory } = fakeChain();
    await directory.sessions(app, serviceId);
    // Governance shortened sessions from session 2 on; the chain moves into it.
    state.epochs = [
      ...state.epochs,
      { startBlock: 120n, startSession: 2n, blocksPerSession: 5, suppliersPerSession: 1 },
    ];
    state.seeds.set(2n, `0x${"03".repeat(32)}`);
    state.block = 126n; // session 3 under the new epoch (120-124 is session 2)
    state.seeds.set(3n, `0x${"04".repeat(32)}`);
    directory.refresh();
    const [session] = await directory.sessions(app, serviceId);
    expect(calls.epochs).toBe(2);
    expect(session).toMatchObject({ session: 3n, startBlock: 125n, endBlock: 129n });
    expect(session?.suppliers.length).toBeLessThanOrEqual(1);
  });

  it("drops a read that failed, so the next call retries", async () => {
    let fail = true;
    const flaky = new SessionDirectory({
      chain: {
        blockNumber: async () => {
          if (fail) throw new Error("rpc down");
          return 105n;
        },
        epochs: async () => [
          { startBlock: 100n, startSession: 0n, blocksPerSession: 10, suppliersPerSession: 3 },
        ],
        sessionSeed: async () => `0x${"01".repeat(32)}`,
        supplierEntries: async () => [{ supplier: X, fromSession: 0n, untilSession: 10n }],
        supplierEndpoint: async () => "http://x.example",
        lastRelayBlock: async () => 0n,
      },
    });
    await expect(flaky.sessions(app, serviceId)).rejects.toThrow("rpc down");
    fail = false;
    expect((await flaky.sessions(app, serviceId))[0]?.suppliers).toHaveLength(1);
  });

  it("serves the sessions last read while the chain cannot be read, up to maxStaleMs", async () => {
    const rpc = { down: false };
    const up = <T>(value: T) => {
      if (rpc.down) throw new Error("rpc down");
      return value;
    };
    let now = 0;
    const directory = new SessionDirectory({
      chain: {
        blockNumber: async () => up(105n),
        epochs: async () =>
          up([{ startBlock: 100n, startSession: 0n, blocksPerSession: 10, suppliersPerSession: 3 }]),
        sessionSeed: async () => up(`0x${"01".repeat(32)}` as Hex),
        supplierEntries: async () => up([{ supplier: X, fromSession: 0n, untilSession: 10n }]),
        supplierEndpoint: async () => up("http://x.example"),
        lastRelayBlock: async () => up(110n),
      },
      headTtlMs: 0,
      maxStaleMs: 60_000,
      clock: () => now,
    });
    const read = await directory.sessions(app, serviceId);
    expect(read[0]?.suppliers).toHaveLength(1);
    rpc.down = true; // every read fails from now on
    now += 59_000;
    expect(await directory.sessions(app, serviceId)).toEqual(read); // the cached session keeps serving
    now += 2_000;
    await expect(directory.sessions(app, serviceId)).rejects.toThrow("rpc down"); // too old to trust
    rpc.down = false;
    expect(await directory.sessions(app, serviceId)).toEqual(read);
  });
});
