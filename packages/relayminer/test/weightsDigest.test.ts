import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { saveDeployment } from "@decai/chain";
import { type SupplierInfo, supplierInfoPath, weightsDigestHeaderName } from "@decai/core";
import { createWalletClient, type Hex, http } from "viem";
import { privateKeyToAccount, privateKeyToAddress } from "viem/accounts";
import { foundry } from "viem/chains";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConfigError, createLogger, loadConfig, runRelayMiner, WeightsDigestDeclarer } from "../src/index.js";
import { startWorld, type World } from "./helpers/world.js";

const digest = `0x${"d1".repeat(32)}` as Hex;
const other = `0x${"e2".repeat(32)}` as Hex;

// Artifact commitment on the supplier side: the RelayMiner reports the digest of the model file behind each
// service on every answer and at GET /decai/info, and declares it on-chain.
describe("RelayMiner weights digest", () => {
  let world: World;

  beforeAll(async () => {
    world = await startWorld();
  }, 240_000);

  afterAll(async () => {
    await world?.stop();
  });

  const info = async (url: string) =>
    (await (await fetch(`${url}${supplierInfoPath}`)).json()) as SupplierInfo;

  it("reports the backend's digest on plain and streamed answers", async () => {
    const miner = await world.startMiner({
      services: [{ id: world.service, backend: { url: world.backend.url }, weightsDigest: digest }],
    });
    const plain = await world.post(miner, world.relay());
    expect(plain.status).toBe(200);
    expect(plain.headers.get(weightsDigestHeaderName)).toBe(digest);
    await plain.arrayBuffer();
    const streamed = await world.post(
      miner,
      world.relay({
        body: {
          model: "tiny-llama",
          messages: [{ role: "user", content: "hi" }],
          max_tokens: 8,
          stream: true,
        },
        maxTokens: 8,
      }),
    );
    expect(streamed.status).toBe(200);
    expect(streamed.headers.get("content-type")).toContain("text/event-stream");
    expect(streamed.headers.get(weightsDigestHeaderName)).toBe(digest);
    await streamed.text();
    await miner.stop();
  });

  it("sends no digest header when it does not know the model file", async () => {
    const miner = await world.startMiner();
    const res = await world.post(miner, world.relay());
    expect(res.status).toBe(200);
    expect(res.headers.get(weightsDigestHeaderName)).toBeNull();
    await res.arrayBuffer();
    const described = await info(miner.url);
    expect(described.services[0]?.weightsDigest).toBeNull();
    await miner.stop();
  });

  it("describes itself at /decai/info: reported, declared and registered digests", async () => {
    const supplierKey = world.suppliers.A;
    const miner = await world.startMiner({
      supplierKey,
      services: [
        { id: world.service, backend: { url: world.backend.url }, weightsDigest: `0x${"D1".repeat(32)}` },
      ],
    });
    let described = await info(miner.url);
    expect(described).toEqual({
      supplier: privateKeyToAddress(supplierKey),
      services: [
        {
          id: world.service,
          name: "tiny-llama",
          weightsDigest: digest, // lower-cased
          declaredWeightsDigest: null,
          serviceWeightsDigest: `0x${"11".repeat(32)}`, // the fixture's placeholder
        },
      ],
    });
    await world.net.actions.declareWeightsDigest(supplierKey, world.service, other);
    await world.indexer.sync();
    described = await info(miner.url);
    expect(described.services[0]?.declaredWeightsDigest).toBe(other);
    await miner.stop();
  });

  it("declares the loaded digest on-chain once, only for services the supplier serves", async () => {
    const key = world.suppliers.B;
    const wallet = createWalletClient({
      account: privateKeyToAccount(key),
      chain: foundry,
      transport: http(world.net.anvil.rpcUrl),
    });
    const declarer = new WeightsDigestDeclarer({
      publicClient: world.net.publicClient,
      walletClient: wallet,
      staking: world.net.contracts.staking,
      chain: world.indexer.state,
      // B serves tiny-llama; it does not serve other-model, so that one is never sent (it would revert).
      services: [
        { id: world.service, weightsDigest: digest },
        { id: world.other, weightsDigest: other },
      ],
    });
    await world.indexer.sync();
    expect(
      world.indexer.state.supplierWeightsDigest(privateKeyToAddress(key), world.service),
    ).toBeUndefined();
    expect(await declarer.check()).toEqual([world.service]);
    // Mined but not yet seen by the indexer: not sent twice.
    expect(await declarer.check()).toEqual([]);
    await world.indexer.sync();
    expect(world.indexer.state.supplierWeightsDigest(privateKeyToAddress(key), world.service)).toBe(digest);
    expect(await declarer.check()).toEqual([]);
  });
});

describe("runRelayMiner with a configured weights digest", () => {
  let world: World;
  const dir = mkdtempSync(join(tmpdir(), "decai-digest-"));

  beforeAll(async () => {
    world = await startWorld();
    saveDeployment(join(dir, "deployment.json"), world.net.deployment);
    writeFileSync(join(dir, "supplier.key"), world.suppliers.A);
  }, 240_000);

  afterAll(async () => {
    await world?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const writeConfig = (service: Record<string, unknown>) => {
    writeFileSync(
      join(dir, "relayminer.json"),
      JSON.stringify({
        port: 0,
        rpcUrl: world.net.anvil.rpcUrl,
        deployment: "deployment.json",
        supplierKeyFile: "supplier.key",
        dataDir: "data",
        pollIntervalMs: 50,
        services: [{ name: "tiny-llama", backend: world.backend.url, ...service }],
      }),
    );
    return loadConfig({ argv: ["--config", join(dir, "relayminer.json")], env: {} });
  };

  it("rejects a malformed digest in the config file", () => {
    expect(() => writeConfig({ weightsDigest: "0x1234" })).toThrow(ConfigError);
  });

  it("declares the digest at start and reports it", async () => {
    const config = writeConfig({ weightsDigest: digest });
    expect(config.services[0]?.weightsDigest).toBe(digest);
    const running = await runRelayMiner(config, {
      logger: createLogger({ level: "error", write: () => {} }),
    });
    try {
      expect(running.declarer).toBeDefined();
      await running.indexer.sync();
      const supplier = privateKeyToAddress(world.suppliers.A);
      expect(running.indexer.state.supplierWeightsDigest(supplier, world.service)).toBe(digest);
      const described = (await (
        await fetch(`${running.miner.url}${supplierInfoPath}`)
      ).json()) as SupplierInfo;
      expect(described.services[0]).toMatchObject({ weightsDigest: digest, declaredWeightsDigest: digest });
    } finally {
      await running.stop();
    }
  });
});
