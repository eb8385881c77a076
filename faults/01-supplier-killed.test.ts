import { afterAll, describe, expect, it } from "vitest";
import { closeBooks, openBooks } from "./lib/audit.js";
import { startBlockTicker } from "./lib/chain.js";
import { type FaultGateway, startFaultGateway } from "./lib/gateway.js";
import { startLoad } from "./lib/load.js";
import { type FaultNetwork, type FaultSupplier, MODEL, startFaultNetwork } from "./lib/network.js";
import { recordScenario } from "./lib/report.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Waits for a supplier caught mid-request and mid-stream (a completion and a stream past its first token in its
 * backend) that has answered everything its backend finished (nothing finished in the last `quietMs`), so a kill
 * now cuts work in progress and nothing already answered. After `timeoutMs` the quiet condition is dropped.
 */
async function pickVictim(suppliers: readonly FaultSupplier[], quietMs = 250, timeoutMs = 10_000) {
  const caught = (s: FaultSupplier) => s.backend.activity.json > 0 && s.backend.activity.streaming > 0;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const late = Date.now() > deadline;
    const victim = suppliers.find((s) => caught(s) && (late || s.backend.quietForMs() > quietMs));
    if (victim) return victim;
    if (Date.now() > deadline + timeoutMs)
      throw new Error("no supplier ever had a completion and a stream in flight");
    await sleep(10);
  }
}

// Issue #11, scenario 1: a supplier's RelayMiner dies (SIGKILL) mid-request and mid-stream under steady load
// through the gateway; it comes back a few seconds later, as a process supervisor would restart it.
describe("fault 1: a supplier killed mid-stream and mid-request under load", () => {
  let world: FaultNetwork | undefined;
  let gw: FaultGateway | undefined;

  afterAll(async () => {
    await gw?.stop();
    await world?.stop();
  });

  it("retries requests elsewhere, cuts streams with an error event, and bills and claims only what was delivered", async () => {
    world = await startFaultNetwork({
      suppliers: 3,
      params: {
        blocksPerSession: 200, // the whole load in one session
        suppliersPerSession: 3,
        claimWindowOpenOffsetBlocks: 2,
        claimWindowBlocks: 40,
        proofWindowBlocks: 40,
        proofRequirementThreshold: 1n, // every claim proven: the proof path runs every time
      },
      // ~0.7 s per completion, token by token: a kill always finds work in progress.
      backend: { latencyMs: 50, tokensPerSecond: 25, completionTokens: 16 },
    });
    gw = await startFaultGateway(world);
    const opening = await openBooks(world);
    const ticker = startBlockTicker(world.net, 500);
    const load = startLoad({
      baseUrl: gw.baseUrl,
      apiKey: gw.apiKey,
      model: MODEL,
      clients: [false, false, false, true, true, true],
      maxTokens: 32,
    });

    await sleep(3_000);
    const victim = await pickVictim(world.suppliers);
    const inFlight = { ...victim.backend.activity };
    await victim.process.kill("SIGKILL");
    await sleep(4_000);
    await victim.process.start(); // same port, same data directory
    await sleep(8_000);
    const summary = await load.stop();
    await ticker.stop();

    // The client side: every completion answered, every stream ended with [DONE] or a clean error event.
    const json = summary.outcomes.filter((o) => !o.stream);
    const streams = summary.outcomes.filter((o) => o.stream);
    expect(
      summary.errors,
      JSON.stringify(summary.outcomes.filter((o) => o.result !== "ok" && o.result !== "cut")),
    ).toBe(0);
    expect(json.every((o) => o.result === "ok")).toBe(true);
    expect(streams.every((o) => o.result === "ok" || o.result === "cut")).toBe(true);
    // The kill hit work in progress: completions in flight then were retried on another supplier, and at least
    // one stream already under way was cut (with its error event).
    const retried = gw.failures.filter((f) => f.supplier.toLowerCase() === victim.address.toLowerCase());
    expect(retried.length).toBeGreaterThan(0);
    expect(retried.every((f) => f.retryable)).toBe(true);
    expect(summary.cut).toBeGreaterThan(0);
    expect(inFlight.json + inFlight.streaming).toBeGreaterThan(0);

    // Billing: each request's usage row charges what its client received.
    const rows = new Map((await gw.store.usage({ limit: 10_000 })).map((r) => [r.id, r]));
    for (const o of summary.outcomes) {
      const row = rows.get(o.requestId as string);
      expect(row, `usage row of ${o.requestId}`).toBeDefined();
      if (o.result === "ok") {
        expect(row).toMatchObject({
          outcome: "ok",
          inputTokens: o.usage?.prompt_tokens,
          outputTokens: o.usage?.completion_tokens,
        });
      } else {
        // A cut stream is billed for the tokens it delivered, and no supplier claims it.
        expect(row).toMatchObject({ outcome: "upstream_error", outputTokens: o.contentChunks });
      }
    }

    // Claims: every acknowledged relay claimed, nothing else; every claim proven and settled; no token lost.
    const audit = await closeBooks(world, gw, opening);
    expect(audit.claims.map((c) => c.header.supplier)).toContain(victim.address);
    for (const { group, claim, check } of audit.claims) {
      expect(check, group).toMatchObject({ lost: 0, unacknowledged: 0, rootMatches: true });
      expect(claim.status, group).toBe(3);
    }
    expect(audit.unexpectedClaims).toEqual([]);
    expect(audit.acknowledged).toBe(summary.ok);
    expect(audit.settled).toBe(audit.escrowSpent);
    expect(audit.billedComplete).toBe(audit.settled);
    expect(audit.fundsLost).toBe(0n);

    recordScenario({
      id: "01-supplier-killed",
      scenario: "A supplier killed mid-stream and mid-request under load (3 suppliers, 6 clients, 15 s)",
      requests: summary.sent,
      errors: summary.errors,
      relaysLost: audit.relaysLost,
      fundsLost: audit.fundsLost,
      notes: `${retried.length} attempt(s) on the killed supplier retried elsewhere; ${summary.cut} stream(s) cut mid-way, each ended by an error event`,
    });
  });
});
