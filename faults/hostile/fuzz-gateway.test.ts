// Hostile input against the gateway process: every endpoint (public API, admin API, metrics, health) fuzzed with
// malformed JSON, wrong types, huge and deeply nested bodies, bad headers and malformed HTTP. Every refusal is an
// OpenAI-style JSON error (never a 500), the process stays up, its memory stays bounded; CORS and body limits hold.
import { AdminClient } from "@decai/gateway";
import fc from "fast-check";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { openAiErrorProblem, type RawResponse, rawRequest, rssOf } from "../lib/hostileHttp.js";
import { type FaultNet, freeStablePort, startFaultNet } from "../lib/hostileNet.js";
import { type GatewayProcess, startGatewayProcess, writeGatewayConfig } from "../lib/hostileProcess.js";
import { recordScenario } from "../lib/report.js";

const ADMIN = "fuzz-admin-token-8f2a61c4d9e0";

const routes: [method: string, path: string][] = [
  ["POST", "/v1/chat/completions"],
  ["POST", "/v1/completions"],
  ["POST", "/v1/embeddings"],
  ["GET", "/v1/models"],
  ["GET", "/v1/models/tiny-llama"],
  ["GET", "/v1/models/%E0%A4%A"],
  ["POST", "/admin/keys"],
  ["GET", "/admin/keys"],
  ["GET", "/admin/keys/%E0%A4%A"],
  ["PATCH", "/admin/keys/key_0000000000000000"],
  ["DELETE", "/admin/keys/key_0000000000000000"],
  ["GET", "/admin/usage?limit=abc&since=yesterday"],
  ["POST", "/v1/files"],
  ["GET", "/v1/files"],
  ["GET", "/v1/files/file-0000"],
  ["GET", "/v1/files/file-0000/content"],
  ["DELETE", "/v1/files/%E0%A4%A"],
  ["POST", "/v1/batches"],
  ["GET", "/v1/batches?limit=-1&after=%00"],
  ["GET", "/v1/batches/batch_0000"],
  ["POST", "/v1/batches/batch_0000/cancel"],
  ["GET", "/v1/decai/suppliers"],
  ["GET", "/v1/decai/evidence?limit=abc&before=x"],
  ["GET", "/metrics"],
  ["GET", "/health"],
  ["GET", "/nope/../../etc/passwd"],
];

