import type { Address, Hex, PublicClient } from "viem";
import { serviceRegistryAbi, sessionClockAbi, stakingAbi } from "../generated/contracts.js";
import type { ChainChanges } from "./events.js";
import type { ChainState } from "./state.js";

/** The contracts the indexer reads. */
export type IndexedContracts = { sessionClock: Address; serviceRegistry: Address; staking: Address };

/**
 * Re-reads, at `blockNumber`, everything `changes` marks as stale and writes it into `state`. Reads are pinned to
 * one block so the state is a consistent snapshot; applications are read only when tracked (they use a followed
 * service).
 */
export async function applyChanges(
  client: PublicClient,
  contracts: IndexedContracts,
  state: ChainState,
  tracked: Set<string>,
  changes: ChainChanges,
  blockNumber: bigint,
): Promise<void> {
  for (const [session, seed] of changes.seeds) state.setSeed(session, seed);
  for (const app of changes.newApplications) tracked.add(app.toLowerCase());
  for (const supplier of changes.withdrawnSuppliers) state.forgetSupplierWeightsDigests(supplier);
  for (const d of changes.weightsDigests.values())
    state.setSupplierWeightsDigest(d.supplier, d.serviceId, d.digest);
  const at = { blockNumber } as const;
  const reads: Promise<void>[] = [];

  if (changes.epochs) {
    reads.push(
      client
        .readContract({
          ...at,
          address: contracts.sessionClock,
          abi: sessionClockAbi,
          functionName: "getEpochs",
        })
        .then((epochs) =>
          state.setEpochs(
            epochs.map((e) => ({
              startBlock: BigInt(e.startBlock),
              startSession: BigInt(e.startSession),
              blocksPerSession: Number(e.blocksPerSession),
              suppliersPerSession: Number(e.suppliersPerSession),
            })),
          ),
        ),
    );
  }
  for (const id of changes.services) reads.push(readService(client, contracts, state, id, blockNumber));
  for (const id of changes.entries) {
    reads.push(
      client
        .readContract({
          ...at,
          address: contracts.staking,
          abi: stakingAbi,
          functionName: "getServiceSupplierEntries",
          args: [id],
        })
        .then((entries) =>
          state.setSupplierEntries(
            id,
            entries.map((e) => ({
              supplier: e.supplier,
              fromSession: BigInt(e.fromSession),
              untilSession: BigInt(e.untilSession),
            })),
          ),
        ),
    );
  }
  for (const app of changes.applications) {
    if (!tracked.has(app.toLowerCase())) continue;
    reads.push(
      client
        .readContract({
          ...at,
          address: contracts.staking,
          abi: stakingAbi,
          functionName: "getApplication",
          args: [app],
        })
        .then(([escrow, withdrawableFromSession, serviceIds]) =>
          state.setApplication(app, {
            escrow,
            withdrawableFromSession: BigInt(withdrawableFromSession),
            serviceIds: new Set(serviceIds.map((id) => id.toLowerCase())),
          }),
        ),
    );
  }
  for (const [app, gateway] of changes.delegations.values()) {
    reads.push(
      client
        .readContract({
          ...at,
          address: contracts.staking,
          abi: stakingAbi,
          functionName: "getDelegations",
          args: [app, gateway],
        })
        .then((list) =>
          state.setDelegations(
            app,
            gateway,
            list.map((d) => ({ fromSession: BigInt(d.fromSession), untilSession: BigInt(d.untilSession) })),
          ),
        ),
    );
  }
  await Promise.all(reads);
}

async function readService(
  client: PublicClient,
  contracts: IndexedContracts,
  state: ChainState,
  id: Hex,
  blockNumber: bigint,
): Promise<void> {
  const at = { blockNumber, address: contracts.serviceRegistry, abi: serviceRegistryAbi } as const;
  const exists = await client.readContract({ ...at, functionName: "serviceExists", args: [id] });
  if (!exists) {
    state.setService(id, undefined);
    return;
  }
  const s = await client.readContract({ ...at, functionName: "getService", args: [id] });
  state.setService(id, {
    source: s.source,
    modelName: s.modelName,
    weightsDigest: s.weightsDigest,
    sourceShareBps: Number(s.sourceShareBps),
    cuMode: Number(s.cuMode),
    cuPerRelay: BigInt(s.cuPerRelay),
    cuPerInputToken: BigInt(s.cuPerInputToken),
    cuPerOutputToken: BigInt(s.cuPerOutputToken),
  });
}
