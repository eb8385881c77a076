import { toServiceId } from "@decai/core";
import type { Address, Hex, PublicClient } from "viem";
import { describe, expect, it } from "vitest";
import type { DecaiDeployment } from "../deploy/deployment.js";
import { selectApplication } from "./application.js";
import { relaysPerApplicable } from "./difficulty.js";
import { claimCounts, earningsSeries, selectSource, selectSupplier } from "./earnings.js";
import { LedgerIndexer } from "./ledger.js";
import { claimStage } from "./proofRequirements.js";
import type { NetworkStatus } from "./types.js";

const SUPPLIER = "0x00000000000000000000000000000000000000a1" as Address;
const OTHER = "0x00000000000000000000000000000000000000a2" as Address;
const APP = "0x00000000000000000000000000000000000000b1" as Address;
const SOURCE = "0x00000000000000000000000000000000000000c1" as Address;
const SERVICE = toServiceId("tiny-llama");
const key = (n: number) => `0x${n.toString(16).padStart(64, "0")}` as Hex;
const tx = (n: number) => `0x${(1000 + n).toString(16).padStart(64, "0")}` as Hex;

type FakeLog = {
  eventName: string;
  args: Record<string, unknown>;
  blockNumber: bigint;
  transactionHash: Hex;
  logIndex: number;
};

/** A client whose chain is `logs`, up to `head` (which the test moves). */
function fakeChain(logs: FakeLog[]) {
  const calls: [bigint, bigint][] = [];
  const chain = { head: 0n, calls };
  const client = {
    getBlockNumber: async () => chain.head,
    getLogs: async ({ fromBlock, toBlock }: { fromBlock: bigint; toBlock: bigint }) => {
      calls.push([fromBlock, toBlock]);
      return logs.filter((l) => l.blockNumber >= fromBlock && l.blockNumber <= toBlock);
    },
  } as unknown as PublicClient;
  const deployment = {
    deployBlock: 1n,
    contracts: { relayMining: SOURCE, staking: SOURCE },
  } as unknown as DecaiDeployment;
  return { chain, source: { client, deployment } };
}

const claimed = (n: number, block: bigint, supplier = SUPPLIER, session = 2n): FakeLog => ({
  eventName: "ClaimSubmitted",
  args: {
    key: key(n),
    supplier,
    application: APP,
    serviceId: SERVICE,
    session,
    rootHash: key(0),
    rootSum: 30n,
    rootCount: 3n,
  },
  blockNumber: block,
  transactionHash: tx(n),
  logIndex: 0,
});

// A settlement transaction: the claim's ClaimSettled and the escrow's EscrowPaid, in either order.
function settled(n: number, block: bigint, supplier = SUPPLIER, paidFirst = false): FakeLog[] {
  const settledLog: FakeLog = {
    eventName: "ClaimSettled",
    args: { key: key(n), amount: 100n, supplierAmount: 85n, sourceAmount: 10n, daoAmount: 5n },
    blockNumber: block,
    transactionHash: tx(100 + n),
    logIndex: paidFirst ? 1 : 0,
  };
  const paid: FakeLog = {
    eventName: "EscrowPaid",
    args: {
      application: APP,
      supplier,
      source: SOURCE,
      supplierAmount: 85n,
      sourceAmount: 10n,
      daoAmount: 5n,
    },
    blockNumber: block,
    transactionHash: tx(100 + n),
    logIndex: paidFirst ? 0 : 1,
  };
  return paidFirst ? [paid, settledLog] : [settledLog, paid];
}

