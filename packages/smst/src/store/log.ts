import { readFileSync, writeSync } from "node:fs";
import { type FileHandle, open, readFile } from "node:fs/promises";
import { dirname } from "node:path";
import { SmstError } from "../errors.js";
import { decodeRecord, encodeRecord, LOG_MAGIC } from "./record.js";
import type { SmstMutation, SmstStore } from "./types.js";

/**
 * When the log calls fsync.
 * - `"always"` (default): a mutation's promise resolves only after its record is fsynced, so an
 *   acknowledged relay survives a process crash and a power loss. Mutations issued together share one
 *   fsync (group commit), so throughput grows with concurrency.
 * - `"batch"`: a mutation resolves once its record is written to the OS; fsync happens on `flush()`
 *   and `close()`. Survives a process crash (the page cache outlives the process), but a power loss or
 *   kernel crash loses what was acknowledged since the last flush. Use it where the caller can redo
 *   that work, e.g. bulk loads that flush at the end.
 */
export type FsyncPolicy = "always" | "batch";

/** Options of {@link LogStore.open}. */
export type LogStoreOptions = { fsync?: FsyncPolicy };

/** What {@link LogStore.open} found: whole records kept, torn or corrupt tail bytes cut off. */
export type LogRecovery = { records: number; truncatedBytes: number };

type Waiter = { resolve: () => void; reject: (error: Error) => void };

/**
 * A crash-safe store: an append-only file of length-prefixed, checksummed records (see
 * docs/encoding.md). Opening it replays the records and truncates a torn tail, so a crash at any
 * point leaves every acknowledged mutation and nothing half-written.
 *
 * Updates of one key append a record each; the log is sized for one tree per session, which the
 * relay miner drops once the claim settles, so it is never compacted. One store per file: two
 * writers on the same file would interleave records.
 *
 * @example
 * const store = await LogStore.open("data/session-42.smst", { fsync: "always" });
 * const tree = await Smst.open(store);
 * await tree.update(relayHash, relayDigest, weight); // durable once this resolves
 */
export class LogStore implements SmstStore {
  readonly #handle: FileHandle;
  #pending: Buffer[] = [];
  #waiters: Waiter[] = [];
  #draining: Promise<void> | undefined;
  #unsynced = false;
  #failure: SmstError | undefined;
  #closed = false;

  private constructor(
    /** The log file. */
    readonly path: string,
    /** When this store fsyncs. */
    readonly fsync: FsyncPolicy,
    /** What opening the log recovered. */
    readonly recovery: LogRecovery,
    handle: FileHandle,
  ) {
    this.#handle = handle;
  }

  /**
   * Opens (or creates) the log at `path`, keeping every whole record and truncating a torn tail.
   * Throws when the file exists but is not an SMST log.
   *
   * @example
   * const store = await LogStore.open("data/session-42.smst");
   * console.log(store.recovery); // { records: 1200, truncatedBytes: 0 }
   */
  static async open(path: string, options: LogStoreOptions = {}): Promise<LogStore> {
    const fsync = options.fsync ?? "always";
    if (fsync !== "always" && fsync !== "batch") {
      throw new SmstError(`unknown fsync policy "${String(fsync)}"`, 'use "always" or "batch"');
    }
    const handle = await open(path, "a+");
    try {
      const file = await readFile(path);
      if (
        file.length < LOG_MAGIC.length &&
        LOG_MAGIC.subarray(0, file.length).every((b, i) => file[i] === b)
      ) {
        // New file, or a crash while it was being created: (re)write the header.
        await handle.truncate(0);
        await handle.write(LOG_MAGIC);
        await handle.sync();
        await syncDirectory(path);
        return new LogStore(path, fsync, { records: 0, truncatedBytes: 0 }, handle);
      }
      if (!LOG_MAGIC.every((b, i) => file[i] === b)) {
        throw new SmstError(
          `${path} is not an SMST log`,
          "point the store at a file it wrote, or at a new path",
        );
      }
      let end = LOG_MAGIC.length;
      let records = 0;
      for (let record = decodeRecord(file, end); record; record = decodeRecord(file, end)) {
        end = record.end;
        records++;
      }
      if (end < file.length) {
        // Records go out in call order and are acknowledged once written, so a bad record and all after
        // it were never acknowledged (with "batch", not since the last flush): cutting them loses nothing.
        await handle.truncate(end);
        await handle.sync();
      }
      return new LogStore(path, fsync, { records, truncatedBytes: file.length - end }, handle);
    } catch (error) {
      await handle.close();
      throw error;
    }
  }

