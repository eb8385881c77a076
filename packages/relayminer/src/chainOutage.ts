import type { LogFields, Logger } from "./log.js";

/**
 * Reports a chain RPC outage once rather than on every failed poll: a warning when it starts, saying what goes
 * on without the chain and what waits for it, and one line when the chain answers again.
 *
 * @example
 * const outage = new ChainOutage({ log, rpcUrl, effect: "serving relays from the cached chain state" });
 * try { await poll(); outage.recovered(); } catch (error) { outage.failed(error, { syncedBlock }); }
 */
export class ChainOutage {
  #since: number | undefined;
  readonly #rpc: string | undefined;

  constructor(
    private readonly options: {
      log: Logger;
      /** The RPC endpoint; its origin is named in the lines (a path may hold a provider's API key). */
      rpcUrl?: string;
      /** What happens while the chain is away, e.g. "serving relays from the cached chain state". */
      effect: string;
    },
  ) {
    try {
      this.#rpc = options.rpcUrl ? new URL(options.rpcUrl).origin : undefined;
    } catch {
      this.#rpc = undefined;
    }
  }

  /** Whether the chain is unreachable now. */
  get down(): boolean {
    return this.#since !== undefined;
  }

  /** A chain call failed: logs the outage if it starts now. Returns true when it did. */
  failed(error: unknown, fields: LogFields = {}): boolean {
    if (this.#since !== undefined) return false;
    this.#since = Date.now();
    this.options.log.warn(`chain RPC unreachable: ${this.options.effect}`, {
      ...(this.#rpc ? { rpc: this.#rpc } : {}),
      ...fields,
      error,
    });
    return true;
  }

  /** A chain call succeeded: logs the end of an outage, if there was one. Returns true when it did. */
  recovered(fields: LogFields = {}): boolean {
    if (this.#since === undefined) return false;
    const downForMs = Date.now() - this.#since;
    this.#since = undefined;
    this.options.log.info("chain RPC reachable again", {
      ...(this.#rpc ? { rpc: this.#rpc } : {}),
      downForMs,
      ...fields,
    });
    return true;
  }
}
