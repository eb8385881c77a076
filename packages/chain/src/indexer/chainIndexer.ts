import type { Hex, PublicClient } from "viem";
import { type ChainChanges, collectChanges, type IndexedLog, indexedEvents, noChanges } from "./events.js";
import { applyChanges, type IndexedContracts } from "./refresh.js";
import { ChainState } from "./state.js";

/** Options of {@link ChainIndexer.start}. */
export type ChainIndexerOptions = {
  client: PublicClient;
  contracts: IndexedContracts;
  /** Services to follow: their record, supplier entries and the applications that use them. */
  serviceIds: readonly Hex[];
  /** First block to read events from: the deployment block (`DecaiDeployment.deployBlock`). */
  fromBlock: bigint;
  /** Milliseconds between polls. Default 1000. */
  pollIntervalMs?: number;
  /** Most blocks per `eth_getLogs` call. Default 5000. */
  maxBlockRange?: bigint;
  /** Blocks to stay behind the head, against reorgs. Default 0 (anvil, most L2s). */
  confirmations?: number;
  /** Called when a background poll fails; the next poll retries. Default: ignore. */
  onError?: (error: unknown) => void;
  /** Called after each poll that moved the head. */
  onSync?: (blockNumber: bigint) => void;
};

/**
 * Keeps a {@link ChainState} fresh: loads it once (epochs, seeds, the followed services and their supplier
 * entries, the applications using them, delegations), then polls new blocks' events and re-reads only what they
 * touched. The RelayMiner's hot path reads `indexer.state` synchronously and never calls the chain.
 *
 * @example
 * const indexer = await ChainIndexer.start({
 *   client, contracts: deployment.contracts, serviceIds: [toServiceId("tiny-llama")], fromBlock: deployment.deployBlock,
 * });
 * indexer.state.sessionSuppliers(app, serviceId, indexer.state.currentSession);
 * indexer.stop();
 */
export class ChainIndexer {
  /** The state the hot path reads. */
  readonly state = new ChainState();
  readonly #options: ChainIndexerOptions;
  readonly #followed: ReadonlySet<string>;
  readonly #tracked = new Set<string>();
  #synced: bigint;
  #pending: ChainChanges;
  #queue: Promise<unknown> = Promise.resolve();
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;
  #lastPollAt = 0;

  private constructor(options: ChainIndexerOptions) {
    this.#options = options;
    this.#followed = new Set(options.serviceIds.map((id) => id.toLowerCase()));
    this.#synced = options.fromBlock - 1n;
    this.#pending = noChanges();
    // The first sync reads the state that has no enumerating events to replay from a later block.
    this.#pending.epochs = true;
    for (const id of options.serviceIds) {
      this.#pending.services.add(id);
      this.#pending.entries.add(id);
    }
  }

  /** Loads the state up to the current head, then keeps polling in the background until `stop()`. */
  static async start(options: ChainIndexerOptions): Promise<ChainIndexer> {
    const indexer = new ChainIndexer(options);
    await indexer.sync();
    indexer.#schedule();
    return indexer;
  }

  /** When the last poll succeeded (ms since the epoch), whether or not new blocks had arrived. */
  get lastPollAt(): number {
    return this.#lastPollAt;
  }

  /** The last block whose events are in `state`. */
  get syncedBlock(): bigint {
    return this.#synced;
  }

  /**
   * Polls now: reads the events of every block since the last sync and refreshes what they touched. Calls are
   * serialised. Resolves with the block synced to; rejects when the chain cannot be read (state unchanged).
   *
   * @example
   * await actions.delegate(appKey, gateway);
   * await indexer.sync(); // the delegation is visible from here on
   */
  sync(): Promise<bigint> {
    const run = this.#queue.then(() => this.#poll());
    this.#queue = run.catch(() => {});
    return run;
  }

  /** Stops background polling. Lookups keep answering from the last synced state. */
  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
  }

  #schedule(): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => {
      this.sync()
        .catch((error) => this.#options.onError?.(error))
        .finally(() => this.#schedule());
    }, this.#options.pollIntervalMs ?? 1000);
    // A background refresh must not keep the process alive on its own.
    this.#timer.unref();
  }

  async #poll(): Promise<bigint> {
    const { client, contracts } = this.#options;
    const latest = await client.getBlockNumber({ cacheTime: 0 });
    const head = latest - BigInt(this.#options.confirmations ?? 0);
    if (head <= this.#synced) {
      this.#lastPollAt = Date.now();
      return this.#synced;
    }
    const range = this.#options.maxBlockRange ?? 5000n;
    const address = [contracts.sessionClock, contracts.serviceRegistry, contracts.staking];
    // Changes accumulate in #pending until applied, so a failed poll loses nothing: the next one retries.
    for (let from = this.#synced + 1n; from <= head; from += range) {
      const to = from + range - 1n < head ? from + range - 1n : head;
      const logs = await client.getLogs({ address, events: indexedEvents, fromBlock: from, toBlock: to });
      collectChanges(logs as IndexedLog[], this.#followed, this.#pending);
    }
    await applyChanges(client, contracts, this.state, this.#tracked, this.#pending, head);
    this.#pending = noChanges();
    this.#synced = head;
    this.state.setHead(head);
    this.#lastPollAt = Date.now();
    this.#options.onSync?.(head);
    return head;
  }
}
