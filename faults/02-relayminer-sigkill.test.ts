import { SupplierScorer } from "@decai/sdk";
import { afterAll, describe, expect, it } from "vitest";
import { closeBooks, openBooks } from "./lib/audit.js";
import { startBlockTicker } from "./lib/chain.js";
import { type FaultGateway, startFaultGateway } from "./lib/gateway.js";
import { startLoad } from "./lib/load.js";
import { type FaultNetwork, type FaultSupplier, MODEL, startFaultNetwork } from "./lib/network.js";
import { recordScenario } from "./lib/report.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** SIGKILLs a supplier's RelayMiner as soon as its backend has work in flight, and starts it again at once. */
async function crash(supplier: FaultSupplier): Promise<{ inFlight: number; at: number }> {
  const busy = () => supplier.backend.activity.json + supplier.backend.activity.streams;
  for (let i = 0; i < 1_000 && busy() === 0; i++) await sleep(10);
  const inFlight = busy();
  const at = performance.now();
  await supplier.process.kill("SIGKILL");
  await supplier.process.start(); // as a process supervisor would: same port, same data directory
  return { inFlight, at };
}

// Issue #11, scenario 2: a RelayMiner is SIGKILLed and restarted twice while it serves a session under load
// (whatever it was doing: proxying, signing, writing its tree), then once more between its claim and its proof.
describe("fault 2: a RelayMiner SIGKILLed and restarted during a session", () => {
  let world: FaultNetwork | undefined;
  let gw: FaultGateway | undefined;

  afterAll(async () => {
    await gw?.stop();
    await world?.stop();
  });

  it("loses no acknowledged relay, and its claim and proof still land and settle", async () => {
    world = await startFaultNetwork({
      suppliers: 3,
      params: {
        blocksPerSession: 200,
        suppliersPerSession: 3,
        claimWindowOpenOffsetBlocks: 2,
        claimWindowBlocks: 40,
        proofWindowBlocks: 40,
        proofRequirementThreshold: 1n, // the proof is required: a claim without it is void
      },
      // The victim (supplier 1) is the fastest, so the gateway's routing prefers it, and comes back to it after
      // each restart: every one of its lives serves a good share of the load.
      backend: (i) =>
        i === 0
          ? { latencyMs: 20, tokensPerSecond: 80, completionTokens: 16 }
          : { latencyMs: 100, tokensPerSecond: 25, completionTokens: 16 },
    });
    // Routing that forgives quickly (probes again after 1 s, errors weigh little): a supplier back from a crash
    // is back in rotation at once.
    const scorer = new SupplierScorer({ breaker: { openMs: 500, maxOpenMs: 1_000 }, errorPenalty: 0.5 });
    gw = await startFaultGateway(world, { client: { scorer } });
    const victim = world.suppliers[0] as FaultSupplier;
    const opening = await openBooks(world);
    const ticker = startBlockTicker(world.net, 500);
    const load = startLoad({
      baseUrl: gw.baseUrl,
      apiKey: gw.apiKey,
      model: MODEL,
      clients: [false, false, true, true],
      maxTokens: 32,
    });
    // Each life serves (and acknowledges) relays before the next kill.
    const served = async (since: number, count = 5) => {
      const acknowledged = () =>
        gw?.ledger.relays.filter((r) => r.supplier === victim.address && r.at > since);
      for (let i = 0; i < 200 && (acknowledged()?.length ?? 0) < count; i++) await sleep(50);
    };
    await served(0);
    const first = await crash(victim);
    await served(first.at);
    const second = await crash(victim);
    await served(second.at);
    await sleep(2_000);
    const summary = await load.stop();
    await ticker.stop();
    expect(summary.errors, JSON.stringify(summary.outcomes.filter((o) => o.result === "failed"))).toBe(0);

    // The third kill: right after its claim lands, before the proof window opens.
    let claimedBy = 0;
    const audit = await closeBooks(world, gw, opening, {
      onClaimed: async (header) => {
        if (header.supplier !== victim.address) return;
        claimedBy = victim.process.lives;
        await victim.process.kill("SIGKILL");
        await victim.process.start();
      },
    });

    // Each of the victim's lives acknowledged relays, and every one of them is in its claim.
    const mine = audit.claims.find((c) => c.header.supplier === victim.address);
    const acknowledged = gw.ledger.relays.filter((r) => r.supplier === victim.address);
    const lives = [
      acknowledged.filter((r) => r.at < first.at).length,
      acknowledged.filter((r) => r.at > first.at && r.at < second.at).length,
      acknowledged.filter((r) => r.at > second.at).length,
    ];
    expect(
      lives.every((n) => n > 0),
      `relays per life: ${lives}`,
    ).toBe(true);
    expect(mine?.check).toMatchObject({ acknowledged: acknowledged.length, lost: 0 });
    expect(claimedBy).toBe(3);
    expect(victim.process.lives).toBe(4);
    // The last life proved the claim its predecessor had made, and settled it.
    const lastLife = victim.process.logs.filter((l) => l.life === 4).map((l) => l.msg);
    expect(lastLife).toContain("proof submitted");
    expect(lastLife).toContain("settled");
    for (const { group, claim, check } of audit.claims) {
      expect(check.lost, group).toBe(0);
      expect(check.rootMatches, group).toBe(true);
      expect(claim.status, group).toBe(3); // settled, not voided
    }
    expect(audit.relaysLost).toBe(0);
    expect(audit.unexpectedClaims).toEqual([]);
    // A kill between mining a relay and sending its answer leaves a relay claimed that no client got: bounded by
    // what was in flight, and paid for exactly like the rest.
    expect(audit.unacknowledged).toBeLessThanOrEqual(first.inFlight + second.inFlight);
    const ppcu = world.net.deployment.params.paymentPerComputeUnit;
    expect(audit.settled).toBe(audit.billedComplete + audit.unacknowledgedWeight * ppcu);
    expect(audit.settled).toBe(audit.escrowSpent);
    expect(audit.fundsLost).toBe(0n);

    recordScenario({
      id: "02-relayminer-sigkill",
      scenario:
        "A RelayMiner SIGKILLed and restarted during a session (twice under load, once between claim and proof)",
      requests: summary.sent,
      errors: summary.errors,
      relaysLost: audit.relaysLost,
      fundsLost: audit.fundsLost,
      notes: `${acknowledged.length} relays acknowledged by the killed RelayMiner over its lives (${lives.join(" + ")}), all claimed, proven and settled; ${summary.cut} stream(s) cut with an error event; ${audit.unacknowledged} relay(s) answered but not delivered`,
    });
  });
});
