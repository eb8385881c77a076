import { copyFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { relayMiningAbi, stakingAbi, testTokenAbi } from "@decai/chain";
import type { startNetwork } from "@decai/chain/testing";
import { encodeRelay } from "@decai/core";
import { LogStore, Smst } from "@decai/smst";
import { type Address, bytesToHex, type Hex, hexToBytes } from "viem";
import type { ClaimHeader, OnChainClaim } from "./chain.js";
import type { AcknowledgedRelay } from "./ledger.js";

type Network = Awaited<ReturnType<typeof startNetwork>>;

/** Every address that can hold payment tokens in a fault network: dev accounts, contracts, the DAO. */
export function paymentHolders(net: Network): Address[] {
  const all = [
    ...net.anvil.accounts.map((a) => a.address),
    ...Object.values(net.contracts),
    net.deployment.dao,
  ];
  return [...new Set(all.map((a) => a.toLowerCase() as Address))];
}

/** Payment-token balances of `holders`, and their sum. */
export async function paymentBalances(net: Network, holders: readonly Address[]) {
  const balances = new Map<Address, bigint>();
  for (const holder of holders) {
    balances.set(
      holder,
      await net.publicClient.readContract({
        address: net.contracts.paymentToken,
        abi: testTokenAbi,
        functionName: "balanceOf",
        args: [holder],
      }),
    );
  }
  let total = 0n;
  for (const b of balances.values()) total += b;
  return { balances, total };
}

/** The application's escrow in the staking contract. */
export const escrowOf = (net: Network, application: Address) =>
  net.publicClient.readContract({
    address: net.contracts.staking,
    abi: stakingAbi,
    functionName: "applicationEscrow",
    args: [application],
  });

/** Sum of `ClaimSettled` amounts (supplier + source + DAO) since the deployment. */
export async function settledTotal(net: Network): Promise<bigint> {
  const events = await net.publicClient.getContractEvents({
    address: net.contracts.relayMining,
    abi: relayMiningAbi,
    eventName: "ClaimSettled",
    fromBlock: net.deployment.deployBlock,
  });
  return events.reduce((sum, e) => sum + ((e.args as { amount: bigint }).amount ?? 0n), 0n);
}

/** The file of a supplier's session tree, as the RelayMiner lays it out under its data directory. */
export function treeFile(dataDir: string, header: ClaimHeader): string {
  const name = `${header.session}/${header.application}-${header.serviceId}.smst`.toLowerCase();
  return join(dataDir, "trees", name);
}

/**
 * Copies a supplier's session tree aside (the RelayMiner deletes it once the claim settles), to compare it with
 * the claim and the receipts later.
 *
 * @example
 * const copy = snapshotTree(supplier.dataDir, header, join(world.dir, "snapshots"));
 */
export function snapshotTree(dataDir: string, header: ClaimHeader, into: string): string {
  mkdirSync(into, { recursive: true });
  const copy = join(into, `${header.supplier}-${header.session}.smst`.toLowerCase());
  copyFileSync(treeFile(dataDir, header), copy);
  return copy;
}

/** How one claim compares with the receipts clients hold for it. */
export type ClaimCheck = {
  /** Relays clients hold a valid receipt for. */
  acknowledged: number;
  /** Relays in the claim (its root count). */
  claimed: number;
  /** Acknowledged relays missing from the claimed tree: lost. */
  lost: number;
  /** Relays in the claimed tree that no client holds a receipt for (answered, but the answer never arrived). */
  unacknowledged: number;
  /** Their compute units (the application pays for them too). */
  unacknowledgedWeight: bigint;
  /** The claim's root (hash, sum, count) is the root of the tree the supplier kept. */
  rootMatches: boolean;
};

/**
 * Opens a snapshot of a claimed tree and checks it against the claim and the acknowledged relays: each must be
 * in it under its relay hash with its exact encoding (request, response, both signatures).
 *
 * @example
 * const check = await checkClaim(copy, claim, ledger.groups().get(group) ?? []);
 * expect(check.lost).toBe(0);
 */
export async function checkClaim(
  snapshot: string,
  claim: OnChainClaim,
  acknowledged: readonly AcknowledgedRelay[],
): Promise<ClaimCheck> {
  const tree = await Smst.open(await LogStore.open(snapshot, { fsync: "batch" }));
  try {
    let found = 0;
    let foundWeight = 0n;
    for (const a of acknowledged) {
      const leaf = tree.get(hexToBytes(a.relayHash));
      if (leaf && bytesToHex(leaf.value) === encodeRelay(a.relay).toLowerCase()) {
        found++;
        foundWeight += leaf.weight;
      }
    }
    const root = tree.root();
    return {
      acknowledged: acknowledged.length,
      claimed: Number(claim.rootCount),
      lost: acknowledged.length - found,
      unacknowledged: tree.size - found,
      unacknowledgedWeight: root.sum - foundWeight,
      rootMatches:
        (bytesToHex(root.hash) as Hex) === claim.rootHash &&
        root.sum === claim.rootSum &&
        root.count === claim.rootCount,
    };
  } finally {
    await tree.close();
  }
}
