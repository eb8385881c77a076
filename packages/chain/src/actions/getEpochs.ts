import type { Epoch } from "@decai/core";
import type { Address, PublicClient } from "viem";
import { sessionClockAbi } from "../generated/contracts.js";

/**
 * Reads every session epoch from the SessionClock (one per parameter change), for off-chain session math.
 *
 * @example
 * const epochs = await getEpochs(client, deployment.contracts.sessionClock);
 * const session = sessionOf(epochs, await client.getBlockNumber());
 */
export async function getEpochs(client: PublicClient, sessionClock: Address): Promise<Epoch[]> {
  const epochs = await client.readContract({
    address: sessionClock,
    abi: sessionClockAbi,
    functionName: "getEpochs",
  });
  return epochs.map((e) => ({
    startBlock: BigInt(e.startBlock),
    startSession: BigInt(e.startSession),
    blocksPerSession: Number(e.blocksPerSession),
    suppliersPerSession: Number(e.suppliersPerSession),
  }));
}
