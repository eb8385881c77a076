import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { saveDeployment } from "@decai/chain";
import { startNetwork } from "@decai/chain/testing";
import {
  computeRequestDigest,
  computeResponseDigest,
  decodeRelayResponseHeader,
  encodeRelayRequestHeader,
  type RelayRequest,
  relayRequestHeaderName,
  relayResponseHeaderName,
  type SignedRelayResponse,
  signRelayRequest,
  splitRelayResponseEvent,
  toServiceId,
  verifyRelay,
} from "@decai/core";
import {
  type BackendServer,
  createBackendServer,
  createEmbeddedBackend,
  type EmbeddedBackend,
} from "@decai/llm";
import type { Hex } from "viem";
import { privateKeyToAddress } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger, loadConfig, type RunningRelayMiner, runRelayMiner } from "../src/index.js";
import { mineUntilClaimFinal } from "./helpers/settlement.js";

// The supplier side for real: llama.cpp (node-llama-cpp) serving the generated tiny model, a RelayMiner in front
// of it on a real chain, every OpenAI endpoint relayed with a verifiable receipt, and the mined relays claimed,
// proven and settled on-chain by the RelayMiner's own lifecycle.
describe("RelayMiner in front of the embedded llama.cpp backend", () => {
  let net: Awaited<ReturnType<typeof startNetwork>>;
  let llm: EmbeddedBackend;
  let server: BackendServer;
  let running: RunningRelayMiner;
  const dir = mkdtempSync(join(tmpdir(), "decai-embedded-"));
  const service = toServiceId("decai-tiny");
  const key = (i: number) => net.keys[i] as Hex;
  let session = 0n;
  let nonce = 0n;

  beforeAll(async () => {
    net = await startNetwork({
      blocksPerSession: 40,
      suppliersPerSession: 1,
      claimWindowOpenOffsetBlocks: 1,
      claimWindowBlocks: 30,
      proofWindowBlocks: 30,
      proofRequirementThreshold: 1n,
    });
    llm = await createEmbeddedBackend({ modelsDir: join(dir, "models") });
    server = await createBackendServer(llm);
    await net.actions.registerService(key(1), service, "decai-tiny");
    await net.actions.stakeSupplier(key(2), [{ id: service, endpoint: "http://miner" }]);
    await net.actions.stakeApplication(key(3), [service]);
    session = await net.actions.nextSession();
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
        services: [{ name: "decai-tiny", backend: new URL(server.url).origin }],
      }),
    );
    running = await runRelayMiner(loadConfig({ argv: ["--config", join(dir, "relayminer.json")], env: {} }), {
      logger: createLogger({ level: "error", write: () => {} }),
    });
  }, 240_000);

  afterAll(async () => {
    await running?.stop();
    await server?.close();
    await llm?.close();
    await net?.anvil.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const domain = () => ({
    chainId: net.anvil.chainId,
    verifyingContract: net.deployment.contracts.relayMining,
  });

  /** Signs a relay as the application and sends it; retries while the RelayMiner waits for the session seed. */
  async function relay(path: string, payload: Record<string, unknown>) {
    const body = JSON.stringify(payload);
    const request: RelayRequest = {
      application: privateKeyToAddress(key(3)),
      serviceId: service,
      session,
      supplier: privateKeyToAddress(key(2)),
      requestDigest: computeRequestDigest({ method: "POST", path, body }),
      maxTokens: 16,
      nonce: nonce++,
    };
    const requestSignature = signRelayRequest({ request, domain: domain(), privateKey: key(3) });
    for (let tries = 0; ; tries++) {
      const res = await fetch(`${running.miner.url}${path}`, {
        method: "POST",
        headers: {
          [relayRequestHeaderName]: encodeRelayRequestHeader({ request, signature: requestSignature }),
        },
        body,
      });
      const text = await res.text();
      if (res.status === 503 && tries < 100) {
        await new Promise((r) => setTimeout(r, 50));
        continue;
      }
      expect(res.status, text).toBe(200);
      const header = res.headers.get(relayResponseHeaderName);
      const signed: SignedRelayResponse = header
        ? decodeRelayResponseHeader(header)
        : splitRelayResponseEvent(text).response;
      const delivered = header ? text : splitRelayResponseEvent(text).body;
      expect(signed.response.responseDigest).toBe(computeResponseDigest(delivered));
      const verified = verifyRelay(
        { request, requestSignature, response: signed.response, responseSignature: signed.signature },
        domain(),
      );
      expect(verified.supplier).toBe(privateKeyToAddress(key(2)));
      return { text: delivered, response: signed.response };
    }
  }

  it("relays chat, streaming chat, completions and embeddings with verifiable receipts, then claims and settles them", async () => {
    const chat = await relay("/v1/chat/completions", {
      model: "decai-tiny",
      messages: [{ role: "user", content: "Hello" }],
      max_tokens: 8,
      temperature: 0,
      seed: 1,
    });
    const parsed = JSON.parse(chat.text);
    expect(parsed.object).toBe("chat.completion");
    expect(chat.response.inputTokens).toBe(parsed.usage.prompt_tokens);
    expect(chat.response.outputTokens).toBe(parsed.usage.completion_tokens);
    expect(parsed.usage.completion_tokens).toBeLessThanOrEqual(8);

    const stream = await relay("/v1/chat/completions", {
      model: "decai-tiny",
      messages: [{ role: "user", content: "Hello" }],
      max_tokens: 8,
      temperature: 0,
      seed: 1,
      stream: true,
      stream_options: { include_usage: true },
    });
    expect(stream.text).toMatch(/"object":"chat\.completion\.chunk"/);
    expect(stream.text.endsWith("data: [DONE]\n\n")).toBe(true);
    // Same prompt, temperature 0, same seed: the stream carries the same tokens as the whole answer.
    expect(stream.response.outputTokens).toBe(chat.response.outputTokens);

    const completion = await relay("/v1/completions", {
      model: "decai-tiny",
      prompt: "Once",
      max_tokens: 6,
      temperature: 0,
    });
    expect(JSON.parse(completion.text).object).toBe("text_completion");

    const embedding = await relay("/v1/embeddings", { model: "decai-tiny", input: "hello world" });
    const vector = JSON.parse(embedding.text).data[0].embedding as number[];
    expect(vector.length).toBeGreaterThan(0);

    // The lifecycle claims, proves and settles the four relays by itself while blocks go by.
    const claim = await mineUntilClaimFinal(net, {
      supplier: privateKeyToAddress(key(2)),
      application: privateKeyToAddress(key(3)),
      serviceId: service,
      session,
    });
    expect(claim.rootCount).toBe(4n);
    expect(claim.status).toBe(3); // Settled, after a proof (every claim must be proven here)
  }, 240_000);
});
