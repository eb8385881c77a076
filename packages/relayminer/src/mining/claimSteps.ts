import { relayMiningAbi } from "@decai/chain";
import {
  type Account,
  type Address,
  type Chain,
  type Hex,
  type PublicClient,
  parseEventLogs,
  type Transport,
  type WalletClient,
} from "viem";
import type { SessionTree } from "./sessionTree.js";

/** The chain side of one supplier: clients with its account, and the RelayMining contract. */
export type MiningChain = {
  publicClient: PublicClient;
  walletClient: WalletClient<Transport, Chain, Account>;
  relayMining: Address;
};

/** Which tree: the (application, service, session) the supplier served. */
export type SessionHeader = { application: Address; serviceId: Hex; session: bigint };

/** What happened to one claim, step by step. */
export type ClaimOutcome = {
  key: Hex;
  rootHash: Hex;
  rootSum: bigint;
  rootCount: bigint;
  proofRequired?: boolean;
  proven?: boolean;
  /** Payment-token amount paid out (supplier + source + DAO), or 0n when voided. */
  settledAmount?: bigint;
  voided?: boolean;
};

async function write(chain: MiningChain, functionName: string, args: readonly unknown[]) {
  const hash = await chain.walletClient.writeContract({
    address: chain.relayMining,
    abi: relayMiningAbi,
    functionName,
    args,
  } as never);
  const receipt = await chain.publicClient.waitForTransactionReceipt({ hash });
  if (receipt.status !== "success") throw new Error(`RelayMining.${functionName} reverted (tx ${hash})`);
  return receipt;
}

/**
 * Step 1, in the claim window: commits the tree's root on-chain. One transaction whatever the traffic.
 *
 * @example
 * const outcome = await claimSession(chain, header, tree);
 */
export async function claimSession(
  chain: MiningChain,
  header: SessionHeader,
  tree: SessionTree,
): Promise<ClaimOutcome> {
  tree.seal(); // the root committed is final
  const { rootHash, rootSum, rootCount } = tree.claimRoot();
  await write(chain, "claim", [
    header.application,
    header.serviceId,
    header.session,
    rootHash,
    rootSum,
    rootCount,
  ]);
  const key = await chain.publicClient.readContract({
    address: chain.relayMining,
    abi: relayMiningAbi,
    functionName: "claimKey",
    args: [chain.walletClient.account.address, header.application, header.serviceId, header.session],
  });
  return { key, rootHash, rootSum, rootCount };
}

/**
 * Step 2, in the proof window: records the proof seed, asks whether this claim must be proven, and if so
 * submits the closest proof for the challenged path together with the relay at that leaf.
 *
 * @example
 * await proveSession(chain, outcome, tree);
 */
export async function proveSession(
  chain: MiningChain,
  outcome: ClaimOutcome,
  tree: SessionTree,
): Promise<ClaimOutcome> {
  const read = <T>(functionName: string): Promise<T> =>
    chain.publicClient.readContract({
      address: chain.relayMining,
      abi: relayMiningAbi,
      functionName,
      args: [outcome.key],
    } as never) as Promise<T>;
  await write(chain, "recordProofSeed", [outcome.key]);
  const proofRequired = await read<boolean>("isProofRequired");
  if (!proofRequired) return { ...outcome, proofRequired, proven: false };
  const { proof, relay } = tree.proveClosest(await read<Hex>("proofPath"));
  await write(chain, "submitProof", [outcome.key, proof, relay]);
  return { ...outcome, proofRequired, proven: true };
}

/**
 * Step 3, once the proof window has closed: settles the claim (anyone may; the supplier does so to be paid).
 *
 * @example
 * const { settledAmount } = await settleSession(chain, outcome);
 */
export async function settleSession(chain: MiningChain, outcome: ClaimOutcome): Promise<ClaimOutcome> {
  const receipt = await write(chain, "settle", [outcome.key]);
  const events = parseEventLogs({ abi: relayMiningAbi, logs: receipt.logs });
  for (const event of events) {
    if (event.eventName === "ClaimSettled")
      return { ...outcome, settledAmount: event.args.amount, voided: false };
    if (event.eventName === "ClaimVoided") return { ...outcome, settledAmount: 0n, voided: true };
  }
  throw new Error(`settle(${outcome.key}) emitted neither ClaimSettled nor ClaimVoided`);
}