describe("LedgerIndexer", () => {
  it("folds claims, proofs, settlements and voids, and reads only new blocks on each sync", async () => {
    const logs: FakeLog[] = [
      {
        eventName: "SupplierStaked",
        args: { supplier: SUPPLIER, amount: 1n, total: 1n },
        blockNumber: 2n,
        transactionHash: tx(90),
        logIndex: 0,
      },
      claimed(1, 5n),
      claimed(2, 5n, OTHER),
      { ...claimed(3, 6n), args: { ...claimed(3, 6n).args, session: 3n } },
      {
        eventName: "ProofSubmitted",
        args: { key: key(1) },
        blockNumber: 8n,
        transactionHash: tx(50),
        logIndex: 0,
      },
      ...settled(1, 12n),
      ...settled(2, 12n, OTHER, true),
      {
        eventName: "ClaimVoided",
        args: { key: key(3), supplier: SUPPLIER, slashed: 7n },
        blockNumber: 13n,
        transactionHash: tx(60),
        logIndex: 0,
      },
    ];
    const { chain, source } = fakeChain(logs);
    const indexer = new LedgerIndexer(source, { maxBlockRange: 4n });

    chain.head = 9n;
    let ledger = await indexer.sync();
    expect(chain.calls).toEqual([
      [1n, 4n],
      [5n, 8n],
      [9n, 9n],
    ]);
    expect(ledger.suppliers).toEqual([SUPPLIER]);
    expect(ledger.claims.map((c) => [c.key, c.state, c.stage])).toEqual([
      [key(1), "proven", "proven"],
      [key(2), "claimed", "claimed"],
      [key(3), "claimed", "claimed"],
    ]);
    expect(ledger.payments).toEqual([]);

    chain.head = 13n;
    chain.calls.length = 0;
    ledger = await indexer.sync();
    expect(chain.calls).toEqual([[10n, 13n]]); // only the new blocks
    expect(ledger.claims.map((c) => [c.state, c.stage, c.settledBlock])).toEqual([
      ["settled", "settled", 12n],
      ["settled", "settled", 12n],
      ["voided", "void", 13n],
    ]);
    expect(ledger.claims[2]?.slashed).toBe(7n);
    // Each EscrowPaid is tied to its claim, whichever came first in the transaction.
    expect(ledger.payments.map((p) => [p.supplier, p.claimKey, p.session, p.service, p.blockNumber])).toEqual(
      [
        [SUPPLIER, key(1), 2n, "tiny-llama", 12n],
        [OTHER, key(2), 2n, "tiny-llama", 12n],
      ],
    );
    expect(ledger.feed.map((f) => f.kind)).toEqual([
      "claim",
      "claim",
      "claim",
      "proof",
      "settlement",
      "settlement",
      "void",
    ]);
    expect(ledger.feed[4]).toMatchObject({ key: key(1), amount: 100n, supplier: SUPPLIER, session: 2n });
  });

  it("keeps only the latest feed items", async () => {
    const logs = Array.from({ length: 10 }, (_, i) => claimed(i + 1, BigInt(2 + i)));
    const { chain, source } = fakeChain(logs);
    chain.head = 20n;
    const ledger = await new LedgerIndexer(source, { feedSize: 3 }).sync();
    expect(ledger.claims).toHaveLength(10);
    expect(ledger.feed.map((f) => f.key)).toEqual([key(8), key(9), key(10)]);
  });

  it("retries a failed read from where it stopped", async () => {
    const { chain, source } = fakeChain([claimed(1, 3n)]);
    const indexer = new LedgerIndexer(source);
    chain.head = 5n;
    const broken = {
      ...source,
      client: {
        ...source.client,
        getBlockNumber: async () => 5n,
        getLogs: async () => {
          throw new Error("rpc down");
        },
      },
    };
    await expect(new LedgerIndexer(broken as never).sync()).rejects.toThrow("rpc down");
    expect((await indexer.sync()).claims).toHaveLength(1);
    expect(indexer.syncedBlock).toBe(5n);
  });
});

