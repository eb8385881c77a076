import { computeSessionSuppliers, epochOf, type SupplierEntry } from "@decai/core";
import type { Address, Hex, PublicClient } from "viem";
import { ChainError } from "../errors.js";
import { sessionClockAbi, stakingAbi } from "../generated/contracts.js";
import { getEpochs } from "./getEpochs.js";

/** Which session to draw, and where the contracts are. */
export type GetSessionSuppliersParameters = {
  contracts: { sessionClock: Address; staking: Address };
  application: Address;
  serviceId: Hex;
  session: bigint;
};

/**
 * Computes the suppliers of (application, service, session) off-chain from chain state (epochs, the
 * session seed and the service's supplier entries), with the same algorithm as `Sessions.getSessionSuppliers`.
 * Throws a ChainError when the session's seed has not been recorded yet.
 *
 * @example
 * const suppliers = await getSessionSuppliers(client, { contracts, application, serviceId, session: 12n });
 */
export async function getSessionSuppliers(
  client: PublicClient,
  params: GetSessionSuppliersParameters,
): Promise<Address[]> {
  const { contracts, application, serviceId, session } = params;
  const [epochs, seed, entries] = await Promise.all([
    getEpochs(client, contracts.sessionClock),
    client.readContract({
      address: contracts.sessionClock,
      abi: sessionClockAbi,
      functionName: "sessionSeed",
      args: [session],
    }),
    getServiceSupplierEntries(client, contracts.staking, serviceId),
  ]);
  if (BigInt(seed) === 0n) {
    throw new ChainError(
      `the seed of session ${session} has not been recorded`,
      "call SessionClock.recordSessionSeed() during that session (RelayMiners do this at session start)",
    );
  }
  return computeSessionSuppliers({
    seed,
    application,
    serviceId,
    session,
    entries,
    suppliersPerSession: epochOf(epochs, session).suppliersPerSession,
  });
}

/**
 * Reads all supplier entries ever recorded for a service.
 *
 * @example
 * const entries = await getServiceSupplierEntries(client, contracts.staking, toServiceId("tiny-llama"));
 */
export async function getServiceSupplierEntries(
  client: PublicClient,
  staking: Address,
  serviceId: Hex,
): Promise<SupplierEntry[]> {
  const entries = await client.readContract({
    address: staking,
    abi: stakingAbi,
    functionName: "getServiceSupplierEntries",
    args: [serviceId],
  });
  return entries.map((e) => ({
    supplier: e.supplier,
    fromSession: BigInt(e.fromSession),
    untilSession: BigInt(e.untilSession),
  }));
}
