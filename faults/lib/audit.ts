import { existsSync } from "node:fs";
import { join } from "node:path";
import { relayMiningAbi } from "@decai/chain";
import type { Address } from "viem";
import {
  type ClaimCheck,
  checkClaim,
  escrowOf,
  paymentBalances,
  paymentHolders,
  settledTotal,
  snapshotTree,
  treeFile,
} from "./books.js";
import { type ClaimHeader, ClaimStatus, driveClaims, type OnChainClaim, submittedClaims } from "./chain.js";
import type { FaultGateway } from "./gateway.js";
import { claimGroup } from "./ledger.js";
import type { FaultNetwork } from "./network.js";

/**
 * The books before a scenario: every payment-token balance and the application's escrow; and, while the
 * scenario runs, a copy of each supplier's tree as soon as its claim lands (the RelayMiner deletes it once the
 * claim settles, which may be before the scenario ends).
 */
export type OpeningBooks = {
  holders: Address[];
  total: bigint;
  escrow: bigint;
  /** Tree copies by `<supplier>/<session>`. */
  snapshots: Map<string, string>;
  /** Copies the tree of `header` unless it is copied already. */
  snapshot(header: ClaimHeader): void;
  stopWatching(): Promise<void>;
};

/** What a scenario's books say once every claim is settled. */
export type Audit = {
  /** One per (supplier, session) that clients hold receipts for. */
  claims: { group: string; header: ClaimHeader; claim: OnChainClaim; check: ClaimCheck }[];
  /** Relays clients hold a valid receipt for. */
  acknowledged: number;
  /** Acknowledged relays missing from every claim. */
  relaysLost: number;
  /** Relays claimed that no client holds a receipt for. */
  unacknowledged: number;
  /** Their compute units, in the claims checked. */
  unacknowledgedWeight: bigint;
  /** Claims submitted for (supplier, session) pairs no client holds a receipt for. */
  unexpectedClaims: string[];
  /** Claims settled as voided (a required proof missing). */
  voided: number;
  /** Paid out of the escrow (supplier + source + DAO), per the `ClaimSettled` events. */
  settled: bigint;
  /** How much the escrow went down. */
  escrowSpent: bigint;
  /** What the gateway charged its API key for requests that completed (outcome "ok"). */
  billedComplete: bigint;
  /** Payment tokens that vanished (sum of all balances before minus after): 0 when the books hold. */
  fundsLost: bigint;
};

/**
 * Reads the books before a scenario runs.
 *
 * @example
 * const opening = await openBooks(world);
 */
export async function openBooks(world: FaultNetwork): Promise<OpeningBooks> {
  const { net } = world;
  const holders = paymentHolders(net);
  const { total } = await paymentBalances(net, holders);
  const snapshots = new Map<string, string>();
  const into = join(world.dir, "snapshots");
  const snapshot = (header: ClaimHeader) => {
    const group = claimGroup(header.supplier, header.session);
    if (snapshots.has(group)) return;
    const file = treeFile(world.supplier(header.supplier).dataDir, header);
    if (!existsSync(file)) throw new Error(`the tree of ${group} was pruned before it could be copied`);
    snapshots.set(group, snapshotTree(world.supplier(header.supplier).dataDir, header, into));
  };
  let watching = true;
  let from = await net.publicClient.getBlockNumber({ cacheTime: 0 });
  const watcher = (async () => {
    while (watching) {
      try {
        const to = await net.publicClient.getBlockNumber({ cacheTime: 0 });
        if (to >= from) {
          const events = await net.publicClient.getContractEvents({
            address: net.contracts.relayMining,
            abi: relayMiningAbi,
            eventName: "ClaimSubmitted",
            args: { application: world.app },
            fromBlock: from,
            toBlock: to,
          });
          for (const e of events) {
            const { supplier, session } = e.args as { supplier: Address; session: bigint };
            snapshot({ supplier, application: world.app, serviceId: world.serviceId, session });
          }
          from = to + 1n;
        }
      } catch {
        // the chain is being stopped, or a tree is gone: closeBooks reports the missing copy
      }
      await new Promise((r) => setTimeout(r, 150));
    }
  })();
  return {
    holders,
    total,
    escrow: await escrowOf(net, world.app),
    snapshots,
    snapshot,
    async stopWatching() {
      watching = false;
      await watcher;
    },
  };
}

/**
 * Closes a scenario's books: waits for every stream's receipt, drives every claim the receipts call for
 * through claim, proof and settlement (copying each supplier's tree aside as it is claimed), then checks every
 * claim against the receipts, looks for claims nobody expected, and counts the money.
 *
 * @example
 * const audit = await closeBooks(world, gw, opening);
 * expect(audit.relaysLost).toBe(0);
 */
export async function closeBooks(
  world: FaultNetwork,
  gw: FaultGateway,
  opening: OpeningBooks,
  options: {
    timeoutMs?: number;
    /** Runs once per claim when it lands, after its tree is copied aside (e.g. to kill its RelayMiner). */
    onClaimed?: (header: ClaimHeader) => Promise<void>;
  } = {},
): Promise<Audit> {
  await gw.ledger.settled();
  const groups = gw.ledger.groups();
  const headers: ClaimHeader[] = [...groups.values()].map((relays) => {
    const { supplier, session } = relays[0] as (typeof relays)[number];
    return { supplier, application: world.app, serviceId: world.serviceId, session };
  });
  const { snapshots } = opening;
  let claims: OnChainClaim[];
  try {
    claims = await driveClaims(world.net, headers, {
      ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}),
      onClaimed: async (header) => {
        opening.snapshot(header);
        await options.onClaimed?.(header);
      },
    });
  } finally {
    await opening.stopWatching();
  }
  const audited: Audit["claims"] = [];
  for (const [i, header] of headers.entries()) {
    const group = claimGroup(header.supplier, header.session);
    const claim = claims[i] as OnChainClaim;
    const copy = snapshots.get(group);
    if (!copy) throw new Error(`no copy of the tree claimed as ${group}`);
    const check = await checkClaim(copy, claim, groups.get(group) ?? []);
    audited.push({ group, header, claim, check });
  }
  const submitted = await submittedClaims(world.net, world.app);
  const unexpectedClaims = [...submitted.keys()].filter((g) => !groups.has(g));
  const { total } = await paymentBalances(world.net, opening.holders);
  let billedComplete = 0n;
  for (const row of await gw.store.usage({ limit: 10_000 }))
    if (row.outcome === "ok") billedComplete += row.cost;
  return {
    claims: audited,
    acknowledged: gw.ledger.relays.length,
    relaysLost: audited.reduce((n, c) => n + c.check.lost, 0),
    unacknowledged:
      audited.reduce((n, c) => n + c.check.unacknowledged, 0) +
      unexpectedClaims.reduce((n, g) => n + Number(submitted.get(g) ?? 0n), 0),
    unacknowledgedWeight: audited.reduce((n, c) => n + c.check.unacknowledgedWeight, 0n),
    unexpectedClaims,
    voided: claims.filter((c) => c.status === ClaimStatus.Voided).length,
    settled: await settledTotal(world.net),
    escrowSpent: opening.escrow - (await escrowOf(world.net, world.app)),
    billedComplete,
    fundsLost: opening.total - total,
  };
}
