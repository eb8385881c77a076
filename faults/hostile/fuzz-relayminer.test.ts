// Hostile input against a RelayMiner process: relay headers that are garbage, truncated or signed over other
// bodies; bodies that are not JSON, wrongly typed, deeply nested or huge; malformed HTTP. Every refusal is an
// OpenAI-style JSON error (never a 500), nothing refused is mined, the process stays up with bounded memory.
import { relayRequestHeaderName, relayResponseEventName, relayResponseHeaderName } from "@decai/core";
import fc from "fast-check";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { openAiErrorProblem, rawRequest, rssOf } from "../lib/hostileHttp.js";
import { type FaultNet, freeStablePort, metricSum, startFaultNet } from "../lib/hostileNet.js";
import { type ServiceProcess, startRelayMinerProcess } from "../lib/hostileProcess.js";
import { signRelay, signRelayOver } from "../lib/hostileRelays.js";
import { recordScenario } from "../lib/report.js";

describe("hostile input: the RelayMiner's HTTP surface", () => {
  let net: FaultNet;
  let miner: ServiceProcess;
  let port: number;
  const tally = { requests: 0, served: 0, problems: [] as string[] };
  let seen = 0;
  beforeEach(() => {
    seen = tally.problems.length;
  });

  beforeAll(async () => {
    net = await startFaultNet({ suppliers: 1 });
    port = await freeStablePort();
    miner = await startRelayMinerProcess(net, 0, port);
  }, 120_000);

  const supplier = () => (net.suppliers[0] as FaultNet["suppliers"][number]).address;
  const http = (
    method: string,
    path: string,
    headers: Record<string, string>,
    body: string | Buffer = "",
  ) => [
    `${method} ${path} HTTP/1.1\r\nhost: miner\r\nconnection: close\r\n${Object.entries(headers)
      .map(([k, v]) => `${k}: ${v}\r\n`)
      .join("")}content-length: ${Buffer.byteLength(body)}\r\n\r\n`,
    body,
  ];

  async function check(label: string, request: (string | Buffer)[] | string, expectStatus?: number) {
    tally.requests++;
    const res = await rawRequest(port, request);
    // A served relay carries the supplier's signed receipt (a header, or the stream's last event).
    if (
      res.status === 200 &&
      (res.headers[relayResponseHeaderName.toLowerCase()] || res.body.includes(relayResponseEventName))
    )
      tally.served++;
    const problem =
      res.status === 0
        ? "no answer"
        : res.status >= 400
          ? (openAiErrorProblem(res) ?? (res.status === 500 ? "500 internal error" : undefined))
          : undefined;
    if (problem) tally.problems.push(`${label}: ${problem} (${res.status} ${res.body.slice(0, 200)})`);
    else if (expectStatus !== undefined && res.status !== expectStatus)
      tally.problems.push(`${label}: expected ${expectStatus}, got ${res.status} ${res.body.slice(0, 200)}`);
    return res;
  }

  it("answers random relay headers, bodies and paths with clean JSON errors", async () => {
    const paths = fc.constantFrom(
      "/v1/chat/completions",
      "/v1/completions",
      "/v1/embeddings",
      "/metrics",
      "/health",
      "/decai/info",
      "/admin/pause",
      "/admin/resume",
      "/v1/chat/completions?x=%E0%A4%A",
      "/../../etc/passwd",
    );
    const method = fc.constantFrom("POST", "GET", "PUT", "DELETE", "OPTIONS");
    const body = fc.oneof(
      fc.string({ maxLength: 200 }),
      fc.jsonValue().map((v) => JSON.stringify(v)),
      fc
        .record(
          {
            model: fc.jsonValue(),
            messages: fc.oneof(fc.constant([{ role: "user", content: "hi" }]), fc.jsonValue()),
            max_tokens: fc.oneof(fc.integer({ min: -3, max: 3 }), fc.jsonValue()),
            stream: fc.jsonValue(),
          },
          { requiredKeys: [] },
        )
        .map((o) => JSON.stringify(o)),
    );
    // A header that is garbage, a real one truncated, or a real one signed over a different body.
    const header = fc.oneof(
      fc.string({ maxLength: 300 }),
      fc.base64String({ maxLength: 400 }),
      fc.nat({ max: 200 }).map((cut) => {
        const relay = signRelay(net, { supplier: supplier() });
        return (relay.headers[relayRequestHeaderName] as string).slice(0, cut);
      }),
      fc
        .constant("")
        .map(() => signRelay(net, { supplier: supplier() }).headers[relayRequestHeaderName] as string),
    );
    await fc.assert(
      fc.asyncProperty(paths, method, header, body, async (path, m, h, b) => {
        await check(
          `${m} ${path}`,
          http(m, path, { [relayRequestHeaderName]: h, "content-type": "application/json" }, b),
        );
      }),
      { numRuns: 250, seed: 20261126 },
    );
    // Correctly signed relays whose signed body is itself hostile: refused by the RelayMiner or its backend.
    await fc.assert(
      fc.asyncProperty(body, async (b) => {
        const relay = signRelayOver(net, supplier(), b);
        await check("signed hostile body", http("POST", relay.path, relay.headers, b));
      }),
      { numRuns: 80, seed: 20261127 },
    );
    expect(tally.problems.slice(seen)).toEqual([]);
  });

  it("refuses huge, deeply nested and malformed requests cleanly", async () => {
    const deep = `{"model":"tiny-llama","messages":[{"role":"user","content":${"[".repeat(50_000)}${"]".repeat(50_000)}}]}`;
    const deepRelay = signRelayOver(net, supplier(), deep);
    await check("deep nesting", http("POST", "/v1/chat/completions", deepRelay.headers, deep), 400);
    const big = Buffer.alloc(4 << 20, 0x20);
    const bigRelay = signRelayOver(net, supplier(), big);
    await check("4 MiB body", http("POST", "/v1/chat/completions", bigRelay.headers, big), 413);
    await check("no relay header", http("POST", "/v1/chat/completions", {}, "{}"), 401);
    await check("two relay headers", [
      `POST /v1/chat/completions HTTP/1.1\r\nhost: m\r\nconnection: close\r\n${relayRequestHeaderName}: a\r\n${relayRequestHeaderName}: b\r\ncontent-length: 2\r\n\r\n{}`,
    ]);
    // A well-formed relay among them is served (and mined): the refusals are not a RelayMiner that refuses all.
    const good = signRelay(net, { supplier: supplier() });
    await check("well-formed relay", http("POST", good.path, good.headers, good.body), 200);
    await check("not HTTP", "\u0000\u0001\u0002 garbage\r\n\r\n", 400);
    await check(
      "header overflow",
      `GET /health HTTP/1.1\r\nhost: m\r\nx: ${"b".repeat(20_000)}\r\n\r\n`,
      431,
    );
    expect(tally.problems.slice(seen)).toEqual([]);
  });

  it("stays up with bounded memory after a flood of huge bodies, and mined only what it served", async () => {
    const pid = miner.child.pid as number;
    const before = await rssOf(pid);
    const chunk = Buffer.alloc(1 << 20, 0x61);
    for (let round = 0; round < 4; round++) {
      await Promise.all(
        Array.from({ length: 10 }, () => {
          const relay = signRelay(net, { supplier: supplier() });
          return rawRequest(port, [
            `POST /v1/chat/completions HTTP/1.1\r\nhost: m\r\n${relayRequestHeaderName}: ${relay.headers[relayRequestHeaderName]}\r\ntransfer-encoding: chunked\r\n\r\n`,
            ...Array.from({ length: 16 }, () =>
              Buffer.concat([Buffer.from("100000\r\n"), chunk, Buffer.from("\r\n")]),
            ),
          ]).then((res) => {
            tally.requests++;
            const problem = res.status === 0 ? undefined : openAiErrorProblem(res);
            if (problem || (res.status !== 0 && res.status !== 413))
              tally.problems.push(`flood: ${res.status} ${problem}`);
          });
        }),
      );
    }
    const after = await rssOf(pid);
    expect(miner.child.exitCode).toBeNull();
    expect((await fetch(`${miner.url}/health`)).status).toBe(200);
    expect(after - before).toBeLessThan(128 * 1024 * 1024);
    // Every relay in its trees is one it answered with 200.
    const metrics = await (await fetch(`${miner.url}/metrics`)).text();
    expect(metricSum(metrics, "decai_relays_mined_total")).toBe(tally.served);
    expect(tally.problems.slice(seen)).toEqual([]);
  });

  afterAll(async () => {
    try {
      if (net) {
        recordScenario({
          id: "hostile-2-fuzz-relayminer",
          scenario: "Hostile input: fuzzing the RelayMiner (relay headers, bodies, HTTP)",
          requests: tally.requests,
          errors: tally.problems.length,
          relaysLost: 0,
          fundsLost: 0,
          notes: `errors = answers that were not a clean OpenAI-style JSON error (or a 500); well-formed relays served = relays mined (${tally.served})`,
        });
      }
    } finally {
      await miner?.kill();
      await net?.stop();
    }
  });
});
