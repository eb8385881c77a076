import { type NetworkStatus, NetworkStatusReader, type StatusSource } from "@decai/chain";

/** What the watcher knows: the latest status read, and why the last read failed if it did. */
export type WatchedStatus = {
  status: NetworkStatus | undefined;
  /** When `status` was read. */
  updatedAt: Date | undefined;
  /** The last read's error, until a read succeeds again. */
  error: string | undefined;
};

/**
 * Follows the chain for the dashboard: polls the head and re-reads the {@link NetworkStatus} (incrementally,
 * through one `NetworkStatusReader`) on each new block, then tells its listeners. Every page and every browser
 * reads the same snapshot, so the chain is read once per block whatever the number of viewers. While nobody watches
 * (`isWatched` says so) it stops polling, and the next request reads first.
 *
 * @example
 * const watcher = new StatusWatcher({ client, deployment }, 1000);
 * watcher.onUpdate(() => console.log(watcher.current.status?.block));
 * watcher.start();
 */
export class StatusWatcher {
  readonly #source: StatusSource;
  readonly #reader: NetworkStatusReader;
  readonly #intervalMs: number;
  readonly #isWatched: () => boolean;
  #checkedAt = 0;
  readonly #listeners = new Set<(state: WatchedStatus) => void>();
  #state: WatchedStatus = { status: undefined, updatedAt: undefined, error: undefined };
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;
  #running: Promise<void> | undefined;

  constructor(source: StatusSource, intervalMs: number, isWatched: () => boolean = () => true) {
    this.#source = source;
    this.#reader = new NetworkStatusReader(source);
    this.#intervalMs = intervalMs;
    this.#isWatched = isWatched;
  }

  /** The latest snapshot. */
  get current(): WatchedStatus {
    return this.#state;
  }

  /** Calls `listener` after every read that changed something; returns the unsubscribe function. */
  onUpdate(listener: (state: WatchedStatus) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Starts polling (the first read right away). */
  start(): void {
    this.#tick();
  }

  /** Reads now unless a read is running, and resolves when the status is as fresh as that read. */
  refresh(): Promise<void> {
    this.#running ??= this.#poll().finally(() => {
      this.#running = undefined;
    });
    return this.#running;
  }

  /** Reads first when the last check is older than a poll interval (polling pauses while nobody watches). */
  async fresh(): Promise<WatchedStatus> {
    if (!this.#state.status || Date.now() - this.#checkedAt > 2 * this.#intervalMs) await this.refresh();
    return this.#state;
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
  }

  #tick(): void {
    if (this.#stopped) return;
    (this.#isWatched() ? this.refresh() : Promise.resolve()).finally(() => {
      if (this.#stopped) return;
      this.#timer = setTimeout(() => this.#tick(), this.#intervalMs);
      this.#timer.unref();
    });
  }

  async #poll(): Promise<void> {
    try {
      const head = await this.#source.client.getBlockNumber({ cacheTime: 0 });
      this.#checkedAt = Date.now();
      if (this.#state.status && this.#state.status.block === head && !this.#state.error) return;
      const status = await this.#reader.read();
      this.#state = { status, updatedAt: new Date(), error: undefined };
    } catch (error) {
      const message = (error as { shortMessage?: string }).shortMessage ?? (error as Error).message;
      const error_ = `cannot read the chain: ${message.split("\n")[0]}`;
      if (error_ === this.#state.error) return;
      this.#state = { ...this.#state, error: error_ };
    }
    for (const listener of this.#listeners) listener(this.#state);
  }
}
