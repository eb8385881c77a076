// Hostile input: slowloris. Clients that trickle their headers or their body one byte at a time are cut off by the
// gateway and the RelayMiner (a JSON 408, then the connection closes) instead of holding connections forever, and
// honest clients are served meanwhile. Timeouts bound receiving a request, never sending an answer: a stream
// that lasts longer than them is delivered whole.
import { createKey, type Gateway, SqliteStore } from "@decai/gateway";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startControlledBackend } from "../lib/hostileBackends.js";
import { openAiErrorProblem, type RawResponse, rawRequest } from "../lib/hostileHttp.js";
import { chatBody, type FaultNet, postChat, startFaultNet } from "../lib/hostileNet.js";
import { signRelay } from "../lib/hostileRelays.js";
import { recordScenario } from "../lib/report.js";

const timeouts = { headersTimeoutMs: 1_000, requestTimeoutMs: 2_000 };

describe("hostile input: slow clients (slowloris)", () => {
  let net: FaultNet;
  let store: SqliteStore;
  let gateway: Gateway;
  let apiKey: string;
  const tally = { requests: 0, problems: [] as string[] };

  beforeAll(async () => {
    // Streams of 12 tokens at 4 per second: about 3 s, longer than the request timeout.
    net = await startFaultNet({
      suppliers: 1,
      minerTimeouts: timeouts,
      backend: () => startControlledBackend({ completionTokens: 12, tokensPerSecond: 4 }),
    });
    store = SqliteStore.open(":memory:");
    apiKey = (await createKey(store, { name: "slow" })).key;
    gateway = await net.startGateway(store, { timeouts });
  }, 120_000);

  const portOf = (url: string) => Number(new URL(url).port);
  /** The request in one-byte pieces, one every 150 ms (it would take seconds past the timeouts to finish). */
  const trickle = (text: string) => [...text].map((c) => Buffer.from(c));

  function expectCut(label: string, res: RawResponse) {
    tally.requests++;
    // Cut by the server: a clean JSON 408, or (headers never done) a close; never left hanging.
    if (res.timedOut) {
      tally.problems.push(`${label}: still open after 20 s`);
      return;
    }
    if (res.status === 0 && res.raw === "") return; // closed without a word: still not held open
    const problem = openAiErrorProblem(res);
    if (problem || res.status !== 408)
      tally.problems.push(`${label}: ${res.status} ${problem} ${res.raw.slice(0, 200)}`);
  }

  it("cuts clients that trickle headers or bodies, and serves honest clients meanwhile", async () => {
    const supplier = net.suppliers[0] as FaultNet["suppliers"][number];
    const relay = signRelay(net, { supplier: supplier.address });
    const relayHead = `POST ${relay.path} HTTP/1.1\r\nhost: m\r\n${Object.entries(relay.headers)
      .map(([k, v]) => `${k}: ${v}\r\n`)
      .join("")}content-length: ${relay.body.length}\r\n\r\n`;
    const gatewayHead = `POST /v1/chat/completions HTTP/1.1\r\nhost: g\r\nauthorization: Bearer ${apiKey}\r\ncontent-type: application/json\r\ncontent-length: 200\r\n\r\n`;
    const attacks = [
      // Headers that never end.
      ...Array.from({ length: 10 }, () => ({
        label: "gateway slow headers",
        port: portOf(gateway.url),
        parts: trickle(
          "POST /v1/chat/completions HTTP/1.1\r\nhost: g\r\nx-slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        ),
      })),
      ...Array.from({ length: 10 }, () => ({
        label: "relayminer slow headers",
        port: supplier.port,
        parts: trickle(
          "POST /v1/chat/completions HTTP/1.1\r\nhost: m\r\nx-slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        ),
      })),
      // Whole headers, then a body one byte at a time.
      ...Array.from({ length: 5 }, () => ({
        label: "gateway slow body",
        port: portOf(gateway.url),
        parts: [gatewayHead, ...trickle(JSON.stringify(chatBody()).padEnd(200, " "))],
      })),
      ...Array.from({ length: 5 }, () => ({
        label: "relayminer slow body",
        port: supplier.port,
        parts: [relayHead, ...trickle(relay.body)],
      })),
    ];
    const cut = Promise.all(
      attacks.map(async (a) =>
        expectCut(a.label, await rawRequest(a.port, a.parts, { pauseMs: 150, timeoutMs: 20_000 })),
      ),
    );
    // Honest clients are served while the attack holds its connections.
    const honest = await Promise.all(Array.from({ length: 4 }, () => postChat(gateway.url, apiKey)));
    expect(honest.map((r) => r.status)).toEqual([200, 200, 200, 200]);
    await cut;
    expect(tally.problems).toEqual([]);
  });

  it("does not cut a streamed answer that lasts longer than the request timeouts", async () => {
    tally.requests++;
    const res = await postChat(gateway.url, apiKey, chatBody({ stream: true, max_tokens: 12 }));
    expect(res.status).toBe(200);
    expect(res.text).toContain("data: [DONE]");
    const tokens = res.text.split("\n\n").filter((e) => e.includes('"content"'));
    expect(tokens.length).toBeGreaterThanOrEqual(12);
  });

  afterAll(async () => {
    try {
      if (net) {
        recordScenario({
          id: "hostile-3-slow-clients",
          scenario: "Hostile input: slowloris headers and bodies (gateway, RelayMiner)",
          requests: tally.requests,
          errors: tally.problems.length,
          relaysLost: 0,
          fundsLost: 0,
          notes:
            "errors = slow connections not cut with a JSON 408 (or a close); honest clients served meanwhile",
        });
      }
    } finally {
      await gateway?.stop();
      store?.close();
      await net?.stop();
    }
  });
});
