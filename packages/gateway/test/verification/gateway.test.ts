// Verification inside a real gateway (HTTP upstream to the fake OpenAI server): answers pass untouched and are
// never delayed, complete exchanges are observed, the public report and the operator's evidence are served, the
// CLI exports evidence, metrics count checks.
import { afterEach, describe, expect, it } from "vitest";
import {
  type CheckResult,
  type Reference,
  runEvidenceCommand,
  type VerificationConfigInput,
  Verifier,
} from "../../src/index.js";
import { adminToken, startTestGateway, type TestGateway } from "../helpers/gateway.js";

/** The body of a `{ object: "list", data }` answer. */
const listOf = async (res: Response) =>
  (await res.json()) as { object: string; data: Array<Record<string, unknown> & { supplier: string }> };

/** The fake server's "tokenizer": it answers "t0 t1 …", one token per piece, and reports 7 prompt tokens. */
function fakeReference(overrides: Partial<Reference> = {}): Reference {
  return {
    promptTokens: () => 7,
    completionTokens: (text) => text.split(" ").filter(Boolean).length,
    score: async () => {
      throw new Error("not used");
    },
    generate: async () => {
      throw new Error("not used");
    },
    ...overrides,
  };
}

let t: TestGateway | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

async function start(reference: Reference, config: VerificationConfigInput = {}, fake = {}) {
  const verifier = await Verifier.create({
    references: { "tiny-llama": reference },
    config: { prefill: { rate: 0, warmup: 0 }, ...config },
  });
  t = await startTestGateway({ fake, gateway: { verification: verifier } });
  const checks: CheckResult[] = [];
  verifier.on("check", (c) => checks.push(c));
  return { t, verifier, checks };
}

const ask = { model: "tiny-llama", messages: [{ role: "user" as const, content: "Hi" }], max_tokens: 4 };

