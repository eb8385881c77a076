import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { DecaiDeployment } from "@decai/chain";
import type { AdminKey, AdminUsage } from "@decai/gateway";
import { createPublicClient, http, type PublicClient } from "viem";
import { afterEach, describe, expect, it } from "vitest";
import { handleApi } from "../src/server/api.js";
import { GatewayLink } from "../src/server/gatewayLink.js";
import { sendError } from "../src/server/json.js";
import { StatusWatcher } from "../src/server/statusWatcher.js";
import { percentile, summarizeUsage } from "../src/server/usageSummary.js";

const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await new Promise((r) => s.close(r));
});

/** A stand-in gateway answering `GET /v1/decai/suppliers` with `status` and `body`. */
async function fakeGateway(status: number, body: unknown): Promise<string> {
  const server = createServer((_, res) => {
    res.writeHead(status, { "content-type": "application/json" });
    res.end(JSON.stringify(body));
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** The dashboard API alone, over a chain that cannot be reached. */
async function apiOverDeadChain(gatewayUrl?: string): Promise<string> {
  const client = createPublicClient({
    transport: http("http://127.0.0.1:1", { retryCount: 0 }),
  }) as PublicClient;
  const deployment = { deployBlock: 0n, contracts: {} } as unknown as DecaiDeployment;
  const watcher = new StatusWatcher({ client, deployment }, 60_000);
  const gateway = new GatewayLink(gatewayUrl);
  const server = createServer((req, res) => {
    handleApi(req, res, new URL(req.url ?? "/", "http://x"), { watcher, gateway }).catch((e) =>
      sendError(res, e),
    );
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe("GatewayLink", () => {
  it("shows a gateway's reputation list", async () => {
    const url = await fakeGateway(200, {
      object: "list",
      data: [{ supplier: "0xabc", service: "tiny", state: "healthy", score: 0.97, checks: 12, evidence: [] }],
    });
    expect(await new GatewayLink(url).reputation()).toEqual({
      available: true,
      rows: [{ supplier: "0xabc", service: "tiny", state: "healthy", score: 0.97, checks: 12, evidence: [] }],
    });
  });

  it("says why there is none: a gateway that answers 404, one that fails, one that is down, or none", async () => {
    const missing = await new GatewayLink(await fakeGateway(404, {})).reputation();
    expect(missing).toMatchObject({ available: false, rows: [] });
    expect(missing.message).toMatch(/does not publish supplier reputation yet .*404/);
    const failing = await new GatewayLink(
      await fakeGateway(500, { error: { message: "boom" } }),
    ).reputation();
    expect(failing.message).toMatch(/failed: boom/);
    expect((await new GatewayLink("http://127.0.0.1:1").reputation()).message).toMatch(
      /Cannot reach the gateway/,
    );
    expect((await new GatewayLink(undefined).reputation()).message).toMatch(/--gateway <url>/);
  });
});

describe("dashboard API", () => {
  it("answers 503 with the chain's error while the chain cannot be read", async () => {
    const url = await apiOverDeadChain();
    const res = await fetch(`${url}/api/network`);
    expect(res.status).toBe(503);
    expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(
      /cannot read the chain/,
    );
  });

  it("rejects what it cannot serve with a message that says what to do", async () => {
    const url = await apiOverDeadChain();
    const bad = await fetch(`${url}/api/suppliers/0x12`);
    expect(bad.status).toBe(400);
    expect(await bad.text()).toMatch(/is not an address: use 0x followed by 40 hex digits/);
    const noGateway = await fetch(`${url}/api/gateway/keys`, { headers: { "x-admin-token": "t" } });
    expect(noGateway.status).toBe(400);
    expect(await noGateway.text()).toMatch(/no gateway is set/);
    expect((await fetch(`${url}/api/nope`)).status).toBe(404);
  });

  it("asks for the admin token before calling the gateway, and passes on the gateway's refusal", async () => {
    const gateway = await fakeGateway(401, { error: { message: "The admin API needs a token." } });
    const url = await apiOverDeadChain(gateway);
    const none = await fetch(`${url}/api/gateway/keys`);
    expect(none.status).toBe(401);
    expect(await none.text()).toMatch(/enter the gateway's admin token/);
    const wrong = await fetch(`${url}/api/gateway/keys`, { headers: { "x-admin-token": "wrong" } });
    expect(wrong.status).toBe(401);
    expect(await wrong.text()).toMatch(/refused the admin token/);
  });
});

describe("usage summary", () => {
  it("takes nearest-rank percentiles", () => {
    expect(percentile([], 50)).toBeNull();
    expect(percentile([40, 10, 30, 20], 50)).toBe(20);
    expect(percentile([40, 10, 30, 20], 95)).toBe(40);
    expect(percentile([5], 99)).toBe(5);
  });

  it("groups usage by key and model, with percentiles and time buckets", () => {
    const row = (keyId: string, model: string, at: number, latencyMs: number, outcome = "ok") =>
      ({
        id: `${keyId}-${at}`,
        keyId,
        model,
        requestedModel: model,
        outcome,
        cost: "100",
        inputTokens: 3,
        outputTokens: 5,
        ttftMs: latencyMs / 2,
        latencyMs,
        createdAt: new Date(at).toISOString(),
      }) as unknown as AdminUsage;
    const keys = [{ id: "k1", name: "acme", prefix: "dk_a" }] as AdminKey[];
    const summary = summarizeUsage(
      [
        row("k1", "tiny", 1_000, 10),
        row("k1", "tiny", 2_500, 30),
        row("k2", "big", 3_900, 50, "upstream_error"),
      ],
      keys,
      { since: 0, until: 4_000, buckets: 4 },
    );
    expect(summary.total).toMatchObject({
      requests: 3,
      failed: 1,
      inputTokens: 9,
      outputTokens: 15,
      cost: "300",
    });
    expect(summary.byKey).toEqual([
      expect.objectContaining({
        keyId: "k1",
        name: "acme",
        requests: 2,
        latencyP50: 10,
        latencyP95: 30,
        ttftP50: 5,
      }),
      expect.objectContaining({ keyId: "k2", name: "k2", requests: 1, failed: 1 }),
    ]);
    expect(summary.byModel.map((m) => [m.model, m.requests])).toEqual([
      ["tiny", 2],
      ["big", 1],
    ]);
    expect(summary.series.map((b) => [b.requests, b.tokens, b.cost])).toEqual([
      [0, 0, "0"],
      [1, 8, "100"],
      [1, 8, "100"],
      [1, 8, "100"],
    ]);
  });
});
