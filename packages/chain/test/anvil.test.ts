import { createPublicClient, http } from "viem";
import { describe, expect, it } from "vitest";
import { ChainError, deployDecai, findAnvilBinary, startAnvil } from "../src/index.js";

describe("startAnvil", () => {
  it("starts on a free port with funded accounts, and stops cleanly", async () => {
    const [a, b] = await Promise.all([startAnvil({ accounts: 3 }), startAnvil()]);
    try {
      expect(a.port).not.toBe(b.port);
      const client = createPublicClient({ transport: http(a.rpcUrl) });
      expect(await client.getChainId()).toBe(31337);
      expect(a.accounts).toHaveLength(3);
      expect(await client.getBalance({ address: a.accounts[0]?.address as `0x${string}` })).toBeGreaterThan(
        0n,
      );
      await a.stop();
      await a.stop(); // idempotent
      await expect(client.getChainId()).rejects.toThrow();
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
  });

  it("mines on an interval when a block time is set", async () => {
    const anvil = await startAnvil({ blockTime: 0.1 });
    try {
      const client = createPublicClient({ transport: http(anvil.rpcUrl) });
      const first = await client.getBlockNumber({ cacheTime: 0 });
      await new Promise((r) => setTimeout(r, 500));
      expect(await client.getBlockNumber({ cacheTime: 0 })).toBeGreaterThan(first);
    } finally {
      await anvil.stop();
    }
  });

  it("explains a missing binary", async () => {
    expect(() => findAnvilBinary({ DECAI_ANVIL_BIN: "/nonexistent/anvil" })).toThrow(ChainError);
    try {
      findAnvilBinary({ DECAI_ANVIL_BIN: "/nonexistent/anvil" });
    } catch (error) {
      expect((error as ChainError).hint).toMatch(/unset DECAI_ANVIL_BIN/);
    }
    expect(findAnvilBinary({})).toMatch(/anvil$/);
  });

  it("explains a port that is taken", async () => {
    const first = await startAnvil();
    try {
      await expect(startAnvil({ port: first.port })).rejects.toThrow(/exited with code|did not start/);
    } finally {
      await first.stop();
    }
  });
});

describe("deployDecai", () => {
  it("stops at the first failing contract with a clear error", async () => {
    const anvil = await startAnvil();
    try {
      const key = anvil.accounts[0]?.privateKey as `0x${string}`;
      // daoShareBps above the contract's bound: Staking's constructor reverts, after the tokens deployed.
      const attempt = deployDecai({ rpcUrl: anvil.rpcUrl, privateKey: key, params: { daoShareBps: 9_000 } });
      await expect(attempt).rejects.toThrow(ChainError);
      await expect(attempt).rejects.toThrow(
        /deploying Staking failed: reverted with ParameterOutOfBounds\(daoShareBps, 9000, 0, 5000\)/,
      );
    } finally {
      await anvil.stop();
    }
  });
});
