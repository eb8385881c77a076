import type { AbiEvent, Address, PublicClient } from "viem";

/** A decoded log: its event name, arguments and where it happened. */
export type DecodedLog = {
  eventName: string;
  args: Record<string, unknown>;
  blockNumber: bigint;
  transactionHash: `0x${string}`;
  logIndex: number;
};

/**
 * Reads and decodes every `events` log of `address` from `fromBlock` to the head, in chunks of `maxRange` blocks
 * (public L2 RPCs cap `eth_getLogs` ranges), in chain order.
 *
 * @example
 * const logs = await readLogs(client, { address: contracts.staking, events, fromBlock: deployment.deployBlock });
 */
export async function readLogs(
  client: PublicClient,
  params: {
    address: Address | Address[];
    events: readonly AbiEvent[];
    fromBlock: bigint;
    toBlock?: bigint;
    maxRange?: bigint;
  },
): Promise<DecodedLog[]> {
  const head = params.toBlock ?? (await client.getBlockNumber({ cacheTime: 0 }));
  const range = params.maxRange ?? 10_000n;
  const logs: DecodedLog[] = [];
  for (let from = params.fromBlock; from <= head; from += range) {
    const to = from + range - 1n < head ? from + range - 1n : head;
    const chunk = await client.getLogs({
      address: params.address,
      events: params.events,
      fromBlock: from,
      toBlock: to,
    });
    for (const log of chunk as unknown as DecodedLog[]) {
      if (log.eventName) logs.push(log);
    }
  }
  return logs;
}

/**
 * The events named `names` from an ABI, for {@link readLogs}.
 *
 * @example
 * const events = eventsOf(stakingAbi, ["EscrowPaid"]);
 */
export function eventsOf(abi: readonly unknown[], names: readonly string[]): AbiEvent[] {
  return (abi as AbiEvent[]).filter((item) => item.type === "event" && names.includes(item.name));
}
