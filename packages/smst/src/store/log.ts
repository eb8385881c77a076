import { closeSync, openSync, writeSync } from "node:fs";
import { type FileHandle, open } from "node:fs/promises";
import { SmstError } from "../errors.js";
import { readRecordAt, syncDirectory, versionOf } from "./logFile.js";
import {
  LOG_MAGIC,
  LOG_VERSION,
  type LogVersion,
  mutationOf,
  parseRecord,
  readValueInto,
  recordBound,
  writeDelete,
  writePut,
} from "./record.js";
import { scanRecords } from "./scan.js";
import type { SmstEntry, SmstMutation, SmstRefMutation, SmstValueStore } from "./types.js";

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

/** Mutations queued together: written with one write (and one fsync), acknowledged by one promise. */
class Group {
  resolve!: () => void;
  reject!: (error: Error) => void;
  readonly promise = new Promise<void>((resolve, reject) => {
    this.resolve = resolve;
    this.reject = reject;
  });
}

const RESOLVED = Promise.resolve();
/** Initial room for queued records (a group of 64 relays takes about 24 KiB); it grows as needed. */
const QUEUE_SIZE = 32 * 1024;
/** A queue grown past this (by a large value) is given back once written. */
const MAX_IDLE_QUEUE = 1 << 20;

/**
 * A crash-safe store: an append-only file of length-prefixed, checksummed records (see
 * docs/encoding.md). Opening it replays the records and truncates a torn tail, so a crash at any
 * point leaves every acknowledged mutation and nothing half-written.
 *
 * Updates of one key append a record each; the log is sized for one tree per session, which the
 * relay miner drops once the claim settles, so it is never compacted. One store per file: two
 * writers on the same file would interleave records. It is an {@link SmstValueStore}: a tree over it
 * reads values back from the file instead of keeping them.
 *
 * @example
 * const store = await LogStore.open("data/session-42.smst", { fsync: "always" });
 * const tree = await Smst.open(store);
 * await tree.update(relayHash, relayDigest, weight); // durable once this resolves
 */
export class LogStore implements SmstValueStore {
  readonly #handle: FileHandle;
  // Records not written yet, from byte 0; they go to the file at offset #written, in one write.
  #queue = Buffer.allocUnsafeSlow(QUEUE_SIZE);
  #queued = 0;
  #written: number;
  #group: Group | undefined;
  #syncing: Promise<void> | undefined;
  #unsynced = false;
  #failure: SmstError | undefined;
  // Records a failed write may not have put in the file, so that a tree can still read them.
  #stranded: { at: number; bytes: Buffer } | undefined;
  #closed = false;
  readonly #flush = () => this.#writeGroup();

