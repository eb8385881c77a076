import { RelayRejection } from "../errors.js";
import type { Logger } from "../log.js";

/** Options of {@link StoreHealth}. */
export type StoreHealthOptions = {
  /** Least time between two probes while the store is failing, ms. Default 1000. */
  retryMs?: number;
  log?: Logger;
  /** Wall clock, ms (tests move it). Default `Date.now`. */
  now?: () => number;
};

/**
 * Whether this RelayMiner can record what it serves. A relay is only worth serving if it lands in its session
 * tree (that is what gets claimed and paid) and in the replay log: once a write fails (disk full, read-only or
 * broken data directory), every new relay is refused with 503 `store_unavailable` and a `retry-after`, so
 * clients route to other suppliers instead of being served unmetered. While failing, the next relay at most every
 * `retryMs` runs `probe` (a real write through the same store code); when it succeeds, relays flow again.
 *
 * @example
 * const health = new StoreHealth(() => Promise.all([trees.probe(), replay.probe()]));
 * await health.check(); // throws RelayRejection("store_unavailable") while the disk is full
 * try { await tree.add(relay) } catch (error) { health.fail(error); throw health.rejection() }
 */
export class StoreHealth {
  #failure: { reason: string; at: number } | undefined;
  #probing: Promise<void> | undefined;
  readonly #retryMs: number;
  readonly #now: () => number;

  constructor(
    private readonly probe: () => Promise<unknown>,
    private readonly options: StoreHealthOptions = {},
  ) {
    this.#retryMs = options.retryMs ?? 1000;
    this.#now = options.now ?? Date.now;
  }

  /** True while writes succeed. */
  get healthy(): boolean {
    return this.#failure === undefined;
  }

  /** Why the store is failing, or undefined. */
  get reason(): string | undefined {
    return this.#failure?.reason;
  }

  /** Records a failed write: new relays are refused until a probe succeeds. */
  fail(error: unknown): void {
    const reason = describeError(error);
    if (!this.#failure) this.options.log?.error("store unwritable: refusing new relays", { reason });
    this.#failure = { reason, at: this.#now() };
  }

  /** The 503 a refused relay gets. */
  rejection(): RelayRejection {
    const seconds = Math.max(1, Math.ceil(this.#retryMs / 1000));
    return new RelayRejection(
      "store_unavailable",
      `This RelayMiner cannot record relays right now (${this.#failure?.reason ?? "store failing"}), so it serves none: retry on another supplier.`,
      null,
      seconds,
    );
  }

  /**
   * Resolves at once while the store is healthy; while it is failing, probes it (at most every `retryMs`) and
   * throws the 503 {@link rejection} unless the probe succeeds.
   */
  check(): Promise<void> | undefined {
    if (!this.#failure) return undefined;
    if (this.#probing) return this.#probing;
    if (this.#now() - this.#failure.at < this.#retryMs) return Promise.reject(this.rejection());
    this.#probing = this.probe()
      .then(
        () => {
          this.#failure = undefined;
          this.options.log?.info("store writable again: serving relays");
        },
        (error: unknown) => {
          this.fail(error);
          throw this.rejection();
        },
      )
      .finally(() => {
        this.#probing = undefined;
      });
    return this.#probing;
  }
}

function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = (error as { cause?: unknown }).cause;
  const code = (error as { code?: unknown }).code ?? (cause as { code?: unknown } | undefined)?.code;
  return typeof code === "string" ? `${error.message} (${code})` : error.message;
}
