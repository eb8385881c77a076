// Scenario 7: model backends that answer garbage (an HTML page, truncated JSON, non-JSON events, streams without
// their end). The client gets a clean OpenAI-style error (502 when every supplier is broken, a success from
// another supplier when one is left, an SSE error event when a stream breaks after its first event), and no
// RelayMiner signs or mines a relay it did not fully serve.
import { createKey, type Gateway, SqliteStore } from "@decai/gateway";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type BackendMode, startControlledBackend } from "./lib/hostileBackends.js";
import { chatBody, type FaultNet, postChat, startFaultNet } from "./lib/hostileNet.js";
import { recordScenario } from "./lib/report.js";

type Outcome = "ok" | "clean_error" | "stream_error_event" | "unclean";

describe("scenario 7: backend returning garbage", () => {
  let net: FaultNet;
  let store: SqliteStore;
  let apiKey: string;
  let keyId: string;
  const tally = { requests: 0, ok: 0, cleanErrors: 0, streamErrorEvents: 0, unclean: 0 };

  beforeAll(async () => {
    net = await startFaultNet({
      suppliers: 3,
      backend: () => startControlledBackend({ completionTokens: 6 }),
    });
    store = SqliteStore.open(":memory:");
    const created = await createKey(store, { name: "garbage" });
    apiKey = created.key;
    keyId = created.record.id;
  }, 120_000);

  /** Sends one request and classifies what the client saw. */
  async function send(gateway: Gateway, stream: boolean): Promise<Outcome> {
    tally.requests++;
    const res = await postChat(gateway.url, apiKey, chatBody(stream ? { stream: true } : {}));
    let outcome: Outcome = "unclean";
    if (!stream || res.status !== 200) {
      const error = res.json.error as { code?: string; type?: string; message?: string } | undefined;
      if (res.status === 200 && Array.isArray(res.json.choices)) outcome = "ok";
      else if (res.status >= 500 && error?.message && error.type && error.code) outcome = "clean_error";
    } else {
      const events = res.text.split("\n\n").filter((e) => e.startsWith("data: "));
      const last = events.at(-1) ?? "";
      if (last === "data: [DONE]") {
        // Every event before [DONE] must be JSON: garbage never reaches the client as content.
        const parsed = events.slice(0, -1).every((e) => {
          try {
            JSON.parse(e.slice(6));
            return true;
          } catch {
            return false;
          }
        });
        if (parsed) outcome = "ok";
      } else if (/"code":"(upstream_error|stream_interrupted)"/.test(last)) outcome = "stream_error_event";
    }
    if (outcome === "ok") tally.ok++;
    else if (outcome === "clean_error") tally.cleanErrors++;
    else if (outcome === "stream_error_event") tally.streamErrorEvents++;
    else tally.unclean++;
    return outcome;
  }

  const setModes = (modes: BackendMode[]) =>
    net.suppliers.forEach((s, i) => {
      s.backend.knobs.mode = modes[i] ?? "ok";
      s.backend.knobs.calls = 0;
    });
  const minedBy = (i: number) =>
    Number(
      /decai_relays_mined_total\{[^}]*\} (\d+)/.exec(
        (net.suppliers[i] as FaultNet["suppliers"][number]).running.miner.metrics.registry.render(),
      )?.[1] ?? 0,
    );

  const jsonModes: BackendMode[] = ["not-json", "truncated-json"];
  const streamModes: BackendMode[] = ["sse-garbage", "sse-partial", "sse-torn"];

  it("one broken supplier of three: requests are served by the others, the broken one mines nothing", async () => {
    for (const mode of [...jsonModes, ...streamModes]) {
      const stream = mode.startsWith("sse");
      setModes([mode]);
      // A fresh gateway per mode: a new scorer, so the broken supplier is tried again (its breaker is closed).
      const gateway = await net.startGateway(store);
      const outcomes: Outcome[] = [];
      for (let i = 0; i < 12 && (net.suppliers[0]?.backend.knobs.calls ?? 0) < 2; i++) {
        outcomes.push(await send(gateway, stream));
      }
      await gateway.stop();
      expect(net.suppliers[0]?.backend.knobs.calls, mode).toBeGreaterThanOrEqual(1);
      expect(outcomes.includes("unclean"), `${mode}: ${outcomes}`).toBe(false);
      // Garbage before the first event is retried elsewhere; only a stream that broke after it can fail.
      if (mode !== "sse-partial" && mode !== "sse-torn")
        expect(
          outcomes.every((o) => o === "ok"),
          mode,
        ).toBe(true);
      expect(minedBy(0), mode).toBe(0);
    }
  });

  it("every supplier broken: a clean 502 (or an SSE error event), nothing mined anywhere", async () => {
    const before = net.mined();
    for (const mode of [...jsonModes, ...streamModes]) {
      const stream = mode.startsWith("sse");
      setModes([mode, mode, mode]);
      const gateway = await net.startGateway(store);
      const res = await postChat(gateway.url, apiKey, chatBody(stream ? { stream: true } : {}));
      tally.requests++;
      if (mode === "sse-partial" || mode === "sse-torn") {
        // Its first event went out before the break: the stream ends with an error event, never [DONE].
        expect(res.status, mode).toBe(200);
        expect(res.text, mode).not.toContain("[DONE]");
        expect(res.text, mode).toMatch(
          /data: \{"error":\{[^\n]*"code":"(upstream_error|stream_interrupted)"/,
        );
        tally.streamErrorEvents++;
      } else {
        expect(res.status, mode).toBe(502);
        expect(res.json.error, mode).toMatchObject({ type: "server_error", code: "upstream_error" });
        tally.cleanErrors++;
      }
      await gateway.stop();
    }
    expect(net.mined()).toBe(before);
    // The RelayMiners refused with a clean 502 of their own, and counted the broken backends.
    expect(net.rejected("backend_error")).toBeGreaterThanOrEqual(9);
  });

  afterAll(async () => {
    if (!net) return;
    try {
      // Every success was mined by a healthy supplier, nothing else was. An error answer costs nothing (a stream cut
      // after its first events is billed for what it delivered, like any cut stream).
      const usage = await store.usage({ keyId, limit: 1000 });
      const charged = usage.filter((u) => u.status >= 400 && u.cost > 0n);
      const spend = await store.spend(keyId, Date.now());
      const mined = net.mined();
      recordScenario({
        id: "07-backend-garbage",
        scenario: "Backend returning garbage / non-JSON / partial SSE",
        requests: tally.requests,
        errors: tally.unclean + charged.length,
        relaysLost: Math.abs(tally.ok - mined),
        fundsLost: spend.costSpent - usage.reduce((sum, u) => sum + u.cost, 0n),
        notes: `errors = answers neither a success nor a clean OpenAI-style error; ${tally.cleanErrors} clean 5xx and ${tally.streamErrorEvents} streams ended by an error event by design; relays mined = successes`,
      });
      expect(tally.unclean).toBe(0);
      expect(charged).toEqual([]);
      expect(mined).toBe(tally.ok);
    } finally {
      await net.stop();
      store.close();
    }
  });
});
