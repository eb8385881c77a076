import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadDeployment, serviceRegistryAbi, stakingAbi, testTokenAbi } from "@decai/chain";
import { toServiceId } from "@decai/core";
import OpenAI from "openai";
import { type Address, createPublicClient, http } from "viem";
import { afterAll, describe, expect, it } from "vitest";
import { spawnDecai, waitForExit } from "./helpers.js";

type Ready = {
  rpcUrl: string;
  resumed: boolean;
  OPENAI_BASE_URL: string;
  OPENAI_API_KEY: string;
  model: string;
  deploymentFile: string;
  accounts: { source: Address; suppliers: Address[]; gateway: Address; application: Address };
};

// The README's main job: `decai devnet` brings up the whole network; an OpenAI client uses it; sessions roll over and
// the suppliers and the source get paid out of the application's escrow by themselves; Ctrl-C leaves nothing behind.
describe("decai devnet", () => {
  const dir = mkdtempSync(join(tmpdir(), "decai-devnet-"));
  // Filled by the first test, checked by the resume test.
  let first: Ready | undefined;
  let spentEscrow: bigint | undefined;
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("serves the openai client end to end, settles payments by itself, and stops cleanly", async () => {
    const child = spawnDecai(["devnet", "--port", "0", "--block-time", "0.25", "--json", "--data-dir", dir]);
    const exited = waitForExit(child);
    const ready = await new Promise<Ready>((resolve, reject) => {
      let buffer = "";
      child.stdout?.on("data", (d) => {
        buffer += d;
        const line = buffer.split("\n").find((l) => l.startsWith("{"));
        if (line) resolve(JSON.parse(line));
      });
      child.once("exit", (code) => reject(new Error(`devnet exited early with ${code}`)));
    });
    try {
      const chain = createPublicClient({ transport: http(ready.rpcUrl) });
      const { contracts, dao } = {
        ...loadDeployment(ready.deploymentFile),
        dao: loadDeployment(ready.deploymentFile).dao,
      };
      const paid = (who: Address) =>
        chain.readContract({
          address: contracts.paymentToken,
          abi: testTokenAbi,
          functionName: "balanceOf",
          args: [who],
        });
      const escrow = () =>
        chain.readContract({
          address: contracts.staking,
          abi: stakingAbi,
          functionName: "applicationEscrow",
          args: [ready.accounts.application],
        });
      const snapshot = async () => ({
        suppliers: (await Promise.all(ready.accounts.suppliers.map(paid))).reduce((a, b) => a + b, 0n),
        source: await paid(ready.accounts.source),
        dao: await paid(dao),
        escrow: await escrow(),
      });
      const before = await snapshot();

      // Artifact commitment: the service commits to the tiny model's sha256, every supplier declared the same.
      const serviceId = toServiceId(ready.model);
      const service = await chain.readContract({
        address: contracts.serviceRegistry,
        abi: serviceRegistryAbi,
        functionName: "getService",
        args: [serviceId],
      });
      expect(service.weightsDigest).not.toBe(`0x${"00".repeat(32)}`);
      for (const supplier of ready.accounts.suppliers) {
        const declared = await chain.readContract({
          address: contracts.staking,
          abi: stakingAbi,
          functionName: "supplierWeightsDigest",
          args: [supplier, serviceId],
        });
        expect(declared, supplier).toBe(service.weightsDigest);
      }

      const openai = new OpenAI({
        baseURL: ready.OPENAI_BASE_URL,
        apiKey: ready.OPENAI_API_KEY,
        maxRetries: 0,
      });
      const chat = await openai.chat.completions.create({
        model: ready.model,
        messages: [{ role: "user", content: "Hello" }],
        max_tokens: 8,
        temperature: 0, // the tiny model may sample end-of-turn first; greedy never does for these prompts
      });
      expect(chat.choices[0]?.message.content?.length).toBeGreaterThan(0);
      expect(chat.usage?.completion_tokens).toBeGreaterThan(0);
      const stream = await openai.chat.completions.create({
        model: ready.model,
        messages: [{ role: "user", content: "Hello again" }],
        max_tokens: 8,
        temperature: 0,
        stream: true,
      });
      let streamed = "";
      for await (const chunk of stream) streamed += chunk.choices[0]?.delta?.content ?? "";
      expect(streamed.length).toBeGreaterThan(0);
      const embedding = await openai.embeddings.create({ model: ready.model, input: "hello world" });
      expect(embedding.data[0]?.embedding.length).toBeGreaterThan(0);

      // Nobody calls claim, prove or settle: the RelayMiners do, as sessions roll over.
      let after = await snapshot();
      for (let i = 0; i < 240 && (after.escrow === before.escrow || after.source === before.source); i++) {
        await new Promise((r) => setTimeout(r, 500));
        after = await snapshot();
      }
      first = ready;
      spentEscrow = after.escrow;
      const spent = before.escrow - after.escrow;
      expect(spent).toBeGreaterThan(0n);
      expect(after.source - before.source).toBeGreaterThan(0n);
      expect(after.suppliers - before.suppliers).toBeGreaterThan(0n);
      // Conservation: what left the escrow is exactly what suppliers, source and DAO received.
      expect(
        after.suppliers - before.suppliers + (after.source - before.source) + (after.dao - before.dao),
      ).toBe(spent);
    } finally {
      child.kill("SIGINT");
    }
    const { code } = await exited;
    expect(code).toBe(0);
    // Ctrl-C took everything down: the chain and the gateway no longer answer.
    await expect(
      createPublicClient({ transport: http(ready.rpcUrl, { retryCount: 0 }) }).getBlockNumber(),
    ).rejects.toThrow();
    await expect(fetch(`${ready.OPENAI_BASE_URL}/models`)).rejects.toThrow();
  }, 240_000);

  it("resumes from its data directory: same contracts, same API key, the escrow already spent stays spent", async () => {
    const child = spawnDecai(["devnet", "--port", "0", "--block-time", "0.25", "--json", "--data-dir", dir]);
    const exited = waitForExit(child);
    const ready = await new Promise<Ready>((resolve, reject) => {
      let buffer = "";
      child.stdout?.on("data", (d) => {
        buffer += d;
        const line = buffer.split("\n").find((l) => l.startsWith("{"));
        if (line) resolve(JSON.parse(line));
      });
      child.once("exit", (code) => reject(new Error(`devnet exited early with ${code}`)));
    });
    try {
      expect(ready.resumed).toBe(true);
      expect(ready.OPENAI_API_KEY).toBe(first?.OPENAI_API_KEY);
      const chain = createPublicClient({ transport: http(ready.rpcUrl) });
      const { contracts } = loadDeployment(ready.deploymentFile);
      expect(await chain.getCode({ address: contracts.relayMining })).toMatch(/^0x[0-9a-f]{10,}/);
      const escrow = await chain.readContract({
        address: contracts.staking,
        abi: stakingAbi,
        functionName: "applicationEscrow",
        args: [ready.accounts.application],
      });
      expect(escrow).toBeLessThanOrEqual(spentEscrow as bigint);
      const openai = new OpenAI({
        baseURL: ready.OPENAI_BASE_URL,
        apiKey: ready.OPENAI_API_KEY,
        maxRetries: 0,
      });
      const chat = await openai.chat.completions.create({
        model: ready.model,
        messages: [{ role: "user", content: "Still there?" }],
        max_tokens: 4,
        temperature: 0,
      });
      expect(chat.choices[0]?.message.content?.length).toBeGreaterThan(0);
    } finally {
      child.kill("SIGINT");
    }
    expect((await exited).code).toBe(0);
  }, 240_000);

  it("says what to do when the port is taken", async () => {
    const first = spawnDecai([
      "devnet",
      "--port",
      "0",
      "--suppliers",
      "1",
      "--block-time",
      "0.25",
      "--json",
      "--data-dir",
      join(dir, "a"),
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
    const second = await waitForExit(spawnDecai(["devnet", "--port", port, "--data-dir", join(dir, "b")]));
    first.kill("SIGINT");
    expect((await firstExit).code).toBe(0);
    expect(second.code).toBe(1);
    expect(second.stderr).toMatch(
      new RegExp(`port ${port} is already in use\\. Stop whatever listens there, or pass --port 0`),
    );
  }, 240_000);
});
