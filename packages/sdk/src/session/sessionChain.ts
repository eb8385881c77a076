import {
  getEpochs,
  getServiceSupplierEntries,
  getSupplierWeightsDigest,
  relayMiningAbi,
  sessionClockAbi,
  stakingAbi,
} from "@decai/chain";
import type { Epoch, SupplierEntry } from "@decai/core";
import type { Address, Hex, PublicClient } from "viem";

/**
 * The chain reads a `SessionDirectory` needs. `createSessionChain` answers them with contract calls; a gateway
 * that already runs a `ChainIndexer` can answer them from its state instead.
 */
export type SessionChain = {
  /** The head block. */
  blockNumber(): Promise<bigint>;
  /** Every session epoch, oldest first (`SessionClock.getEpochs`). */
  epochs(): Promise<readonly Epoch[]>;
  /** The recorded seed of `session`, or undefined while none is recorded. */
  sessionSeed(session: bigint): Promise<Hex | undefined>;
  /** Every supplier entry ever recorded for the service (`Staking.getServiceSupplierEntries`). */
  supplierEntries(serviceId: Hex): Promise<readonly SupplierEntry[]>;
  /** The RelayMiner URL the supplier declared for the service ("" when none). */
  supplierEndpoint(supplier: Address, serviceId: Hex): Promise<string>;
  /**
   * Optional: the weights digest the supplier declared for the service (`Staking.supplierWeightsDigest`), undefined
   * when none. When absent, sessions carry no declared digests.
   */
  supplierWeightsDigest?(supplier: Address, serviceId: Hex): Promise<Hex | undefined>;
  /** The last block in which relays of `session` are still served: `RelayMining.claimWindow(session).open - 1`. */
  lastRelayBlock(session: bigint): Promise<bigint>;
};

/** The contracts {@link createSessionChain} reads: a `DecaiDeployment["contracts"]` fits. */
export type SessionContracts = { sessionClock: Address; staking: Address; relayMining: Address };

/**
 * A {@link SessionChain} over plain contract calls.
 *
 * @example
 * const chain = createSessionChain(publicClient, deployment.contracts);
 * const directory = new SessionDirectory({ chain });
 */
export function createSessionChain(client: PublicClient, contracts: SessionContracts): SessionChain {
  return {
    blockNumber: () => client.getBlockNumber({ cacheTime: 0 }),
    epochs: () => getEpochs(client, contracts.sessionClock),
    async sessionSeed(session) {
      const seed = await client.readContract({
        address: contracts.sessionClock,
        abi: sessionClockAbi,
        functionName: "sessionSeed",
        args: [session],
      });
      return BigInt(seed) === 0n ? undefined : seed;
    },
    supplierEntries: (serviceId) => getServiceSupplierEntries(client, contracts.staking, serviceId),
    supplierEndpoint: (supplier, serviceId) =>
      client.readContract({
        address: contracts.staking,
        abi: stakingAbi,
        functionName: "supplierEndpoint",
        args: [supplier, serviceId],
      }),
    supplierWeightsDigest: (supplier, serviceId) =>
      getSupplierWeightsDigest(client, contracts.staking, supplier, serviceId),
    async lastRelayBlock(session) {
      const [open] = await client.readContract({
        address: contracts.relayMining,
        abi: relayMiningAbi,
        functionName: "claimWindow",
        args: [session],
      });
      return BigInt(open) - 1n;
    },
  };
}