describe("hostile input: the gateway's HTTP surface", () => {
  let net: FaultNet;
  let gateway: GatewayProcess;
  let port: number;
  let apiKey: string;
  const tally = { requests: 0, problems: [] as string[] };

  beforeAll(async () => {
    net = await startFaultNet({ suppliers: 1 });
    port = await freeStablePort();
    const config = writeGatewayConfig(net, {
      port,
      database: `${net.dir}/fuzz.sqlite`,
      name: "fuzz-gateway",
    });
    gateway = await startGatewayProcess(config, {
      DECAI_GATEWAY_KEY: net.gatewayKey,
      DECAI_GATEWAY_ADMIN_TOKEN: ADMIN,
    });
    apiKey = (await new AdminClient({ url: gateway.url, token: ADMIN }).createKey({ name: "fuzz" })).key;
  }, 120_000);

  /** Sends raw bytes and checks the answer: any status is fine for a well-formed request, but an error must be clean. */
  async function check(label: string, request: string | Buffer | (string | Buffer)[], expectStatus?: number) {
    tally.requests++;
    const res: RawResponse = await rawRequest(port, request);
    const problem =
      res.status === 0
        ? "no answer"
        : res.status >= 400
          ? (openAiErrorProblem(res) ?? (res.status === 500 ? "500 internal error" : undefined))
          : expectStatus && expectStatus >= 400
            ? `status ${res.status}`
            : undefined;
    if (expectStatus !== undefined && res.status !== expectStatus && !problem)
      tally.problems.push(`${label}: expected ${expectStatus}, got ${res.status} ${res.body.slice(0, 200)}`);
    if (problem) tally.problems.push(`${label}: ${problem} (${res.status} ${res.body.slice(0, 200)})`);
    return res;
  }

  const http = (method: string, path: string, headers: Record<string, string>, body = "") =>
    `${method} ${path} HTTP/1.1\r\nhost: gateway\r\nconnection: close\r\n${Object.entries(headers)
      .map(([k, v]) => `${k}: ${v}\r\n`)
      .join("")}content-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;

  let seen = 0;
  beforeEach(() => {
    seen = tally.problems.length;
  });

  it("answers random bodies, types and headers on every endpoint with clean JSON errors", async () => {
    const auth = fc.constantFrom<Record<string, string>>(
      {},
      { authorization: `Bearer ${apiKey}` },
      { authorization: `Bearer ${ADMIN}` },
      { authorization: "Bearer dk_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" },
      { authorization: "Basic YWRtaW46YWRtaW4=" },
      { authorization: `Bearer ${"x".repeat(8000)}` },
      { authorization: "Bearer" },
    );
    const wrongTyped = fc
      .record(
        {
          model: fc.oneof(fc.constant("tiny-llama"), fc.jsonValue()),
          models: fc.jsonValue(),
          messages: fc.oneof(fc.constant([{ role: "user", content: "hi" }]), fc.jsonValue()),
          prompt: fc.jsonValue(),
          input: fc.jsonValue(),
          max_tokens: fc.oneof(fc.integer({ min: -5, max: 5 }), fc.jsonValue(), fc.constant(1e308)),
          stream: fc.jsonValue(),
          n: fc.jsonValue(),
          temperature: fc.jsonValue(),
          provider: fc.jsonValue(),
          name: fc.jsonValue(),
          limits: fc.jsonValue(),
        },
        { requiredKeys: [] },
      )
      .map((o) => JSON.stringify(o));
    const body = fc.oneof(
      fc.string({ maxLength: 200 }),
      fc.jsonValue().map((v) => JSON.stringify(v)),
      wrongTyped,
      fc.constantFrom(
        '{"model": "tiny-llama", "messages": [',
        "{".repeat(5000),
        '{"a":"\\ud800"}',
        "null",
        "[]",
      ),
    );
    const contentType = fc.constantFrom(
      "application/json",
      "text/plain",
      "application/json; charset=latin1",
      "multipart/form-data; boundary=x",
    );
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...routes),
        auth,
        contentType,
        body,
        async ([method, path], a, ct, b) => {
          await check(`${method} ${path}`, http(method, path, { ...a, "content-type": ct }, b));
        },
      ),
      { numRuns: 250, seed: 20261125 },
    );
    expect(tally.problems.slice(seen)).toEqual([]);
  });

  it("refuses huge, deeply nested and malformed requests cleanly, and CORS is set on the public API only", async () => {
    const chat = "/v1/chat/completions";
    const key = { authorization: `Bearer ${apiKey}`, "content-type": "application/json" };
    const deep = `{"model":"tiny-llama","messages":[{"role":"user","content":${"[".repeat(100_000)}${"]".repeat(100_000)}}]}`;
    await check("deep nesting", http("POST", chat, key, deep), 400);
    const deepKey = `{"name":"x","limits":${"[".repeat(1000)}${"]".repeat(1000)}}`; // admin bodies stop at 64 KiB
    await check(
      "admin deep nesting",
      http("POST", "/admin/keys", { authorization: `Bearer ${ADMIN}` }, deepKey),
      400,
    );
    // Declared too large: refused before a byte of the body is read.
    await check(
      "declared 50 MB",
      `POST ${chat} HTTP/1.1\r\nhost: g\r\nconnection: close\r\nauthorization: Bearer ${apiKey}\r\ncontent-length: 52428800\r\n\r\n{`,
      413,
    );
    // Chunked, no length: cut once it passes 1 MiB; the rest is never buffered.
    const chunk = Buffer.alloc(1 << 20, 0x20);
    const chunked = [
      `POST ${chat} HTTP/1.1\r\nhost: g\r\nconnection: close\r\nauthorization: Bearer ${apiKey}\r\ntransfer-encoding: chunked\r\n\r\n`,
      ...Array.from({ length: 8 }, () =>
        Buffer.concat([Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from("\r\n")]),
      ),
      "0\r\n\r\n",
    ];
    await check("chunked 8 MiB", chunked, 413);
    await check("not HTTP", "HELLO THERE\r\n\r\n", 400);
    await check(
      "header overflow",
      `GET /health HTTP/1.1\r\nhost: g\r\nx-big: ${"a".repeat(20_000)}\r\n\r\n`,
      431,
    );
    await check("bad header", "GET /health HTTP/1.1\r\nhost: g\r\nbad header: x\r\n\r\n", 400);
    await check(
      "bad chunk",
      `POST ${chat} HTTP/1.1\r\nhost: g\r\ntransfer-encoding: chunked\r\n\r\nZZ\r\n`,
      400,
    );
    await check("admin without token", http("GET", "/admin/keys", {}), 401);
    await check(
      "admin with an API key",
      http("GET", "/admin/keys", { authorization: `Bearer ${apiKey}` }),
      401,
    );

    const preflight = await check(
      "preflight",
      http("OPTIONS", chat, {
        origin: "https://app.example",
        "access-control-request-method": "POST",
        "access-control-request-headers": "authorization, content-type, x-stainless-os",
      }),
      204,
    );
    expect(preflight.headers["access-control-allow-origin"]).toBe("*");
    expect(preflight.headers["access-control-allow-headers"]).toContain("authorization");
    const refused = await check(
      "cors error",
      http("POST", chat, { origin: "https://app.example" }, "{}"),
      401,
    );
    expect(refused.headers["access-control-allow-origin"]).toBe("*");
    expect(refused.headers["access-control-expose-headers"]).toContain("x-request-id");
    const admin = await rawRequest(port, http("OPTIONS", "/admin/keys", { origin: "https://evil.example" }));
    expect(admin.headers["access-control-allow-origin"]).toBeUndefined();
    expect(tally.problems.slice(seen)).toEqual([]);
  });

  it("stays up with bounded memory after a flood of huge bodies", async () => {
    const pid = gateway.child.pid as number;
    const before = await rssOf(pid);
    const chunk = Buffer.alloc(1 << 20, 0x61);
    // 40 × 16 MiB offered: if the gateway buffered them, it would grow by 640 MiB.
    for (let round = 0; round < 4; round++) {
      await Promise.all(
        Array.from({ length: 10 }, () =>
          rawRequest(port, [
            `POST /v1/chat/completions HTTP/1.1\r\nhost: g\r\nconnection: close\r\nauthorization: Bearer ${apiKey}\r\ntransfer-encoding: chunked\r\n\r\n`,
            ...Array.from({ length: 16 }, () =>
              Buffer.concat([Buffer.from("100000\r\n"), chunk, Buffer.from("\r\n")]),
            ),
          ]).then((res) => {
            tally.requests++;
            // A 413, or (for a client that keeps sending after it) a reset: the kernel drops the answer when the
            // gateway closes with the rest of the body unread. Never anything else.
            const problem = res.status === 0 ? undefined : openAiErrorProblem(res);
            if (problem || (res.status !== 0 && res.status !== 413))
              tally.problems.push(`flood: ${res.status} ${problem}`);
          }),
        ),
      );
    }
    const after = await rssOf(pid);
    expect(gateway.child.exitCode).toBeNull();
    expect((await fetch(`${gateway.url}/health`)).status).toBe(200);
    expect(after - before).toBeLessThan(128 * 1024 * 1024);
    expect(tally.problems.slice(seen)).toEqual([]);
  });

  afterAll(async () => {
    try {
      if (net) {
        recordScenario({
          id: "hostile-1-fuzz-gateway",
          scenario: "Hostile input: fuzzing every gateway endpoint (API, admin, metrics, health)",
          requests: tally.requests,
          errors: tally.problems.length,
          relaysLost: 0,
          fundsLost: 0,
          notes:
            "errors = answers that were not a clean OpenAI-style JSON error (or a 500); process up, memory bounded",
        });
      }
    } finally {
      await gateway?.kill();
      await net?.stop();
    }
  });
});
