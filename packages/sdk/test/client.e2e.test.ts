import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { verifyRelay } from "@decai/core";
import { privateKeyToAddress } from "viem/accounts";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  AllSuppliersFailedError,
  type ChatCompletionChunk,
  createSessionChain,
  DecaiClient,
  RelayError,
  SessionDirectory,
  SupplierScorer,
} from "../src/index.js";
import { chatBody, prefer, type SupplierNode, startWorld, type World } from "./helpers/world.js";

const messages = [{ role: "user" as const, content: "Hello there" }];

describe("DecaiClient against real RelayMiners", () => {
  let world: World;
  let bad: SupplierNode;
  let others: string[];

  beforeAll(async () => {
    world = await startWorld();
    bad = world.suppliers[0] as SupplierNode;
    others = world.suppliers.slice(1).map((s) => s.address);
  }, 240_000);
  afterAll(async () => {
    await world?.stop();
  });
  beforeEach(() => world.reset());

  /** A client whose scorer tries `bad` first. */
  function preferBad(options: Parameters<World["client"]>[0] = {}) {
    const scorer = new SupplierScorer({ explore: 0 });
    prefer(scorer, bad.address, others);
    return world.client({ scorer, ...options });
  }
  const rejections = (node: SupplierNode, reason: string) =>
    Number(
      node.miner.metrics.rejected.render().match(new RegExp(`reason="${reason}"[^\\n]*\\} (\\d+)`))?.[1] ?? 0,
    );

  it("answers a chat completion from a session supplier, with a verified receipt", async () => {
    const client = world.client();
    expect(client.application).toBe(world.app); // sovereign: the signer is the application
    const completion = await client.chat.completions.create({
      model: "tiny-llama",
      messages,
      max_tokens: 6,
      temperature: 0,
    });
    expect(completion.object).toBe("chat.completion");
    expect(completion.choices[0]?.message.content?.length).toBeGreaterThan(0);
    const { decai } = completion;
    expect(decai.receipt.valid).toBe(true);
    expect(decai.session).toBe(world.indexer.state.currentSession);
    expect(world.node(decai.supplier).served.map((s) => s.relay)).toEqual([decai.receipt.relay]);
    expect(JSON.stringify(completion)).not.toContain("decai"); // non-enumerable: forwards cleanly
    expect(client.scorer.stats(decai.supplier)).toMatchObject({ successes: 1, inflight: 0 });
  });

  it("sets max_tokens on requests without one, so the signed cost is bounded", async () => {
    const client = world.client({ defaultMaxTokens: 5 });
    const completion = await client.chat.completions.create({
      model: "tiny-llama",
      messages,
      temperature: 0,
    });
    expect(completion.decai.receipt.relay?.request.maxTokens).toBe(5);
    expect(completion.usage?.completion_tokens).toBe(5);
  });

  it("streams a chat completion and verifies the receipt at its end", async () => {
    const client = world.client();
    const stream = await client.chat.completions.create({
      model: "tiny-llama",
      messages,
      stream: true,
      temperature: 0,
    });
    const chunks: ChatCompletionChunk[] = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks[0]?.object).toBe("chat.completion.chunk");
    expect(chunks.map((c) => c.choices[0]?.delta.content ?? "").join("").length).toBeGreaterThan(0);
    const receipt = await stream.receipt;
    expect(receipt.valid).toBe(true);
    expect(world.node(stream.supplier).served[0]?.relay).toEqual(receipt.relay);
    const stats = client.scorer.stats(stream.supplier);
    expect(stats.successes).toBe(1);
    expect(stats.ttftMs).toBeGreaterThan(0);
  });

  it("signs with the gateway key for an application that delegates to it", async () => {
    const gateway = world.client({ signerKey: world.gatewayKey, application: world.delegator });
    const completion = await gateway.chat.completions.create({
      model: "tiny-llama",
      messages,
      max_tokens: 4,
    });
    const verified = verifyRelay(completion.decai.receipt.relay as never, world.domain);
    expect(verified.requestSigner).toBe(privateKeyToAddress(world.gatewayKey));
    expect(completion.decai.receipt.relay?.request.application).toBe(world.delegator);
  });

  it("retries on another supplier after a 5xx, and opens the failing supplier's breaker", async () => {
    bad.backend.fault.mode = "error500";
    const client = preferBad();
    for (let i = 0; i < 3; i++) {
      const completion = await client.chat.completions.create(chatBody());
      expect(completion.decai.supplier).not.toBe(bad.address);
      expect(completion.decai.receipt.valid).toBe(true);
    }
    expect(bad.backend.fault.calls).toBe(3);
    expect(client.scorer.stats(bad.address)).toMatchObject({ failures: 3, state: "open" });
    // Open: the next requests go straight to the others.
    await client.chat.completions.create(chatBody());
    expect(bad.backend.fault.calls).toBe(3);
  });

  it("retries a stream on another supplier when the first fails before any event", async () => {
    bad.backend.fault.mode = "error500";
    const client = preferBad();
    const stream = await client.chat.completions.create({ ...chatBody(), stream: true });
    expect(stream.supplier).not.toBe(bad.address);
    let n = 0;
    for await (const _ of stream) n++;
    expect(n).toBeGreaterThan(1);
    expect((await stream.receipt).valid).toBe(true);
    expect(bad.backend.fault.calls).toBe(1);
  });

  it("retries on another supplier when one is unreachable", async () => {
    const dead = createServer();
    await new Promise<void>((resolve) => dead.listen(0, "127.0.0.1", resolve));
    const deadUrl = `http://127.0.0.1:${(dead.address() as AddressInfo).port}`;
    await new Promise<void>((resolve) => dead.close(() => resolve()));
    const chain = createSessionChain(world.net.publicClient, world.net.contracts);
    const sessions = new SessionDirectory({
      chain: {
        ...chain,
        supplierEndpoint: async (supplier, id) =>
          supplier === bad.address ? deadUrl : chain.supplierEndpoint(supplier, id),
      },
    });
    const scorer = new SupplierScorer({ explore: 0 });
    prefer(scorer, bad.address, others);
    const client = new DecaiClient({ signerKey: world.appKey, domain: world.domain, sessions, scorer });
    const completion = await client.chat.completions.create(chatBody());
    expect(completion.decai.supplier).not.toBe(bad.address);
    expect(scorer.stats(bad.address).failures).toBe(1);
  });

  it("moves on after a relay meter's 429 and skips that supplier for the rest of the session", async () => {
    bad.cap = 0n;
    const client = preferBad();
    const first = await client.chat.completions.create(chatBody());
    expect(first.decai.supplier).not.toBe(bad.address);
    expect(rejections(bad, "insufficient_quota")).toBe(1);
    // A quota refusal says nothing about health: no failure booked.
    expect(client.scorer.stats(bad.address)).toMatchObject({ failures: 0, state: "closed" });
    await client.chat.completions.create(chatBody());
    expect(rejections(bad, "insufficient_quota")).toBe(1); // not asked again this session
  });

  it("does not retry a request that every supplier would refuse", async () => {
    const client = world.client();
    const before = world.suppliers.map((s) => rejections(s, "max_tokens_exceeds_relay"));
    // The body asks for 8 tokens but the relay is signed for 4.
    const error = await client.relay({ body: chatBody(), maxTokens: 4 }).catch((e) => e);
    expect(error).toBeInstanceOf(RelayError);
    expect(error).toMatchObject({ status: 400, code: "max_tokens_exceeds_relay", retryable: false });
    const after = world.suppliers.map((s) => rejections(s, "max_tokens_exceeds_relay"));
    expect(after.reduce((a, b) => a + b, 0) - before.reduce((a, b) => a + b, 0)).toBe(1);
    expect(world.suppliers.every((s) => s.backend.fault.calls === 0)).toBe(true);
  });

  it("fails with AllSuppliersFailedError, listing every attempt, when all suppliers fail", async () => {
    for (const s of world.suppliers) s.backend.fault.mode = "error500";
    const client = world.client({ scorer: new SupplierScorer({ breaker: { failureThreshold: 10 } }) });
    const error = await client.chat.completions.create(chatBody()).catch((e) => e);
    expect(error).toBeInstanceOf(AllSuppliersFailedError);
    expect(error.status).toBe(502);
    const tried = (error as AllSuppliersFailedError).attempts.map((a) => a.supplier).sort();
    expect(tried).toEqual(world.suppliers.map((s) => s.address).sort());
    expect(world.suppliers.every((s) => s.backend.fault.calls === 1)).toBe(true);
  });
});