describe("verification in the gateway", () => {
  it("observes whole and streamed answers after they complete, passing them on untouched", async () => {
    const { t, verifier, checks } = await start(fakeReference());
    const whole = await t.client.chat.completions.create(ask);
    expect(whole.choices[0]?.message.content).toBe("t0 t1 t2 t3 ");
    const stream = await t.client.chat.completions.create({ ...ask, stream: true });
    let text = "";
    for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? "";
    expect(text).toBe("t0 t1 t2 t3 ");
    await t.gateway.idle();
    await verifier.idle();
    expect(checks.map((c) => [c.check, c.passed, c.exchange?.stream])).toEqual([
      ["usage", true, false],
      ["usage", true, true],
    ]);
    const streamed = checks[1]?.exchange;
    expect(streamed).toMatchObject({
      supplier: "fake-supplier",
      service: "tiny-llama",
      origin: "user",
      choices: [{ text: "t0 t1 t2 t3 ", finishReason: "stop" }],
      usage: { inputTokens: 7, outputTokens: 4 },
    });
    // The gateway asks the upstream for the usage chunk of a stream: the verifier saw the request it forwarded.
    expect(streamed?.request).toMatchObject({ stream: true, stream_options: { include_usage: true } });
    expect(verifier.stats().served).toEqual({ exchanges: 2, tokens: 22 });
  });

  it("never delays or fails an answer: a check that hangs or throws stays in the background", async () => {
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const hanging = fakeReference({
      score: async () => {
        await gate;
        throw new Error("the scorer broke");
      },
      promptTokens: () => {
        throw new Error("the tokenizer broke");
      },
    });
    const { t, verifier } = await start(hanging, { prefill: { rate: 1 }, burstTokens: 1e9 });
    for (let i = 0; i < 3; i++) {
      const answer = await t.client.chat.completions.create(ask);
      expect(answer.choices[0]?.message.content).toBe("t0 t1 t2 t3 ");
    }
    expect(verifier.stats().queue.running + verifier.stats().queue.pending).toBeGreaterThan(0);
    release();
    await verifier.idle();
    expect(verifier.stats().checks.prefill).toMatchObject({ run: 0, skipped: 3 });
  });

  it("does not observe a stream the client abandoned", async () => {
    const { t, verifier, checks } = await start(fakeReference(), {}, { outputTokens: 50, chunkDelayMs: 20 });
    const stream = await t.client.chat.completions.create({ ...ask, max_tokens: 50, stream: true });
    for await (const _chunk of stream) break; // leaves after the first chunk
    // Wait (on state, not time) until the gateway has cut the upstream stream.
    for (let i = 0; i < 500 && t.fake.abortedStreams === 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(t.fake.abortedStreams).toBe(1);
    await t.gateway.idle();
    await verifier.idle();
    expect(checks).toEqual([]);
    expect(verifier.stats().served.exchanges).toBe(0);
  });

  it("publishes standings to anyone and evidence to the operator; the CLI exports it as JSON lines", async () => {
    // The supplier bills 50 prompt tokens where the tokenizer counts 7.
    const { t, verifier } = await start(fakeReference(), {}, { promptTokens: 50 });
    await t.client.chat.completions.create(ask);
    await t.client.chat.completions.create(ask);
    await verifier.idle();
    const report = await listOf(await fetch(`${t.gateway.url}/v1/decai/suppliers`));
    expect(report.object).toBe("list");
    expect(report.data).toEqual([
      {
        supplier: "fake-supplier",
        service: "tiny-llama",
        state: "excluded",
        score: 0.2,
        checks: {
          usage: { passed: 0, failed: 2 },
          prefill: { passed: 0, failed: 0 },
          watcher: { passed: 0, failed: 0 },
          reexecution: { passed: 0, failed: 0 },
          replay: { passed: 0, failed: 0 },
          receipt: { passed: 0, failed: 0 },
          artifact: { passed: 0, failed: 0 },
        },
        evidence: 2,
      },
    ]);
    const none = await listOf(await fetch(`${t.gateway.url}/v1/decai/suppliers?supplier=0xnobody`));
    expect(none.data).toEqual([]);

    const url = `${t.gateway.url}/v1/decai/evidence?supplier=fake-supplier`;
    expect((await fetch(url)).status).toBe(401);
    expect(
      (await fetch(`${url}&limit=0`, { headers: { authorization: `Bearer ${adminToken}` } })).status,
    ).toBe(400);
    const evidence = await listOf(await fetch(url, { headers: { authorization: `Bearer ${adminToken}` } }));
    expect(evidence.data).toHaveLength(2);
    expect(evidence.data[0]).toMatchObject({
      check: "usage",
      code: "prompt_above_count",
      supplier: "fake-supplier",
    });

    const out: string[] = [];
    const err: string[] = [];
    const io = { out: (s: string) => out.push(s), err: (s: string) => err.push(s) };
    const env = { DECAI_GATEWAY_URL: t.gateway.url, DECAI_GATEWAY_ADMIN_TOKEN: adminToken };
    expect(await runEvidenceCommand(["--json"], { ...io, env })).toBe(0);
    expect(out.map((line) => JSON.parse(line))).toEqual(evidence.data);
    out.length = 0;
    expect(await runEvidenceCommand(["--supplier", "fake-supplier", "--limit", "1"], { ...io, env })).toBe(0);
    expect(out).toHaveLength(1);
    expect(out[0]).toContain("fake-supplier tiny-llama usage/prompt_above_count");
    expect(await runEvidenceCommand([], { ...io, env: { DECAI_GATEWAY_URL: t.gateway.url } })).toBe(2);
    expect(await runEvidenceCommand([], { ...io, env: { ...env, DECAI_GATEWAY_ADMIN_TOKEN: "wrong" } })).toBe(
      1,
    );
    expect(err.at(-1)).toContain("DECAI_GATEWAY_ADMIN_TOKEN");

    const metrics = await (await fetch(`${t.gateway.url}/metrics`)).text();
    expect(metrics).toContain('decai_gateway_verification_checks_total{check="usage",outcome="failed"} 2');
    expect(metrics).toContain(
      'decai_gateway_supplier_reputation_state{supplier="fake-supplier",service="tiny-llama"} 2',
    );
  });

  it("serves empty lists without a verifier", async () => {
    t = await startTestGateway();
    const report = await listOf(await fetch(`${t.gateway.url}/v1/decai/suppliers`));
    expect(report).toEqual({ object: "list", data: [] });
    const evidence = await fetch(`${t.gateway.url}/v1/decai/evidence`, {
      headers: { authorization: `Bearer ${adminToken}` },
    });
    expect(await evidence.json()).toEqual({ object: "list", data: [] });
    expect((await fetch(`${t.gateway.url}/v1/decai/suppliers`, { method: "POST" })).status).toBe(405);
  });
});
