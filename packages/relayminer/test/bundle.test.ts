// The production bundle (`npm run bundle`): one plain-JS file that starts without tsx and loads every module,
// native addons included (libsecp256k1, libkeccak, SQLite).
import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
// @ts-expect-error: a plain ES module script without types
import { bundleEntries, bundleEntry } from "../../../scripts/bundle.mjs";

describe("npm run bundle", () => {
  // Inside the checkout: a bundle finds its external dependencies in the repository's node_modules.
  const dist = resolve(import.meta.dirname, "../../../dist");
  mkdirSync(dist, { recursive: true });
  const dir = mkdtempSync(join(dist, "test-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("builds a RelayMiner that runs with plain node: help, and a clear error for a bad config", async () => {
    const file = await bundleEntry(bundleEntries.relayminer, join(dir, "relayminer.mjs"));
    const help = execFileSync(process.execPath, [file, "--help"], { encoding: "utf8" });
    expect(help).toMatch(/^Usage: relayminer --config/);
    expect(help).toContain("--service NAME=URL");
    const config = join(dir, "relayminer.json");
    writeFileSync(config, JSON.stringify({ rpcUrl: "http://127.0.0.1:1", services: [] }));
    const run = spawnSync(process.execPath, [file, "--config", config], { encoding: "utf8" });
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/^relayminer: .+\(.+\)\n$/);
  }, 60_000);

  it("builds a gateway that runs with plain node and loads its native addons", async () => {
    const file = await bundleEntry(bundleEntries.gateway, join(dir, "gateway.mjs"));
    expect(execFileSync(process.execPath, [file, "--help"], { encoding: "utf8" })).toMatch(/^Usage: gateway/);
    // keys list against no admin API: the bundle got as far as the command's own error.
    const run = spawnSync(process.execPath, [file, "keys", "list", "--url", "http://127.0.0.1:1"], {
      encoding: "utf8",
      env: { ...process.env, DECAI_GATEWAY_ADMIN_TOKEN: "t" },
    });
    expect(run.status).not.toBe(0);
    expect(run.stderr).not.toMatch(/Cannot find (module|package)|ERR_MODULE_NOT_FOUND/);
    expect(run.stderr.length).toBeGreaterThan(0);
  }, 60_000);
});
