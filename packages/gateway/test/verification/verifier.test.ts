// The Verifier end to end in memory: real tiny-model inference for the reference and the suppliers (honest ones,
// one on another model, one that cuts answers, one that over-bills, one that replays), a transport that calls them
// directly, seeded randomness.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type CheckResult,
  type Exchange,
  type Transition,
  type VerificationConfigInput,
  Verifier,
} from "../../src/index.js";
import {
  type Behaviour,
  chat,
  exchangeOf,
  inflates,
  loadModels,
  type Models,
  memoryTransport,
  replays,
  seeded,
  serves,
  service,
  truncates,
} from "./helpers.js";

let models: Models;
let honest: Behaviour;
beforeAll(async () => {
  models = await loadModels();
  honest = serves(models.honest);
});
afterAll(async () => {
  await models?.close();
});

const generous: VerificationConfigInput = { burstTokens: 1e9, maxCostFraction: 1 };

async function verifier(
  suppliers: Record<string, Behaviour>,
  config: VerificationConfigInput = {},
  withReference = true,
) {
  const { transport, sent } = memoryTransport(suppliers);
  const v = await Verifier.create({
    config: { ...generous, ...config },
    ...(withReference ? { references: { [service]: models.reference } } : {}),
    transport,
    random: seeded(7),
    sleep: async () => {},
  });
  return { v, sent };
}

const served = async (
  supplier: string,
  behaviour: Behaviour,
  body: Record<string, unknown>,
): Promise<Exchange> =>
  exchangeOf(supplier, "chat.completions", body, await behaviour("chat.completions", body));

