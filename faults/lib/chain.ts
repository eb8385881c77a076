import { relayMiningAbi } from "@decai/chain";
import type { startNetwork } from "@decai/chain/testing";
import type { Address, Hex } from "viem";

type Network = Awaited<ReturnType<typeof startNetwork>>;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Claim statuses of `RelayMining.getClaim`. */
export const ClaimStatus = { None: 0, Claimed: 1, Proven: 2, Settled: 3, Voided: 4 } as const;

/** Which claim: one per (supplier, application, service, session). */
export type ClaimHeader = { supplier: Address; application: Address; serviceId: Hex; session: bigint };

/** A claim as it stands on-chain. */
export type OnChainClaim = {
  key: Hex;
  status: number;
  rootHash: Hex;
  rootSum: bigint;
  rootCount: bigint;
  proofWindowOpen: bigint;
  proofWindowClose: bigint;
};

/** A block every `intervalMs`, mined straight on anvil (never through a proxy a test may cut). */
export type BlockTicker = { stop(): Promise<void> };

/**
 * Mines one block every `intervalMs` until stopped: the chain's clock while a scenario's load runs. Anvil stays
 * on automine, so transactions (seeds, claims) are mined at once as well.
 *
 * @example
 * const ticker = startBlockTicker(world.net, 400);
 * await ticker.stop();
 */
export function startBlockTicker(net: Network, intervalMs: number): BlockTicker {
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      await sleep(intervalMs);
      if (!stopped) await net.testClient.mine({ blocks: 1 });
    }
  })();
  return {
    async stop() {
      stopped = true;
      await loop;
    },
  };
}

/** The head block, uncached. */
export const headBlock = (net: Network) => net.publicClient.getBlockNumber({ cacheTime: 0 });

/** Mines empty blocks until the head is `block` (nothing when it is already there). */
export async function mineTo(net: Network, block: bigint): Promise<void> {
  const head = await headBlock(net);
  if (block > head) await net.testClient.mine({ blocks: Number(block - head) });
}

/**
 * Moves the chain through the claim, proof and settlement windows of `headers` until every claim is settled or
 * voided, and returns them as they then stand. Where a RelayMiner has something to do (claim in the claim
 * window, prove in the proof window, settle after it) blocks come one per `stepMs` (default 150 ms), so a loaded machine cannot
 * miss a window; in between it jumps. `onClaimed` runs once per claim, as soon as it is seen on-chain (before
 * settlement prunes the supplier's tree). Throws when a window closes on a missing step or after `timeoutMs`.
 *
 * @example
 * const claims = await driveClaims(world.net, headers, { onClaimed: (h) => snapshotTree(h) });
 */
export async function driveClaims(
  net: Network,
  headers: readonly ClaimHeader[],
  options: {
    stepMs?: number;
    timeoutMs?: number;
    onClaimed?: (header: ClaimHeader, claim: OnChainClaim) => void | Promise<void>;
  } = {},
): Promise<OnChainClaim[]> {
  const { publicClient, contracts } = net;
  const read = <T>(functionName: string, args: readonly unknown[]) =>
    publicClient.readContract({
      address: contracts.relayMining,
      abi: relayMiningAbi,
      functionName,
      args,
    } as never) as Promise<T>;
  const keys = await Promise.all(
    headers.map((h) => read<Hex>("claimKey", [h.supplier, h.application, h.serviceId, h.session])),
  );
  const windows = await Promise.all(
    headers.map((h) => read<readonly [bigint, bigint]>("claimWindow", [h.session])),
  );
  const seen = new Set<number>();
  const deadline = Date.now() + (options.timeoutMs ?? 120_000);
  const stepMs = options.stepMs ?? 150;
  for (;;) {
    const block = await headBlock(net);
    const claims = await Promise.all(
      keys.map(async (key) => ({ key, ...(await read<Omit<OnChainClaim, "key">>("getClaim", [key])) })),
    );
    for (const [i, claim] of claims.entries()) {
      if (claim.status >= ClaimStatus.Claimed && !seen.has(i)) {
        seen.add(i);
        await options.onClaimed?.(headers[i] as ClaimHeader, claim);
      }
    }
    if (claims.every((c) => c.status >= ClaimStatus.Settled)) return claims;
    if (Date.now() > deadline) {
      throw new Error(`claims not final by block ${block}: ${claims.map((c) => c.status).join(", ")}`);
    }
    // A RelayMiner sends its next transaction for block `block + 1`: each claim either needs blocks one by one
    // now (its step is due), or names the block from which it is.
    let slow = false;
    let jumpTo: bigint | undefined;
    const want = (target: bigint) => {
      if (block >= target) slow = true;
      else if (jumpTo === undefined || target < jumpTo) jumpTo = target;
    };
    for (const [i, claim] of claims.entries()) {
      const [open, close] = windows[i] as readonly [bigint, bigint];
      const header = headers[i] as ClaimHeader;
      if (claim.status === ClaimStatus.None) {
        if (block + 1n >= close) {
          throw new Error(
            `claim window of session ${header.session} closed without ${header.supplier}'s claim`,
          );
        }
        want(open - 1n);
      } else if (claim.status === ClaimStatus.Claimed) {
        want(claim.proofWindowOpen);
      } else if (claim.status === ClaimStatus.Proven) {
        want(claim.proofWindowClose - 1n);
      }
    }
    if (slow || jumpTo === undefined) await net.testClient.mine({ blocks: 1 });
    else await net.testClient.mine({ blocks: Number(jumpTo - block) });
    await sleep(stepMs);
  }
}

/**
 * Every claim ever submitted for `application`, by `<supplier>/<session>` (lower-cased): to catch a claim
 * nobody expected (a supplier claiming relays no client acknowledged).
 *
 * @example
 * const submitted = await submittedClaims(world.net, world.app);
 */
export async function submittedClaims(net: Network, application: Address): Promise<Map<string, bigint>> {
  const events = await net.publicClient.getContractEvents({
    address: net.contracts.relayMining,
    abi: relayMiningAbi,
    eventName: "ClaimSubmitted",
    args: { application },
    fromBlock: net.deployment.deployBlock,
  });
  const found = new Map<string, bigint>();
  for (const e of events) {
    const { supplier, session, rootCount } = e.args as {
      supplier: Address;
      session: bigint;
      rootCount: bigint;
    };
    found.set(`${supplier.toLowerCase()}/${session}`, rootCount);
  }
  return found;
}