  /** Reads the log back, oldest record first. Called by `Smst.open` right after opening. */
  *replay(): Iterable<SmstMutation> {
    const file = readFileSync(this.path);
    let end = LOG_MAGIC.length;
    for (let record = decodeRecord(file, end); record; record = decodeRecord(file, end)) {
      end = record.end;
      yield record.mutation;
    }
  }

  put(key: Uint8Array, value: Uint8Array, weight: bigint): Promise<void> {
    return this.#append(() => encodeRecord({ op: "put", key, value, weight }));
  }

  delete(key: Uint8Array): Promise<void> {
    return this.#append(() => encodeRecord({ op: "delete", key }));
  }

  async flush(): Promise<void> {
    this.#assertOpen();
    await this.#sync();
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true; // refuse new mutations from here on; the queued ones still go out
    try {
      await this.#sync();
    } finally {
      await this.#handle.close();
    }
  }

  async #sync(): Promise<void> {
    await this.#settle();
    if (this.#unsynced) {
      this.#unsynced = false;
      await this.#handle.datasync();
    }
  }

  #assertOpen(): void {
    if (this.#closed)
      throw new SmstError(`the log ${this.path} is closed`, "open it again with LogStore.open()");
    if (this.#failure) throw this.#failure;
  }

  async #settle(): Promise<void> {
    while (this.#draining) await this.#draining;
    if (this.#failure) throw this.#failure;
  }

  #append(encode: () => Buffer): Promise<void> {
    try {
      this.#assertOpen();
      this.#pending.push(encode());
    } catch (error) {
      return Promise.reject(error);
    }
    const done = new Promise<void>((resolve, reject) => this.#waiters.push({ resolve, reject }));
    this.#draining ??= this.#drain();
    return done;
  }

  /** Writes queued records in groups, one write (and one fsync) per group, in call order. */
  async #drain(): Promise<void> {
    // Yield once so that mutations issued in the same tick join the first group.
    await Promise.resolve();
    while (this.#pending.length > 0) {
      const records = this.#pending;
      const waiters = this.#waiters;
      this.#pending = [];
      this.#waiters = [];
      try {
        this.#write(records.length === 1 ? (records[0] as Buffer) : Buffer.concat(records));
        if (this.fsync === "always") await this.#handle.datasync();
        else this.#unsynced = true;
      } catch (cause) {
        // A failed write may leave a torn record: refuse further appends, recovery cuts it on reopen.
        const message = `writing the log ${this.path} failed`;
        this.#failure = new SmstError(message, "fix the disk, then reopen the log", { cause });
        for (const waiter of [...waiters, ...this.#waiters]) waiter.reject(this.#failure);
        this.#pending = [];
        this.#waiters = [];
        break;
      }
      for (const waiter of waiters) waiter.resolve();
    }
    this.#draining = undefined;
  }

  #write(bytes: Buffer): void {
    // A synchronous write into the page cache takes microseconds, a trip through the thread pool far
    // longer; only fsync is worth doing off the event loop. The file is opened for appending, so every
    // write lands at the end.
    for (let offset = 0; offset < bytes.length; ) {
      offset += writeSync(this.#handle.fd, bytes, offset, bytes.length - offset);
    }
  }
}

async function syncDirectory(path: string): Promise<void> {
  // Makes the new directory entry durable; not every platform can open a directory, and that is fine.
  let dir: FileHandle | undefined;
  try {
    dir = await open(dirname(path), "r");
    await dir.sync();
  } catch {
    // best effort
  } finally {
    await dir?.close();
  }
}