describe("Verifier", () => {
  it("never works on the caller's tick: observe() returns at once, the usage audit runs in the background", async () => {
    const { v } = await verifier({ "0xh1": honest });
    const x = await served("0xh1", honest, chat("Hello", { temperature: 0 }));
    v.observe(x);
    expect(v.stats().checks.usage.run).toBe(0);
    await v.idle();
    expect(v.stats().checks.usage).toMatchObject({ run: 1, passed: 1, failed: 0 });
    expect(v.stats().served).toEqual({
      exchanges: 1,
      tokens: (x.usage?.inputTokens ?? 0) + (x.usage?.outputTokens ?? 0),
    });
  });

  it("re-scores a supplier's first answers (warm-up), then samples at the configured rate", async () => {
    const { v } = await verifier({ "0xh1": honest }, { prefill: { rate: 0, warmup: 2 } });
    for (let i = 0; i < 5; i++)
      v.observe(await served("0xh1", honest, chat(`Question ${i}`, { temperature: 0.7, seed: i })));
    await v.idle();
    expect(v.stats().checks.prefill).toMatchObject({ run: 2, passed: 2, failed: 0 });
    expect(v.stats().checks.prefill.tokens).toBeGreaterThan(0);
  });

  it("keeps verification within maxCostFraction of served tokens, skipping what does not fit", async () => {
    const { v } = await verifier(
      { "0xh1": honest },
      { burstTokens: 0, maxCostFraction: 0.2, prefill: { rate: 1 } },
    );
    for (let i = 0; i < 30; i++)
      v.observe(await served("0xh1", honest, chat(`Q${i}`, { temperature: 0.5, seed: i })));
    await v.idle();
    const { cost, checks } = v.stats();
    expect(cost.verificationTokens).toBeGreaterThan(0);
    expect(cost.fraction).toBeLessThanOrEqual(0.2);
    expect(checks.prefill.skipped).toBeGreaterThan(0);
    expect(cost.byCheck.prefill).toBe(checks.prefill.tokens);
  });

  it("excludes a supplier serving another model: evidence per failure, state events, weight 0", async () => {
    const { v } = await verifier({ "0xwrong": serves(models.wrong) }, { prefill: { rate: 1 } });
    const transitions: Transition[] = [];
    v.on("state", (t) => transitions.push(t));
    for (let i = 0; i < 3; i++) {
      v.observe(
        await served("0xwrong", serves(models.wrong), chat(`Prompt ${i}`, { temperature: 0.8, seed: i })),
      );
    }
    await v.idle();
    expect(transitions.map((t) => `${t.from}→${t.to}`)).toEqual(["good→probation", "probation→excluded"]);
    expect(v.weight("0xwrong", service)).toBe(0);
    expect(v.weightFor("0xwrong", "0x746f6f6c" as never)).toBe(1); // not a service id it knows
    const evidence = await v.evidence({ supplier: "0xwrong" });
    expect(evidence).toHaveLength(3);
    expect(evidence[0]).toMatchObject({
      check: "prefill",
      code: "prefill_unlikely",
      service,
      supplier: "0xwrong",
    });
    expect(evidence[0]?.exchange?.choices[0]?.text.length).toBeGreaterThan(0);
    const [row] = await v.suppliers();
    expect(row).toMatchObject({ supplier: "0xwrong", service, state: "excluded", evidence: 3 });
    expect(row?.checks.prefill).toEqual({ passed: 0, failed: 3 });
  });

  it("watchers: a challenge shaped like real traffic goes to every supplier; a cut answer and another model fail", async () => {
    const suppliers = {
      "0xh1": honest,
      "0xh2": honest,
      "0xcut": truncates(honest, models.reference),
      "0xwrong": serves(models.wrong),
    };
    const { v, sent } = await verifier(suppliers);
    const real = chat("What should I cook tonight with rice and beans?", {
      max_tokens: 24,
      temperature: 0.9,
      top_p: 0.95,
    });
    v.observe(await served("0xh1", honest, real));
    await v.idle();
    const { results, cost } = await v.runWatchers(service);
    await v.idle();
    const verdict = (s: string) => results.find((r) => r.supplier === s);
    expect(verdict("0xh1")).toMatchObject({ passed: true, check: "watcher" });
    expect(verdict("0xh2")?.passed).toBe(true);
    expect(verdict("0xcut")).toMatchObject({ passed: false, code: "truncated" });
    expect(verdict("0xwrong")).toMatchObject({ passed: false, code: "diverged" });
    expect(verdict("0xcut")?.comparedWith?.source).toBe("reference");
    // Every challenge had the real request's fields and sizes, at temperature 0 with the fixed seed.
    expect(sent.map((s) => s.supplier).sort()).toEqual(Object.keys(suppliers).sort());
    for (const { body } of sent) {
      expect(body).toMatchObject({
        max_tokens: 24,
        top_p: 0.95,
        temperature: 0,
        seed: v.config.watchers.seed,
      });
      const messages = body.messages as { content: string }[];
      expect(messages[0]?.content.length).toBe(real.messages[0]?.content.length);
    }
    expect(cost).toBeGreaterThan(results.reduce((s, r) => s + r.cost, 0)); // plus the reference's answer
    expect(v.stats().checks.watcher.tokens).toBe(cost);
    // The challenge answers were usage-audited like any other; they are not served traffic.
    expect(v.stats().checks.usage.run).toBe(5);
    expect(v.stats().served.exchanges).toBe(1);
  });

  it("close() ends a watcher round at its next pause and takes no more work", async () => {
    const { transport, sent } = memoryTransport({ "0xh1": honest, "0xh2": honest, "0xh3": honest });
    const v = await Verifier.create({
      transport,
      references: { [service]: models.reference },
      random: seeded(1),
    });
    // Real traffic 20 s apart: the round pauses that long (a real timer) between challenges.
    for (const at of [0, 20_000]) v.observe({ ...(await served("0xh1", honest, chat("Hi"))), at });
    await v.idle();
    const round = v.runWatchers(service);
    await v.close();
    await round;
    expect(sent.length).toBe(0);
    v.observe(await served("0xh1", honest, chat("Hi again")));
    expect(v.stats().served.exchanges).toBe(2);
  });

  it("watchers without a reference expect the suppliers' strict majority", async () => {
    const { v } = await verifier(
      { "0xh1": honest, "0xh2": honest, "0xh3": honest, "0xwrong": serves(models.wrong) },
      {},
      false,
    );
    v.observe(await served("0xh1", honest, chat("Hi there", { temperature: 0 })));
    const { results } = await v.runWatchers(service);
    expect(
      results
        .filter((r) => r.passed)
        .map((r) => r.supplier)
        .sort(),
    ).toEqual(["0xh1", "0xh2", "0xh3"]);
    expect(results.find((r) => r.supplier === "0xwrong")).toMatchObject({
      passed: false,
      comparedWith: { source: "majority" },
    });
  });

  it("re-execution: matching greedy answers vouch for both; a cut one fails against the reference", async () => {
    const cut = truncates(honest, models.reference);
    const { v } = await verifier({ "0xh2": honest, "0xcut": cut });
    const body = chat("Explain tides", { temperature: 0, max_tokens: 24 });
    const agree = await v.verify(await served("0xh1", honest, body), ["reexecution"]);
    expect(agree.map((r) => [r.supplier, r.passed])).toEqual([
      ["0xh1", true],
      ["0xh2", true],
    ]);
    const results = await v.verify(await served("0xcut", cut, body), ["reexecution"]);
    expect(results.find((r) => r.supplier === "0xcut")).toMatchObject({ passed: false, code: "truncated" });
    expect(results.find((r) => r.supplier === "0xh2")?.passed).toBe(true);
  });

  it("re-execution of a sampled answer compares likelihoods: another model's answer fails", async () => {
    const { v } = await verifier({ "0xh2": honest });
    const body = chat("Describe a forest", { temperature: 0.8, seed: 4, max_tokens: 32 });
    const [wrong] = await v.verify(await served("0xwrong", serves(models.wrong), body), ["reexecution"]);
    expect(wrong).toMatchObject({ supplier: "0xwrong", passed: false, code: "prefill_unlikely" });
    expect(wrong?.details.gap).toBeGreaterThan(2);
    const [fine] = await v.verify(await served("0xh1", honest, body), ["reexecution"]);
    expect(fine?.passed).toBe(true);
  });

  it("replay: a sampled answer repeated for another prompt fails; a greedy repeat is confirmed by the reference", async () => {
    const parrot = replays(honest);
    const { v } = await verifier({}, { replay: { minChars: 32 } });
    const results: CheckResult[] = [];
    v.on("check", (r) => r.check === "replay" && results.push(r));
    for (const prompt of ["first", "second"]) {
      v.observe(
        await served("0xparrot", parrot, chat(prompt, { temperature: 0.9, seed: 1, max_tokens: 48 })),
      );
    }
    await v.idle();
    expect(results.map((r) => r.passed)).toEqual([true, false]);
    // Greedy: the same text for two prompts is honest only if it is the model's own answer to both.
    const b = chat("prompt B", { temperature: 0, max_tokens: 48 });
    const own = await served("0xh1", honest, b);
    v.observe({ ...own, supplier: "0xother", request: chat("prompt A", { temperature: 0, max_tokens: 48 }) });
    v.observe(own);
    await v.idle();
    expect(results.slice(2).map((r) => [r.supplier, r.passed])).toEqual([["0xh1", true]]);
    // A prompt whose greedy answer is another text (the tiny model often converges, so look for one).
    let other: Record<string, unknown> | undefined;
    for (let i = 0; !other && i < 50; i++) {
      const body = chat(`A different question, number ${i * 7919}?`, { temperature: 0, max_tokens: 48 });
      if ((await served("0xh1", honest, body)).choices[0]?.text !== own.choices[0]?.text) other = body;
    }
    v.observe({ ...own, supplier: "0xparrot", request: other as Record<string, unknown> });
    await v.idle();
    expect(results.at(-1)).toMatchObject({ supplier: "0xparrot", passed: false, code: "replayed" });
  });

  it("over-billing fails the usage audit on every answer and excludes the supplier after two", async () => {
    const { v } = await verifier({}, { prefill: { rate: 0, warmup: 0 } });
    for (let i = 0; i < 2; i++) {
      v.observe(await served("0xbiller", inflates(honest, 2), chat(`Q${i}`, { temperature: 0 })));
    }
    await v.idle();
    expect(v.state("0xbiller", service)).toBe("excluded");
    expect((await v.evidence()).map((e) => e.code)).toEqual([
      "output_above_max_tokens",
      "output_above_max_tokens",
    ]);
  });

  it("folds in verdicts from elsewhere: SDK receipt evidence and the artifact commitment check", async () => {
    const { v } = await verifier({});
    v.receipt({
      kind: "usage_mismatch",
      message: "The receipt bills 9 + 99 tokens, but the answer reports 9 + 3.",
      supplier: "0x00000000000000000000000000000000000000aa",
      application: "0x00000000000000000000000000000000000000bb",
      serviceId: "0x74696e792d6c6c616d6100000000000000000000000000000000000000000000",
      session: 4n,
      relayHash: `0x${"11".repeat(32)}`,
      request: {} as never,
      requestSignature: "0x",
      signedBySupplier: true,
      receivedDigest: `0x${"22".repeat(32)}`,
      observedAt: 1000,
    });
    v.report({
      check: "artifact",
      supplier: "0xcc",
      service,
      passed: false,
      code: "reported_mismatch",
      reason: "The supplier's RelayMiner reported other weights.",
      details: {},
      cost: 0,
      at: 2000,
    });
    await v.idle();
    const evidence = await v.evidence();
    expect(evidence.map((e) => [e.check, e.code, e.service])).toEqual([
      ["artifact", "reported_mismatch", service],
      ["receipt", "usage_mismatch", service],
    ]);
    expect(evidence[1]?.details).toMatchObject({ signedBySupplier: true, request: {} });
    expect(v.state("0xcc", service)).toBe("excluded"); // a contradicted commitment is a sanction at once
  });
});
