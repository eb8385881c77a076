import { sessionClockAbi } from "@decai/chain";
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import {
  AllSuppliersFailedError,
  type Evidence,
  NoSessionError,
  RelayStreamError,
  type SseEvent,
  SupplierScorer,
  streamErrorEvent,
} from "../src/index.js";
import { chatBody, prefer, type SupplierNode, startWorld, type World } from "./helpers/world.js";

describe("DecaiClient under faults, against real RelayMiners", () => {
  let world: World;
  let bad: SupplierNode;
  let others: string[];

  beforeAll(async () => {
    // Paced streams (12 tokens at 40/s), so a test can act mid-stream.
    world = await startWorld({ tokensPerSecond: 40 });
    bad = world.suppliers[0] as SupplierNode;
    others = world.suppliers.slice(1).map((s) => s.address);
  }, 240_000);
  afterAll(async () => {
    await world?.stop();
  });
  beforeEach(() => world.reset());

  function preferBad(options: Parameters<World["client"]>[0] = {}) {
    const scorer = new SupplierScorer({ explore: 0 });
    prefer(scorer, bad.address, others);
    return world.client({ scorer, ...options });
  }
  const rejections = (reason: string) =>
    world.suppliers.reduce(
      (sum, s) =>
        sum +
        Number(
          s.miner.metrics.rejected.render().match(new RegExp(`reason="${reason}"[^\\n]*\\} (\\d+)`))?.[1] ??
            0,
        ),
      0,
    );

  it("hedges a slow request on a second supplier; the first answer wins and the loser is cancelled", async () => {
    bad.backend.fault.mode = "hang";
    const client = preferBad({ hedge: { delayMs: 150 } });
    const completion = await client.chat.completions.create(chatBody());
    expect(completion.decai.supplier).not.toBe(bad.address);
    expect(completion.decai.receipt.valid).toBe(true);
    expect(bad.backend.fault.calls).toBe(1);
    // The hung relay was cancelled all the way to the backend, and booked as neither success nor failure.
    await vi.waitFor(() => expect(bad.backend.fault.cancelled).toBe(1));
    expect(client.scorer.stats(bad.address)).toMatchObject({ inflight: 0, failures: 0, successes: 1 });
    expect(bad.served).toHaveLength(0);
  });

  it("without hedging, gives up on a supplier after the timeout and retries elsewhere", async () => {
    bad.backend.fault.mode = "hang";
    const client = preferBad({ timeoutMs: 400 });
    const completion = await client.chat.completions.create(chatBody());
    expect(completion.decai.supplier).not.toBe(bad.address);
    expect(client.scorer.stats(bad.address).failures).toBe(1);
    await vi.waitFor(() => expect(bad.backend.fault.cancelled).toBe(1));
  });

  it("keeps an invalid receipt as evidence and serves the request from another supplier", async () => {
    bad.backend.fault.mode = "inflate-output";
    const seen: Evidence[] = [];
    const client = preferBad({ onEvidence: (e) => seen.push(e) });
    const completion = await client.chat.completions.create(chatBody());
    expect(completion.decai.supplier).not.toBe(bad.address);
    expect(client.evidence.map((e) => [e.kind, e.supplier])).toEqual([
      ["output_exceeds_max_tokens", bad.address],
    ]);
    expect(seen).toEqual(client.evidence);
    // The evidence is the relay the dishonest supplier signed and mined.
    expect(client.evidence[0]?.response).toEqual(bad.served[0]?.relay.response);
    const stats = client.scorer.stats(bad.address);
    expect(stats.failures).toBe(1);
    expect(stats.verificationFailureRate).toBeGreaterThan(0);
  });

  it("cancels a stream the caller stops reading, up to the backend", async () => {
    const client = world.client();
    const stream = await client.relay({ body: { ...chatBody({ max_tokens: 12 }), stream: true } });
    if (!stream.stream) throw new Error("expected a stream");
    const node = world.node(stream.supplier);
    for await (const _ of stream) break;
    await expect(stream.receipt).rejects.toMatchObject({ name: "RelayStreamError", cancelled: true });
    await vi.waitFor(() => expect(node.backend.fault.cancelled).toBe(1));
    expect(client.scorer.stats(stream.supplier)).toMatchObject({ inflight: 0, failures: 0, successes: 0 });
  });

  it("cancel() while the caller awaits the next event ends the stream as cancelled, not as broken", async () => {
    const client = world.client();
    const stream = await client.relay({ body: { ...chatBody({ max_tokens: 12 }), stream: true } });
    if (!stream.stream) throw new Error("expected a stream");
    const node = world.node(stream.supplier);
    const events = stream[Symbol.asyncIterator]();
    await events.next();
    const pending = events.next();
    stream.cancel();
    // Events already received may still come out; then the iteration ends, quietly or as cancelled.
    let ending: unknown;
    try {
      for (let next = await pending; !next.done; next = await events.next()) {}
    } catch (error) {
      ending = error;
    }
    expect(ending === undefined || (ending instanceof RelayStreamError && ending.cancelled)).toBe(true);
    await expect(stream.receipt).rejects.toMatchObject({ cancelled: true });
    await vi.waitFor(() => expect(node.backend.fault.cancelled).toBe(1));
    expect(client.scorer.stats(stream.supplier)).toMatchObject({ inflight: 0, failures: 0 });
  });

  describe("across session rollovers", () => {
    const mineTo = async (block: bigint) => {
      const now = await world.net.publicClient.getBlockNumber({ cacheTime: 0 });
      if (block > now) await world.net.testClient.mine({ blocks: Number(block - now) });
    };
    const startOf = async (session: bigint) =>
      BigInt(
        await world.net.publicClient.readContract({
          address: world.net.contracts.sessionClock,
          abi: sessionClockAbi,
          functionName: "sessionStartBlock",
          args: [session],
        }),
      );

    it("falls back to the previous session while RelayMiners have not seen the new one", async () => {
      const client = world.client();
      const s = world.indexer.state.currentSession;
      await mineTo((await startOf(s + 1n)) - 1n);
      await world.indexer.sync(); // the RelayMiners are at the last block of session s
      await world.net.actions.recordSeed(world.net.keys[0] as `0x${string}`); // mined as the first of s + 1
      // The client sees s + 1 (seeded) first; the RelayMiners say it has not started; s is still in grace.
      const completion = await client.chat.completions.create(chatBody());
      expect(completion.decai.session).toBe(s);
      expect(rejections("session_not_started")).toBe(1);
      await world.indexer.sync();
      const next = await client.chat.completions.create(chatBody());
      expect(next.decai.session).toBe(s + 1n);
    });

    it("serves the previous session until its grace ends when the new seed is late, then waits for the seed", async () => {
      const client = world.client();
      const s = world.indexer.state.currentSession;
      await world.net.actions.nextSession(); // no seed recorded for s + 1
      await world.indexer.sync();
      const late = await client.chat.completions.create(chatBody());
      expect(late.decai.session).toBe(s);
      await world.net.testClient.mine({ blocks: 1 }); // past claimWindow(s).open - 1
      await world.indexer.sync();
      // No session can serve now: a client that does not wait fails...
      const impatient = world.client({ rolloverWaitMs: 0 });
      await expect(impatient.chat.completions.create(chatBody())).rejects.toBeInstanceOf(NoSessionError);
      // ...one that waits the rollover out (the default) is served once the seed is recorded.
      const waiting = client.chat.completions.create(chatBody());
      await new Promise((r) => setTimeout(r, 300));
      await world.net.actions.recordSeed(world.net.keys[0] as `0x${string}`);
      await world.indexer.sync();
      const seeded = await waiting;
      expect(seeded.decai.session).toBe(s + 1n);
    });

    it("waits out RelayMiners that have not seen the new session once the previous one is over", async () => {
      const client = world.client();
      const s = world.indexer.state.currentSession;
      await world.net.actions.nextSession();
      await world.net.actions.recordSeed(world.net.keys[0] as `0x${string}`); // one block past s's grace
      // The client sees only s + 1; every RelayMiner is still in s and says s + 1 has not started.
      const before = rejections("session_not_started");
      const impatient = world.client({ rolloverWaitMs: 0 });
      await expect(impatient.chat.completions.create(chatBody())).rejects.toBeInstanceOf(
        AllSuppliersFailedError,
      );
      // One refusal is enough: the other RelayMiners of the session lag alike, so they are not asked.
      expect(rejections("session_not_started") - before).toBe(1);
      const waiting = client.chat.completions.create(chatBody());
      await new Promise((r) => setTimeout(r, 300));
      await world.indexer.sync(); // the RelayMiners catch up
      const completion = await waiting;
      expect(completion.decai.session).toBe(s + 1n);
      expect(rejections("session_not_started") - before).toBeGreaterThan(1);
    });
  });

  // Last: it stops a RelayMiner for good.
  it("turns a stream cut after its first event into RelayStreamError and a clean SSE error event", async () => {
    const client = preferBad();
    const stream = await client.relay({ body: { ...chatBody({ max_tokens: 12 }), stream: true } });
    if (!stream.stream) throw new Error("expected a stream");
    expect(stream.supplier).toBe(bad.address);
    const events: SseEvent[] = [];
    let error: unknown;
    try {
      for await (const event of stream) {
        events.push(event);
        if (events.length === 2) void bad.miner.stop(); // the supplier goes away mid-stream
      }
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(RelayStreamError);
    expect(events.length).toBeGreaterThanOrEqual(2);
    expect(events.length).toBeLessThan(14);
    await expect(stream.receipt).rejects.toBeInstanceOf(RelayStreamError);
    expect(client.scorer.stats(bad.address).failures).toBe(1);
    const event = streamErrorEvent(error);
    expect(event.endsWith("\n\n")).toBe(true);
    expect(JSON.parse(event.slice("data: ".length))).toMatchObject({
      error: { type: "api_error", code: "stream_interrupted" },
    });
  });
});
