import {
  closeSync,
  existsSync,
  fdatasync,
  fdatasyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  truncateSync,
  write,
  writeSync,
} from "node:fs";
import { join } from "node:path";
import type { Hex } from "viem";

const recordSize = 32;

type SessionLog = { hashes: Set<string>; fd: number | undefined };

/**
 * Refuses a relay whose request was already served in its session. Every relay hash is held in memory from the
 * moment it is admitted (so concurrent duplicates are refused too); served ones are appended to a per-session log
 * (`<dir>/<session>.log`, 32 bytes per relay), so a restarted process refuses them too. The RelayMiner writes
 * records without fsync (`durable: false`): they survive a process crash in the page cache, and a relay replayed
 * after a power loss lands on its own leaf again in the session tree (keyed by relay hash), so it is never paid
 * twice. Without `dir` nothing is persisted.
 *
 * @example
 * const guard = new ReplayGuard(".decai/replay");
 * if (!guard.admit(session, relayHash)) return reply409();
 * // ... serve ...
 * await guard.commit(session, relayHash, { durable: false });
 */
export class ReplayGuard {
  readonly #sessions = new Map<bigint, SessionLog>();

  constructor(private readonly dir?: string) {
    if (dir) mkdirSync(dir, { recursive: true });
  }

  /** Marks `relayHash` as in flight; false when it was already admitted or served in `session`. */
  admit(session: bigint, relayHash: Hex): boolean {
    const log = this.#session(session);
    const key = relayHash.toLowerCase();
    if (log.hashes.has(key)) return false;
    log.hashes.add(key);
    return true;
  }

  /** Forgets an admitted relay that was not served, so the same signed request may be retried. */
  release(session: bigint, relayHash: Hex): void {
    this.#sessions.get(session)?.hashes.delete(relayHash.toLowerCase());
  }

  /** Whether `relayHash` is admitted or served in `session`. */
  has(session: bigint, relayHash: Hex): boolean {
    return this.#session(session).hashes.has(relayHash.toLowerCase());
  }

  /**
   * Records a served relay in the session's log; with `durable` (mined relays) it resolves once the record is
   * on disk, before the relay goes into its tree.
   */
  commit(session: bigint, relayHash: Hex, options: { durable: boolean }): Promise<void> {
    if (!this.dir) return Promise.resolve();
    const log = this.#session(session);
    log.fd ??= openSync(join(this.dir, `${session}.log`), "a");
    const fd = log.fd;
    const record = Buffer.from(relayHash.slice(2), "hex");
    if (!options.durable) {
      // 32 bytes into the page cache: a synchronous write is cheaper than a round trip through the thread pool.
      try {
        writeSync(fd, record, 0, recordSize, null);
        return Promise.resolve();
      } catch (error) {
        return Promise.reject(error);
      }
    }
    return new Promise((resolve, reject) => {
      // O_APPEND makes each 32-byte write land whole at the end, whatever else is in flight.
      write(fd, record, 0, recordSize, null, (error) => {
        if (error) return reject(error);
        fdatasync(fd, (syncError) => (syncError ? reject(syncError) : resolve()));
      });
    });
  }

  /** Writes, syncs and deletes a scratch file in the log directory: throws while the disk refuses writes. */
  probe(): void {
    if (!this.dir) return;
    const path = join(this.dir, `.probe-${process.pid}`);
    try {
      const fd = openSync(path, "w");
      try {
        writeSync(fd, Buffer.alloc(recordSize));
        fdatasyncSync(fd);
      } finally {
        closeSync(fd);
      }
    } finally {
      rmSync(path, { force: true });
    }
  }

  /** Closes and deletes the logs of sessions before `session`: relays for them are refused as expired anyway. */
  forgetBefore(session: bigint): void {
    for (const [s, log] of this.#sessions) {
      if (s >= session) continue;
      if (log.fd !== undefined) closeSync(log.fd);
      this.#sessions.delete(s);
    }
    if (!this.dir) return;
    for (const name of readdirSync(this.dir)) {
      const m = /^(\d+)\.log$/.exec(name);
      if (m && BigInt(m[1] as string) < session) rmSync(join(this.dir, name), { force: true });
    }
  }

  /** Closes every open log. */
  close(): void {
    for (const log of this.#sessions.values()) if (log.fd !== undefined) closeSync(log.fd);
    this.#sessions.clear();
  }

  #session(session: bigint): SessionLog {
    let log = this.#sessions.get(session);
    if (log) return log;
    const hashes = new Set<string>();
    if (this.dir) {
      const path = join(this.dir, `${session}.log`);
      // Once per session: reload what an earlier run served. A torn last record (crash mid-write) is cut off
      // so that later records stay aligned.
      if (existsSync(path)) {
        const data = readFileSync(path);
        const whole = data.length - (data.length % recordSize);
        for (let at = 0; at < whole; at += recordSize) {
          hashes.add(`0x${data.toString("hex", at, at + recordSize)}`);
        }
        if (whole !== data.length) truncateSync(path, whole);
      }
    }
    log = { hashes, fd: undefined };
    this.#sessions.set(session, log);
    return log;
  }
}
