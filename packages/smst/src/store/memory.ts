import { SmstError } from "../errors.js";
import type { SmstEntry, SmstMutation, SmstStore } from "./types.js";

/**
 * A store that keeps entries in a Map: nothing survives the process, but a second tree opened on the
 * same store sees the same leaves. For tests and for trees that a crash may lose.
 *
 * @example
 * const store = new MemoryStore();
 * const tree = await Smst.open(store);
 */
export class MemoryStore implements SmstStore {
  readonly #entries = new Map<string, SmstEntry>();
  #closed = false;

  /** Number of live entries. */
  get size(): number {
    return this.#entries.size;
  }

  *replay(): Iterable<SmstMutation> {
    for (const entry of this.#entries.values()) yield { op: "put", ...entry };
  }

  put(key: Uint8Array, value: Uint8Array, weight: bigint): Promise<void> {
    if (this.#closed) return closedError();
    this.#entries.set(Buffer.from(key).toString("hex"), { key, value, weight });
    return Promise.resolve();
  }

  delete(key: Uint8Array): Promise<void> {
    if (this.#closed) return closedError();
    this.#entries.delete(Buffer.from(key).toString("hex"));
    return Promise.resolve();
  }

  flush(): Promise<void> {
    return this.#closed ? closedError() : Promise.resolve();
  }

  close(): Promise<void> {
    this.#closed = true;
    return Promise.resolve();
  }
}

function closedError(): Promise<never> {
  return Promise.reject(new SmstError("the MemoryStore is closed", "open the tree on a new store"));
}
