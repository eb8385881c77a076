// Scenario 5: the gateway process is SIGKILLed under load and started again on the same database (SQLite, then
// PostgreSQL). Keys, their limits and revocations, budgets and the usage log survive; every request the gateway
// acknowledged is in the usage log and charged exactly once; clients that retry (as OpenAI clients do) see no
// failure; budgets keep being enforced after the restart.
import { AdminClient, type AdminKey } from "@decai/gateway";
import { afterAll, beforeAll, describe, type ExpectStatic, expect, it } from "vitest";
import { skipPostgres, startPostgres, type TestPostgres } from "../packages/gateway/test/helpers/postgres.js";
import { chatBody, type FaultNet, freeStablePort, postChat, startFaultNet } from "./lib/hostileNet.js";
import { type GatewayProcess, startGatewayProcess, writeGatewayConfig } from "./lib/hostileProcess.js";
import { recordScenario } from "./lib/report.js";

const TOKEN = "restart-admin-token-5d1c0e3f9a7b";
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("scenario 5: gateway restarted", () => {
  let net: FaultNet;
  let pg: TestPostgres | undefined;
  const tally = { requests: 0, errors: 0, lost: 0, fundsLost: 0n, killedInFlight: 0 };
  const runs: string[] = [];
  let slowRuns = 0;
  const slow = (delta: number) => {
    slowRuns += delta;
    for (const s of net.suppliers) s.backend.knobs.delayMs = slowRuns > 0 ? 300 : 0;
  };

  beforeAll(async () => {
    net = await startFaultNet({ suppliers: 2 });
    if (!skipPostgres()) pg = await startPostgres();
  }, 120_000);

  /**
   * One client request, retried the way an OpenAI client does while the gateway is down or restarting
   * (connection refused or cut, 5xx). Resolves with the request id the gateway acknowledged, or undefined.
   */
  async function reliably(url: string, key: string, stream: boolean): Promise<string | undefined> {
    tally.requests++;
    for (let attempt = 0; attempt < 150; attempt++) {
      try {
        const res = await postChat(url, key, chatBody(stream ? { stream: true } : {}));
        const complete = !stream || res.text.includes("data: [DONE]");
        if (res.status === 200 && complete) return res.headers.get("x-request-id") ?? undefined;
        if (res.status < 500 && res.status !== 200) break; // a refusal: retrying cannot help
      } catch {
        // the gateway is down, or went down mid-answer
      }
      await sleep(100);
    }
    tally.errors++;
    return undefined;
  }

  async function restartUnderLoad(database: string, name: string, expect: ExpectStatic) {
    const port = await freeStablePort();
    const config = writeGatewayConfig(net, { port, database, name });
    const env = { DECAI_GATEWAY_KEY: net.gatewayKey, DECAI_GATEWAY_ADMIN_TOKEN: TOKEN };
    let gateway: GatewayProcess = await startGatewayProcess(config, env);
    const url = gateway.url;
    const admin = new AdminClient({ url, token: TOKEN });
    const budgeted = await admin.createKey({
      name: "budgeted",
      limits: { costBudget: "1000000000000000000000", period: "day", rpm: 10_000 },
    });
    const revoked = await admin.createKey({ name: "revoked" });
    await admin.revokeKey(revoked.id);
    // Worst case ~1.2e14 per request (every body byte an input token), actual ~2e13: refused after ~7.
    const capped = await admin.createKey({
      name: "capped",
      limits: { costBudget: "250000000000000", period: "none" },
    });
    const acked: string[] = [];
    const ack = (id: string | undefined) => id && acked.push(id);
    try {
      for (let i = 0; i < 4; i++) ack(await reliably(url, budgeted.key, i % 2 === 1));
      ack(await reliably(url, capped.key, false));
      const before = await admin.listKeys();

      // Kill it with requests in flight, start it again on the same port and database; clients keep retrying.
      // Slow answers (0.3 s) while the kill happens, so requests are in flight.
      slow(+1);
      const load = Array.from({ length: 12 }, (_, i) => reliably(url, budgeted.key, i % 3 === 0));
      let inFlight = 0;
      for (let i = 0; i < 100 && inFlight < 4; i++) {
        await sleep(20);
        const metrics = await (await fetch(`${url}/metrics`)).text();
        inFlight = Number(/^decai_gateway_requests_in_flight (\d+)/m.exec(metrics)?.[1] ?? 0);
      }
      expect(inFlight).toBeGreaterThan(0);
      tally.killedInFlight += inFlight;
      await gateway.kill();
      gateway = await startGatewayProcess(config, env);
      for (const id of await Promise.all(load)) ack(id);
      slow(-1);

      // Keys, limits, revocations and spend as they were (the spend of the killed requests aside).
      const after = await admin.listKeys();
      const strip = (keys: AdminKey[]) => keys.map(({ spend: _, ...k }) => k);
      expect(strip(after)).toEqual(strip(before));
      const spendOf = (keys: AdminKey[], id: string) => keys.find((k) => k.id === id)?.spend;
      expect(spendOf(after, capped.id)).toEqual(spendOf(before, capped.id));
      expect((await postChat(url, revoked.key)).status).toBe(401);

      // Every acknowledged request is in the usage log, and the spend is exactly the sum of the logged costs.
      const usage = [
        ...(await admin.usage({ key: budgeted.id, limit: 1000 })),
        ...(await admin.usage({ key: capped.id, limit: 1000 })),
      ];
      const logged = new Set(usage.map((u) => u.id));
      tally.lost += acked.filter((id) => !logged.has(id)).length;
      for (const key of [budgeted, capped]) {
        const spent = BigInt(spendOf(await admin.listKeys(), key.id)?.costSpent ?? "0");
        const sum = usage.filter((u) => u.keyId === key.id).reduce((s, u) => s + BigInt(u.cost), 0n);
        tally.fundsLost += spent > sum ? spent - sum : sum - spent;
      }

      // The budget still holds after the restart: the capped key is refused once spent, never overspent.
      let refused: Record<string, unknown> | undefined;
      for (let i = 0; i < 20 && !refused; i++) {
        const res = await postChat(url, capped.key);
        if (res.status === 429) refused = res.json;
        else expect(res.status).toBe(200);
      }
      expect(refused?.error).toMatchObject({ code: "budget_exceeded" });
      const cappedSpend = spendOf(await admin.listKeys(), capped.id);
      expect(BigInt(cappedSpend?.costSpent ?? "0")).toBeLessThanOrEqual(250_000_000_000_000n);
      runs.push(`${name}: ${acked.length} acknowledged, ${inFlight} in flight at the kill`);
    } finally {
      await gateway.kill();
    }
  }

  // The two stores run side by side (each gateway start compiles the TypeScript sources: seconds of CPU).
  it.concurrent("SQLite: keys, budgets and usage survive a SIGKILL under load", async ({ expect }) => {
    await restartUnderLoad(`${net.dir}/gateway.sqlite`, "sqlite", expect);
  });

  it.skipIf(skipPostgres())(
    "PostgreSQL: keys, budgets and usage survive a SIGKILL under load",
    { concurrent: true },
    async ({ expect }) => {
      await restartUnderLoad((pg as TestPostgres).url, "postgres", expect);
    },
  );

  afterAll(async () => {
    try {
      if (net) {
        recordScenario({
          id: "05-gateway-restart",
          scenario: "Gateway SIGKILLed under load and restarted (SQLite, PostgreSQL)",
          requests: tally.requests,
          errors: tally.errors,
          relaysLost: tally.lost,
          fundsLost: tally.fundsLost,
          notes: `relays lost = acknowledged requests missing from the usage log; funds lost = spend minus logged cost; ${runs.join("; ")}`,
        });
        expect(tally).toMatchObject({ errors: 0, lost: 0, fundsLost: 0n });
      }
    } finally {
      pg?.stop();
      await net?.stop();
    }
  });
});