describe("claim stages and selectors", () => {
  it("names a claim's stage from its state and proof requirement", () => {
    expect(claimStage({ state: "claimed" })).toBe("claimed");
    expect(claimStage({ state: "claimed", proofRequired: false })).toBe("claimed");
    expect(claimStage({ state: "claimed", proofRequired: true })).toBe("proof required");
    expect(claimStage({ state: "proven", proofRequired: true })).toBe("proven");
    expect(claimStage({ state: "settled" })).toBe("settled");
    expect(claimStage({ state: "voided", proofRequired: true })).toBe("void");
  });

  it("turns targets into how many relays an applicable one stands for", () => {
    expect(relaysPerApplicable(2n ** 256n - 1n)).toBe(1);
    expect(relaysPerApplicable(2n ** 252n)).toBe(16);
  });

  it("sums earnings per session of work with a running total", () => {
    const p = (session: bigint, supplierAmount: bigint) => ({
      application: APP,
      supplier: SUPPLIER,
      source: SOURCE,
      supplierAmount,
      sourceAmount: 1n,
      daoAmount: 0n,
      blockNumber: 1n,
      session,
    });
    expect(earningsSeries([p(4n, 5n), p(2n, 3n), p(4n, 2n)], "supplierAmount")).toEqual([
      { session: 2n, amount: 3n, cumulative: 3n },
      { session: 4n, amount: 7n, cumulative: 10n },
    ]);
    expect(earningsSeries([p(4n, 5n)], "supplierAmount", { from: 2n, to: 5n })).toEqual([
      { session: 2n, amount: 0n, cumulative: 0n },
      { session: 3n, amount: 0n, cumulative: 0n },
      { session: 4n, amount: 5n, cumulative: 5n },
      { session: 5n, amount: 0n, cumulative: 5n },
    ]);
    // A long history fills only its last sessions; payments before them still count.
    const long = earningsSeries([p(1n, 7n)], "supplierAmount", { from: 1n, to: 10_000n });
    expect(long).toHaveLength(501);
    expect(long.at(-1)).toEqual({ session: 10_000n, amount: 0n, cumulative: 7n });
    expect(earningsSeries([p(4n, 5n), p(2n, 3n)], "total")).toEqual([
      { session: 2n, amount: 4n, cumulative: 4n },
      { session: 4n, amount: 6n, cumulative: 10n },
    ]);
  });

  it("selects one supplier's and one source's page from the network status", async () => {
    const logs = [
      claimed(1, 5n),
      claimed(2, 5n, OTHER),
      claimed(3, 6n, SUPPLIER, 3n),
      ...settled(1, 12n),
      ...settled(2, 12n, OTHER),
    ];
    const { chain, source } = fakeChain(logs);
    chain.head = 12n;
    const ledger = await new LedgerIndexer(source).sync();
    const status = {
      claims: ledger.claims,
      payments: ledger.payments,
      suppliers: [{ address: SUPPLIER, stake: 1000n, services: [], earned: 85n }],
      sources: [{ address: SOURCE, earned: 20n }],
      services: [
        { id: SERVICE, name: "tiny-llama", source: SOURCE, modelName: "tiny", sourceShareBps: 1000 },
      ],
    } as unknown as NetworkStatus;

    const supplier = selectSupplier(status, SUPPLIER.toUpperCase().replace("0X", "0x") as Address);
    expect(supplier).toMatchObject({
      staked: true,
      stake: 1000n,
      earned: 85n,
      sessionsServed: 2,
      relaysMined: 6n,
      computeUnits: 60n,
      claimCounts: { claimed: 1, settled: 1, "proof required": 0, proven: 0, void: 0 },
      // Session 3 is claimed but not settled yet: on the time axis, at zero.
      earnings: [
        { session: 2n, amount: 85n, cumulative: 85n },
        { session: 3n, amount: 0n, cumulative: 85n },
      ],
    });
    expect(supplier.claims.map((c) => c.key)).toEqual([key(3), key(1)]); // newest first
    const other = selectSupplier(status, OTHER);
    expect(other).toMatchObject({ staked: false, stake: 0n, earned: 85n, sessionsServed: 1 });

    const src = selectSource(status, SOURCE);
    expect(src.earned).toBe(20n);
    expect(src.settledClaims).toBe(2);
    expect(src.services).toEqual([
      {
        id: SERVICE,
        name: "tiny-llama",
        modelName: "tiny",
        sourceShareBps: 1000,
        owned: true,
        earned: 20n,
        settledClaims: 2,
        earnings: [
          { session: 2n, amount: 20n, cumulative: 20n },
          { session: 3n, amount: 0n, cumulative: 20n },
        ],
      },
    ]);
    expect(claimCounts(status.claims)).toEqual({
      claimed: 1,
      "proof required": 0,
      proven: 0,
      settled: 2,
      void: 0,
    });
  });

  it("selects one application's claims and spending, and an unknown one as empty", async () => {
    const logs = [claimed(1, 5n), claimed(2, 5n, OTHER), claimed(3, 6n, SUPPLIER, 3n), ...settled(1, 12n)];
    const { chain, source } = fakeChain(logs);
    chain.head = 12n;
    const ledger = await new LedgerIndexer(source).sync();
    const status = {
      claims: ledger.claims,
      payments: ledger.payments,
      applications: [
        {
          address: APP,
          escrow: 900n,
          services: [{ id: SERVICE, name: "tiny-llama" }],
          gateways: [OTHER],
          spent: 100n,
        },
      ],
    } as unknown as NetworkStatus;

    const app = selectApplication(status, APP.toUpperCase().replace("0X", "0x") as Address);
    expect(app).toMatchObject({
      address: APP,
      staked: true,
      escrow: 900n,
      services: [{ id: SERVICE, name: "tiny-llama" }],
      gateways: [OTHER],
      spent: 100n, // supplier + source + DAO of the one settled claim
      settledClaims: 1,
      claimCounts: { claimed: 2, settled: 1, "proof required": 0, proven: 0, void: 0 },
      spending: [
        { session: 2n, amount: 100n, cumulative: 100n },
        { session: 3n, amount: 0n, cumulative: 100n },
      ],
    });
    expect(app.claims.map((c) => c.key)).toEqual([key(3), key(2), key(1)]); // newest first
    expect(app.withdrawableFromSession).toBeUndefined();

    const nobody = selectApplication(status, SOURCE);
    expect(nobody).toMatchObject({ address: SOURCE, staked: false, escrow: 0n, spent: 0n, settledClaims: 0 });
    expect(nobody.claims).toEqual([]);
    expect(nobody.spending).toEqual([]);
  });
});
