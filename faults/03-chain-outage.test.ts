import { relayMiningAbi, sessionClockAbi } from "@decai/chain";
import { afterAll, describe, expect, it } from "vitest";
import { closeBooks, openBooks } from "./lib/audit.js";
import { headBlock, startBlockTicker } from "./lib/chain.js";
import { type FaultGateway, startFaultGateway } from "./lib/gateway.js";
import { startLoad } from "./lib/load.js";
import { type FaultNetwork, MODEL, startFaultNetwork } from "./lib/network.js";
import type { TcpProxy } from "./lib/proxy.js";
import { recordScenario } from "./lib/report.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// Issue #11, scenario 3: the chain RPC that the RelayMiners and the gateway use goes away (connections refused)
// for longer than a session, while the chain itself moves on; then it comes back inside the claim window.
describe("fault 3: the chain RPC unreachable for longer than a session", () => {
  let world: FaultNetwork | undefined;
  let gw: FaultGateway | undefined;

  afterAll(async () => {
    await gw?.stop();
    await world?.stop();
  });

  it("keeps serving the cached session, and lands the queued claims when the chain is back", async () => {
    world = await startFaultNetwork({
      suppliers: 3,
      rpcProxy: true, // RelayMiners and the gateway reach the chain through it; the test mines around it
      params: {
        blocksPerSession: 10,
        suppliersPerSession: 3,
        claimWindowOpenOffsetBlocks: 2,
        claimWindowBlocks: 40, // wide enough to outlast the outage
        proofWindowBlocks: 30,
        proofRequirementThreshold: 1n,
      },
      backend: { latencyMs: 20, tokensPerSecond: 50, completionTokens: 12 },
    });
    gw = await startFaultGateway(world);
    const { net } = world;
    const proxy = world.proxy as TcpProxy;
    const read = <T>(address: `0x${string}`, abi: unknown, functionName: string, args: unknown[]) =>
      net.publicClient.readContract({ address, abi, functionName, args } as never) as Promise<T>;
    const opening = await openBooks(world);
    const ticker = startBlockTicker(net, 300);
    const load = startLoad({
      baseUrl: gw.baseUrl,
      apiKey: gw.apiKey,
      model: MODEL,
      clients: [false, false, true, true],
      maxTokens: 32,
    });
    await sleep(3_000);

    // The RPC goes away mid-session S (the previous session's grace over, every cache on S); the chain runs on
    // through S + 1 into S + 2.
    const startOf = async (s: bigint) =>
      BigInt(await read<bigint>(net.contracts.sessionClock, sessionClockAbi, "sessionStartBlock", [s]));
    let session = await net.actions.currentSession();
    if ((await headBlock(net)) > (await startOf(session)) + 5n) session++;
    while ((await headBlock(net)) < (await startOf(session)) + 6n) await sleep(50);
    const [claimOpen, claimClose] = await read<[bigint, bigint]>(
      net.contracts.relayMining,
      relayMiningAbi,
      "claimWindow",
      [session],
    );
    const laterStart = await startOf(session + 2n);
    const cutBlock = await headBlock(net);
    const cutAt = performance.now();
    await proxy.disconnect();
    while ((await headBlock(net)) < laterStart + 2n) await sleep(100);
    const backBlock = await headBlock(net);
    const outageMs = performance.now() - cutAt;
    await proxy.reconnect();
    const backAt = performance.now();
    await sleep(4_000); // and after the outage: a rollover to the chain's session
    const summary = await load.stop();
    await ticker.stop();

    // Serving went on through the outage, on the cached session S, and on after it.
    expect(summary.errors, JSON.stringify(summary.outcomes.filter((o) => o.result !== "ok"))).toBe(0);
    const during = summary.outcomes.filter((o) => o.startedAt > cutAt && o.endedAt < backAt);
    expect(during.length).toBeGreaterThan(0);
    expect(during.every((o) => o.result === "ok")).toBe(true);
    const servedDuring = gw.ledger.relays.filter((r) => r.at > cutAt && r.at < backAt);
    expect(servedDuring.length).toBeGreaterThan(0);
    expect(servedDuring.every((r) => r.session === session)).toBe(true);
    expect(gw.ledger.relays.some((r) => r.session > session + 1n)).toBe(true);

    // Each RelayMiner said once what it does and what waits for the chain, and when the chain came back.
    const inSession = new Set(
      gw.ledger.relays.filter((r) => r.session === session).map((r) => r.supplier.toLowerCase()),
    );
    expect(inSession.size).toBeGreaterThan(0);
    for (const supplier of world.suppliers) {
      const lines = supplier.process.logs;
      const serving = lines.filter(
        (l) => l.msg === "chain RPC unreachable: serving relays from the cached chain state until it answers",
      );
      expect(serving, supplier.address).toHaveLength(1);
      expect(serving[0]?.session).toBe(String(session));
      const waiting = lines.filter(
        (l) => l.msg === "chain RPC unreachable: claims, proofs and settlements wait until it answers",
      );
      expect(waiting, supplier.address).toHaveLength(1);
      if (inSession.has(supplier.address.toLowerCase())) {
        const what = (waiting[0]?.waitingFor ?? []) as string[];
        expect(what.some((w) => w.startsWith(`claim of session ${session} `))).toBe(true);
      }
      expect(lines.filter((l) => l.msg === "chain RPC reachable again").length).toBeGreaterThanOrEqual(2);
    }

    // The claims of S waited for the chain (their window opened during the outage) and landed after it.
    expect(claimOpen).toBeLessThan(backBlock);
    const audit = await closeBooks(world, gw, opening);
    const submitted = await net.publicClient.getContractEvents({
      address: net.contracts.relayMining,
      abi: relayMiningAbi,
      eventName: "ClaimSubmitted",
      fromBlock: net.deployment.deployBlock,
    });
    const claimsOfS = submitted.filter((e) => (e.args as { session: bigint }).session === session);
    expect(claimsOfS.length).toBe(inSession.size);
    for (const e of claimsOfS) {
      expect(e.blockNumber).toBeGreaterThan(backBlock);
      expect(e.blockNumber).toBeLessThan(claimClose);
    }
    for (const { group, claim, check } of audit.claims) {
      expect(check, group).toMatchObject({ lost: 0, unacknowledged: 0, rootMatches: true });
      expect(claim.status, group).toBe(3);
    }
    expect(audit.unexpectedClaims).toEqual([]);
    expect(audit.settled).toBe(audit.escrowSpent);
    expect(audit.billedComplete).toBe(audit.settled);
    expect(audit.fundsLost).toBe(0n);

    recordScenario({
      id: "03-chain-outage",
      scenario: "The chain RPC unreachable for longer than a session (RelayMiners and gateway)",
      requests: summary.sent,
      errors: summary.errors,
      relaysLost: audit.relaysLost,
      fundsLost: audit.fundsLost,
      notes: `outage of ${(outageMs / 1000).toFixed(1)} s while the chain moved ${backBlock - cutBlock} blocks (sessions of 10); ${during.length} requests served during it from the cached session; ${claimsOfS.length} queued claims landed after it`,
    });
  });
});
