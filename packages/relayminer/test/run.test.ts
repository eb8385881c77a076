import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { saveDeployment } from "@decai/chain";
import { startNetwork } from "@decai/chain/testing";
import {
  computeRequestDigest,
  decodeRelayResponseHeader,
  encodeRelayRequestHeader,
  type RelayRequest,
  relayRequestHeaderName,
  relayResponseHeaderName,
  signRelayRequest,
  toServiceId,
  verifyRelay,
} from "@decai/core";
import type { Hex } from "viem";
import { privateKeyToAddress } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger, loadConfig, type RunningRelayMiner, runRelayMiner } from "../src/index.js";
import { type MockBackend, startMockBackend } from "./helpers/backend.js";

/** The whole process wiring: config file → indexer → RelayMiner, as `main.ts` runs it. */
describe("runRelayMiner from a config file", () => {
  let net: Awaited<ReturnType<typeof startNetwork>>;
  let backend: MockBackend;
  let running: RunningRelayMiner;
  const lines: string[] = [];
  const dir = mkdtempSync(join(tmpdir(), "decai-run-"));
  const service = toServiceId("tiny-llama");
  const key = (i: number) => net.keys[i] as Hex;
  let nonce = 1n;

  beforeAll(async () => {
    net = await startNetwork({ blocksPerSession: 40, suppliersPerSession: 1 });
    await net.actions.registerService(key(1), service);
    await net.actions.stakeSupplier(key(2), [{ id: service, endpoint: "http://miner" }]);
    await net.actions.stakeApplication(key(3), [service]);
    await net.actions.nextSession();
    await net.actions.recordSeed(key(0));
    backend = await startMockBackend();
    saveDeployment(join(dir, "deployment.json"), net.deployment);
    writeFileSync(join(dir, "supplier.key"), key(2));
    writeFileSync(
      join(dir, "relayminer.json"),
      JSON.stringify({
        port: 0,
        rpcUrl: net.anvil.rpcUrl,
        deployment: "deployment.json",
        supplierKeyFile: "supplier.key",
        dataDir: "data",
        pollIntervalMs: 50,
        services: [{ name: "tiny-llama", backend: backend.url }],
      }),
    );
    const config = loadConfig({ argv: ["--config", join(dir, "relayminer.json")], env: {} });
    running = await runRelayMiner(config, {
      logger: createLogger({ level: "debug", write: (line) => lines.push(line) }),
    });
  }, 240_000);

  afterAll(async () => {
    await running?.stop();
    await backend?.stop();
    await net?.anvil.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  function relay(appKey: Hex) {
    const body = JSON.stringify({ messages: [{ role: "user", content: "hi" }], max_tokens: 8 });
    const request: RelayRequest = {
      application: privateKeyToAddress(appKey),
      serviceId: service,
      session: running.indexer.state.currentSession,
      supplier: privateKeyToAddress(key(2)),
      requestDigest: computeRequestDigest({ method: "POST", path: "/v1/chat/completions", body }),
      maxTokens: 8,
      nonce: nonce++,
    };
    const domain = { chainId: net.anvil.chainId, verifyingContract: net.deployment.contracts.relayMining };
    const requestSignature = signRelayRequest({ request, domain, privateKey: appKey });
    const send = () =>
      fetch(`${running.miner.url}/v1/chat/completions`, {
        method: "POST",
        headers: {
          [relayRequestHeaderName]: encodeRelayRequestHeader({ request, signature: requestSignature }),
        },
        body,
      });
    return { request, requestSignature, domain, send };
  }

  it("serves relays signed for the deployed RelayMining contract", async () => {
    const r = relay(key(3));
    const res = await r.send();
    expect(res.status).toBe(200);
    await res.text();
    const { response, signature } = decodeRelayResponseHeader(
      res.headers.get(relayResponseHeaderName) as string,
    );
    const verified = verifyRelay(
      { request: r.request, requestSignature: r.requestSignature, response, responseSignature: signature },
      r.domain,
    );
    expect(verified.supplier).toBe(privateKeyToAddress(key(2)));
  });

  it("follows the chain in the background: a newly staked application is served without a restart", async () => {
    const newApp = key(4);
    expect((await relay(newApp).send()).status).toBe(403);
    await net.actions.stakeApplication(newApp, [service]);
    let status = 0;
    while (status !== 200) {
      const res = await relay(newApp).send();
      status = res.status;
      await res.arrayBuffer();
      if (status !== 200) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(running.indexer.state.usesService(privateKeyToAddress(newApp), service)).toBe(true);
  });

  it("reports chain sync in /health and /metrics", async () => {
    const health = (await (await fetch(`${running.miner.url}/health`)).json()) as Record<string, unknown>;
    expect(health).toMatchObject({ status: "ok", chainId: net.anvil.chainId });
    expect(BigInt(health.syncedBlock as string)).toBeGreaterThan(0n);
    const metrics = await (await fetch(`${running.miner.url}/metrics`)).text();
    expect(metrics).toMatch(/^decai_chain_synced_block [1-9]\d*$/m);
  });

  it("logs JSON lines and never the key", () => {
    expect(lines.length).toBeGreaterThan(0);
    const entries = lines.map((line) => JSON.parse(line) as { level: string; msg: string });
    expect(entries.map((e) => e.msg)).toContain("relayminer listening");
    expect(entries.find((e) => e.msg === "starting relayminer")).toMatchObject({
      supplier: privateKeyToAddress(key(2)),
    });
    for (const line of lines) expect(line).not.toContain(key(2).slice(2));
  });
});
