import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { bytesEqual, LogStore, Smst } from "../src/index.js";
import { crashEntry } from "./fixtures/crashEntries.js";

const repoRoot = fileURLToPath(new URL("../../..", import.meta.url));
const writer = fileURLToPath(new URL("./fixtures/crashWriter.ts", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "smst-crash-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs the writer until it has acknowledged `atLeast` more updates, SIGKILLs it, returns every index it acknowledged. */
function writeThenKill(path: string, atLeast: number): Promise<number[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", writer, path], {
      cwd: repoRoot,
      stdio: ["ignore", "pipe", "pipe"],
    });
    const acked: number[] = [];
    let partial = "";
    let stderr = "";
    child.stdout.setEncoding("utf8");
    child.stdout.on("data", (chunk: string) => {
      const lines = (partial + chunk).split("\n");
      partial = lines.pop() ?? "";
      for (const line of lines) acked.push(Number(line));
      if (acked.length >= atLeast && child.exitCode === null) child.kill("SIGKILL");
    });
    child.stderr.on("data", (chunk) => {
      stderr += chunk;
    });
    child.on("error", reject);
    child.on("close", (_code, signal) => {
      if (signal !== "SIGKILL") reject(new Error(`writer exited on its own (${signal}): ${stderr}`));
      else resolve(acked); // a line cut by the kill was never acknowledged, so `partial` is dropped
    });
  });
}

async function expectRecovered(path: string, acked: number[]): Promise<number> {
  const store = await LogStore.open(path);
  const tree = await Smst.open(store);
  // Every acknowledged update is there, with its value and weight.
  for (const i of acked) {
    const { key, value, weight } = crashEntry(i);
    const got = tree.get(key);
    expect(got, `acknowledged entry ${i}`).toBeDefined();
    expect(bytesEqual(got?.value ?? new Uint8Array(), value)).toBe(true);
    expect(got?.weight).toBe(weight);
  }
  // Records are appended in call order, so what survived is exactly entries 0..size-1.
  for (let i = 0; i < tree.size; i++) expect(tree.get(crashEntry(i).key), `entry ${i}`).toBeDefined();
  // The recovered root is the root of a fresh tree holding the recovered entries.
  const fresh = new Smst();
  for (const { key, value, weight } of tree.entries()) await fresh.update(key, value, weight);
  expect(fresh.root()).toEqual(tree.root());
  const size = tree.size;
  await tree.close();
  return size;
}

describe("LogStore crash safety", () => {
  it("keeps every acknowledged update across SIGKILLs, and the log stays appendable", async () => {
    const path = join(dir, "crash.smst");
    const first = await writeThenKill(path, 300);
    expect(first.length).toBeGreaterThanOrEqual(300);
    const size = await expectRecovered(path, first);
    expect(size).toBeGreaterThanOrEqual(first.length);

    // The second run resumes after the recovered entries, on the possibly truncated log.
    const second = await writeThenKill(path, 200);
    expect(Math.min(...second)).toBe(size);
    const after = await expectRecovered(path, [...first, ...second]);
    expect(after).toBeGreaterThanOrEqual(size + second.length);
  });
});
