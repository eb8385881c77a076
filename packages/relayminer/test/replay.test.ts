import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Hex } from "viem";
import { afterEach, describe, expect, it } from "vitest";
import { ReplayGuard } from "../src/index.js";

const hash = (i: number) => `0x${i.toString(16).padStart(64, "0")}` as Hex;

describe("ReplayGuard", () => {
  const dirs: string[] = [];
  const tmp = () => {
    const dir = mkdtempSync(join(tmpdir(), "decai-replay-"));
    dirs.push(dir);
    return dir;
  };
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it("admits a relay once per session and lets an unserved one be retried", () => {
    const guard = new ReplayGuard();
    expect(guard.admit(1n, hash(1))).toBe(true);
    expect(guard.admit(1n, hash(1))).toBe(false);
    expect(guard.admit(1n, hash(1).toUpperCase().replace("0X", "0x") as Hex)).toBe(false);
    expect(guard.admit(2n, hash(1))).toBe(true); // another session
    guard.release(1n, hash(1));
    expect(guard.admit(1n, hash(1))).toBe(true);
  });

  it("remembers served relays across a restart and cuts a torn last record", async () => {
    const dir = tmp();
    const first = new ReplayGuard(dir);
    for (const i of [1, 2, 3]) first.admit(7n, hash(i));
    await first.commit(7n, hash(1), { durable: true });
    await first.commit(7n, hash(2), { durable: false });
    first.release(7n, hash(3)); // in flight, never served: not persisted
    first.close();
    appendFileSync(join(dir, "7.log"), Buffer.alloc(13, 0xff)); // a crash mid-write

    const second = new ReplayGuard(dir);
    expect(second.admit(7n, hash(1))).toBe(false);
    expect(second.admit(7n, hash(2))).toBe(false);
    expect(second.admit(7n, hash(3))).toBe(true);
    await second.commit(7n, hash(3), { durable: true });
    second.close();
    expect(readFileSync(join(dir, "7.log")).length).toBe(3 * 32);
    const third = new ReplayGuard(dir);
    expect(third.has(7n, hash(3))).toBe(true);
    third.close();
  });

  it("forgets old sessions and deletes their logs", async () => {
    const dir = tmp();
    const guard = new ReplayGuard(dir);
    guard.admit(1n, hash(1));
    await guard.commit(1n, hash(1), { durable: false });
    guard.admit(2n, hash(2));
    await guard.commit(2n, hash(2), { durable: false });
    guard.forgetBefore(2n);
    expect(existsSync(join(dir, "1.log"))).toBe(false);
    expect(existsSync(join(dir, "2.log"))).toBe(true);
    expect(guard.has(2n, hash(2))).toBe(true);
    expect(guard.has(1n, hash(1))).toBe(false);
    expect(existsSync(join(dir, "1.log"))).toBe(false); // looking does not create a log
    guard.close();
  });
});