  private constructor(
    /** The log file. */
    readonly path: string,
    /** When this store fsyncs. */
    readonly fsync: FsyncPolicy,
    /** What opening the log recovered. */
    readonly recovery: LogRecovery,
    /** The log's format version: new logs get 2; a log keeps the version it was created with. */
    readonly version: LogVersion,
    handle: FileHandle,
    size: number,
  ) {
    this.#handle = handle;
    this.#written = size;
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
      const { size } = await handle.stat();
      const head = Buffer.alloc(LOG_MAGIC.length);
      const { bytesRead } = await handle.read(head, 0, head.length, 0);
      if (bytesRead < LOG_MAGIC.length && LOG_MAGIC.subarray(0, bytesRead).every((b, i) => head[i] === b)) {
        // New file, or a crash while it was being created: (re)write the header.
        await handle.truncate(0);
        await handle.write(LOG_MAGIC);
        await handle.sync();
        await syncDirectory(path);
        return new LogStore(
          path,
          fsync,
          { records: 0, truncatedBytes: 0 },
          LOG_VERSION,
          handle,
          LOG_MAGIC.length,
        );
      }
      const version = versionOf(head, bytesRead, path);
      const records = scanRecords(handle.fd, version, LOG_MAGIC.length);
      let count = 0;
      let step = records.next();
      for (; !step.done; step = records.next()) count++;
      const end = step.value;
      if (end < size) {
        // Records go out in call order and are acknowledged once written, so a bad record and all after
        // it were never acknowledged (with "batch", not since the last flush): cutting them loses nothing.
        await handle.truncate(end);
        await handle.sync();
      }
      return new LogStore(path, fsync, { records: count, truncatedBytes: size - end }, version, handle, end);
    } catch (error) {
      await handle.close();
      throw error;
    }
  }

  /** Reads the log back, oldest record first (fresh copies). Called by `Smst.open` right after opening. */
  *replay(): Iterable<SmstMutation> {
    for (const { buffer, view } of this.#scan()) yield mutationOf(buffer, view);
  }

  /**
   * Reads the log back with each record's ref, without copying: keys and values are views that the next
   * step overwrites. What `Smst.open` uses, so that replaying a large log allocates little.
   */
  *replayRefs(): Iterable<SmstRefMutation> {
    let scratch = new Uint8Array(1024);
    for (const { buffer, view, offset } of this.#scan()) {
      const key = buffer.subarray(view.keyStart, view.keyEnd);
      if (view.op === "delete") {
        yield { op: "delete", key, ref: offset };
        continue;
      }
      let value: Uint8Array;
      if (view.encoded) {
        if (view.valueSize > scratch.length)
          scratch = new Uint8Array(Math.max(view.valueSize, 2 * scratch.length));
        readValueInto(buffer, view, scratch, 0);
        value = scratch.subarray(0, view.valueSize);
      } else {
        value = buffer.subarray(view.valueStart, view.valueEnd);
      }
      yield { op: "put", key, value, weight: view.weight, ref: offset };
    }
  }

  put(key: Uint8Array, value: Uint8Array, weight: bigint): Promise<void> {
    try {
      return this.putRef(key, value, weight).stored;
    } catch (error) {
      return Promise.reject(error);
    }
  }

  putRef(key: Uint8Array, value: Uint8Array, weight: bigint): { ref: number; stored: Promise<void> } {
    this.#assertOpen();
    const ref = this.#written + this.#queued;
    this.#reserve(recordBound(key.length, value.length));
    this.#queued = writePut(this.#queue, this.#queued, key, value, weight, this.version);
    return { ref, stored: this.#enqueue() };
  }

  delete(key: Uint8Array): Promise<void> {
    try {
      this.#assertOpen();
      this.#reserve(recordBound(key.length, 0));
      this.#queued = writeDelete(this.#queue, this.#queued, key);
      return this.#enqueue();
    } catch (error) {
      return Promise.reject(error);
    }
  }

  readEntry(ref: number): SmstEntry {
    let bytes: Buffer | undefined;
    let at = 0;
    if (this.#stranded && ref >= this.#stranded.at) {
      bytes = this.#stranded.bytes;
      at = ref - this.#stranded.at;
    } else if (ref >= this.#written) {
      bytes = this.#queue.subarray(0, this.#queued);
      at = ref - this.#written;
    } else if (Number.isSafeInteger(ref) && ref >= LOG_MAGIC.length) {
      bytes = this.#read(ref);
    }
    const view = bytes && parseRecord(bytes, at, this.version);
    if (!bytes || view?.op !== "put") {
      throw new SmstError(
        `the log ${this.path} has no put record at offset ${ref}`,
        "pass a ref that putRef() or replayRefs() of this store gave, and do not edit the log while it is open",
      );
    }
    const { key, value, weight } = mutationOf(bytes, view) as SmstMutation & { op: "put" };
    return { key, value, weight };
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

  *#scan() {
    // Through a descriptor of its own, so that it works on a closed store too; up to what this store wrote.
    const fd = openSync(this.path, "r");
    try {
      const records = scanRecords(fd, this.version, LOG_MAGIC.length);
      for (
        let step = records.next();
        !step.done && step.value.offset < this.#written;
        step = records.next()
      ) {
        yield step.value;
      }
    } finally {
      closeSync(fd);
    }
  }

  /** The bytes of the record at file offset `ref`. */
  #read(ref: number): Buffer {
    // Through the store's descriptor while it is open; a closed store still serves reads (trees read after close).
    if (!this.#closed) return readRecordAt(this.#handle.fd, ref);
    const fd = openSync(this.path, "r");
    try {
      return readRecordAt(fd, ref);
    } finally {
      closeSync(fd);
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

  /** Waits until every queued record is written (and, with "always", fsynced). */
  async #settle(): Promise<void> {
    for (let pending = this.#syncing ?? this.#group?.promise; pending; ) {
      await pending.catch(() => {}); // a failure is reported below, once
      pending = this.#syncing ?? this.#group?.promise;
    }
    if (this.#failure) throw this.#failure;
  }

  #reserve(bytes: number): void {
    if (this.#queued + bytes <= this.#queue.length) return;
    const bigger = Buffer.allocUnsafeSlow(Math.max(this.#queued + bytes, 2 * this.#queue.length));
    this.#queue.copy(bigger, 0, 0, this.#queued);
    this.#queue = bigger;
  }

  /** The promise of the group the record just queued belongs to; the first record of a group schedules its write. */
  #enqueue(): Promise<void> {
    if (this.#group) return this.#group.promise;
    this.#group = new Group();
    // Mutations issued in the same tick join this group; while an fsync runs, the group waits for it.
    if (!this.#syncing) RESOLVED.then(this.#flush); // lighter than queueMicrotask (no AsyncResource)
    return this.#group.promise;
  }

  /** Writes the queued group in one write, then (with "always") fsyncs it; the next group waits for that. */
  #writeGroup(): void {
    const group = this.#group;
    if (!group || this.#failure) return;
    this.#group = undefined;
    try {
      // A synchronous write into the page cache takes microseconds, a trip through the thread pool far
      // longer; only fsync is worth doing off the event loop. The file is opened for appending.
      for (let offset = 0; offset < this.#queued; ) {
        offset += writeSync(this.#handle.fd, this.#queue, offset, this.#queued - offset);
      }
    } catch (cause) {
      this.#fail(cause, group);
      return;
    }
    this.#written += this.#queued;
    this.#queued = 0;
    if (this.#queue.length > MAX_IDLE_QUEUE) this.#queue = Buffer.allocUnsafeSlow(QUEUE_SIZE);
    if (this.fsync === "batch") {
      this.#unsynced = true;
      group.resolve();
      return;
    }
    this.#syncing = this.#handle.datasync().then(
      () => {
        this.#syncing = undefined;
        group.resolve();
        if (this.#group) this.#writeGroup();
      },
      (cause) => {
        this.#syncing = undefined;
        this.#fail(cause, group);
      },
    );
  }

  #fail(cause: unknown, group: Group): void {
    // A failed write may leave a torn record: refuse further appends, recovery cuts it on reopen.
    const message = `writing the log ${this.path} failed`;
    this.#failure = new SmstError(message, "fix the disk, then reopen the log", { cause });
    if (this.#queued > 0) {
      this.#stranded = { at: this.#written, bytes: Buffer.from(this.#queue.subarray(0, this.#queued)) };
      this.#queued = 0;
    }
    group.reject(this.#failure);
    this.#group?.reject(this.#failure);
    this.#group = undefined;
  }
}
