import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sessionClockAbi } from "@decai/chain";
import { createPublicClient, http } from "viem";
import { describe, expect, it } from "vitest";
import { spawnDecai, waitForExit } from "./helpers.js";

describe("decai devnet", () => {
  it("starts a chain, deploys, reports the addresses, and shuts down cleanly on SIGINT", async () => {
    const out = join(mkdtempSync(join(tmpdir(), "decai-devnet-")), "devnet.json");
    const child = spawnDecai(["devnet", "--port", "0", "--block-time", "0.2", "--json", "--out", out]);
    const exited = waitForExit(child);
    const ready = await new Promise<Record<string, unknown>>((resolve, reject) => {
      let buffer = "";
      child.stdout?.on("data", (d) => {
        buffer += d;
        const line = buffer.split("\n").find((l) => l.startsWith("{"));
        if (line) resolve(JSON.parse(line));
      });
      child.once("exit", (code) => reject(new Error(`devnet exited early with ${code}`)));
    });
    const rpcUrl = ready.rpcUrl as string;
    const contracts = ready.contracts as Record<string, `0x${string}`>;
    expect(JSON.parse(readFileSync(out, "utf8")).contracts).toEqual(contracts);

    const client = createPublicClient({ transport: http(rpcUrl) });
    // Interval mining is on: blocks advance without transactions, so sessions advance too.
    const before = await client.getBlockNumber({ cacheTime: 0 });
    await new Promise((r) => setTimeout(r, 700));
    expect(await client.getBlockNumber({ cacheTime: 0 })).toBeGreaterThan(before);
    const session = await client.readContract({
      address: contracts.sessionClock as `0x${string}`,
      abi: sessionClockAbi,
      functionName: "currentSession",
    });
    expect(typeof session).toBe("bigint");

    child.kill("SIGINT");
    const { code } = await exited;
    expect(code).toBe(0);
    await expect(client.getBlockNumber({ cacheTime: 0 })).rejects.toThrow();
  }, 120_000);

  it("says what to do when the port is taken", async () => {
    const first = spawnDecai([
      "devnet",
      "--port",
      "0",
      "--block-time",
      "0.2",
      "--json",
      "--out",
      join(tmpdir(), `d-${process.pid}.json`),
    ]);
    const firstExit = waitForExit(first);
    const rpcUrl = await new Promise<string>((resolve) => {
      let buffer = "";
      first.stdout?.on("data", (d) => {
        buffer += d;
        const line = buffer.split("\n").find((l) => l.startsWith("{"));
        if (line) resolve(JSON.parse(line).rpcUrl);
      });
    });
    const port = new URL(rpcUrl).port;
    const second = await waitForExit(spawnDecai(["devnet", "--port", port]));
    first.kill("SIGINT");
    await firstExit;
    expect(second.code).toBe(1);
    expect(second.stderr).toMatch(
      new RegExp(`port ${port} is already in use\\. Stop whatever listens there, or pass --port 0`),
    );
  }, 120_000);
});
