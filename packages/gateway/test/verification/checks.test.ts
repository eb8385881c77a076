// The usage audit and the prefill re-check against real llama.cpp inference on the tiny models, and the
// calibration procedure with the false-positive rate it reaches on honest answers.
import type { CompletionScore } from "@decai/llm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  auditUsage,
  calibratePrefill,
  defaultVerificationConfig,
  type Exchange,
  failureRate,
  prefillCheck,
} from "../../src/index.js";
import {
  type Behaviour,
  chat,
  exchangeOf,
  inflates,
  loadModels,
  type Models,
  serves,
  truncates,
} from "./helpers.js";

let models: Models;
beforeAll(async () => {
  models = await loadModels();
});
afterAll(async () => {
  await models?.close();
});

const config = defaultVerificationConfig;
const ask = async (
  behaviour: Behaviour,
  body: Record<string, unknown>,
  endpoint = "chat.completions" as const,
) => exchangeOf("0xsupplier", endpoint, body, await behaviour(endpoint, body));

/** A varied honest workload: prompts, temperatures from greedy to hot, short and long limits. */
function workload(count: number, offset = 0): Record<string, unknown>[] {
  const temps = [0, 0.3, 0.7, 1, 1.3];
  return Array.from({ length: count }, (_, i) =>
    chat(`Question ${i + offset}: tell me about topic ${(i * 37 + offset) % 101}`, {
      temperature: temps[i % temps.length],
      seed: i + offset,
      max_tokens: [16, 32, 48][i % 3],
    }),
  );
}

describe("usage audit", () => {
  it("passes honest answers: chat and text completions, greedy and sampled, stopped and cut at max_tokens", async () => {
    const honest = serves(models.honest);
    const results = [];
    for (const body of workload(20))
      results.push(auditUsage(await ask(honest, body), models.reference, config.usage));
    const text = {
      model: "tiny-llama",
      prompt: "Once upon a time",
      max_tokens: 24,
      temperature: 0.8,
      seed: 3,
    };
    results.push(auditUsage(await ask(honest, text, "completions" as never), models.reference, config.usage));
    expect(results.every((r) => r?.passed)).toBe(true);
    expect(results[0]?.details).toMatchObject({
      promptTokens: expect.any(Number),
      completionTokens: expect.any(Number),
    });
  });

  it("catches billing above the recount, above max_tokens, inflated prompts and a false length stop", async () => {
    const honest = serves(models.honest);
    // The tiny model rarely stops by itself: bill a cut-at-the-limit answer as if max_tokens were higher.
    const body = chat("Count the stars", { temperature: 0, max_tokens: 32 });
    const fair = await ask(honest, body);
    const billed = (x: Exchange, input: number, output: number): Exchange => ({
      ...x,
      usage: { inputTokens: input, outputTokens: output },
    });
    const { inputTokens, outputTokens } = fair.usage as { inputTokens: number; outputTokens: number };
    const loose = { ...fair, request: { ...body, max_tokens: 500 } };
    expect(
      auditUsage(billed(loose, inputTokens, outputTokens * 2), models.reference, config.usage),
    ).toMatchObject({
      passed: false,
      code: "completion_above_count",
    });
    expect(auditUsage(billed(fair, inputTokens, 40), models.reference, config.usage)).toMatchObject({
      passed: false,
      code: "output_above_max_tokens",
    });
    expect(
      auditUsage(billed(fair, inputTokens + 20, outputTokens), models.reference, config.usage),
    ).toMatchObject({
      passed: false,
      code: "prompt_above_count",
    });
    const short = { ...fair, choices: [{ text: "abc", finishReason: "length" }] };
    expect(auditUsage(billed(short, inputTokens, 3), models.reference, config.usage)).toMatchObject({
      passed: false,
      code: "length_before_max_tokens",
    });
  });

  it("catches a supplier that bills 1.5× the completion tokens of answers that end before their limit", async () => {
    const cheat = inflates(serves(models.honest), 1.5);
    const body = chat("Say a lot", { temperature: 0, max_tokens: 48 });
    const x = await ask(cheat, body);
    // As if the answer had ended on its own before a higher limit (the tiny model rarely stops by itself).
    const ended = { ...x, request: { ...body, max_tokens: 200 } };
    expect(auditUsage(ended, models.reference, config.usage)?.code).toBe("completion_above_count");
    expect(auditUsage(x, models.reference, config.usage)?.code).toBe("output_above_max_tokens");
  });
});

describe("prefill re-check", () => {
  it("passes honest answers and fails another model's, at every temperature", async () => {
    for (const body of workload(10, 100)) {
      const honest = await prefillCheck(
        await ask(serves(models.honest), body),
        models.reference,
        config.prefill,
      );
      const wrong = await prefillCheck(
        await ask(serves(models.wrong), body),
        models.reference,
        config.prefill,
      );
      expect(honest?.passed).toBe(true);
      expect(wrong).toMatchObject({ passed: false, code: "prefill_unlikely", cost: expect.any(Number) });
      expect(wrong?.cost).toBeGreaterThan(0);
    }
  });

  it("fails a greedy answer that claims to stop where the model goes on (cut short)", async () => {
    const body = chat("Tell me a long story", { temperature: 0, max_tokens: 40 });
    const cut = await prefillCheck(
      await ask(truncates(serves(models.honest), models.reference), body),
      models.reference,
      config.prefill,
    );
    expect(cut).toMatchObject({ passed: false, code: "stopped_early" });
    const whole = await prefillCheck(
      await ask(serves(models.honest), body),
      models.reference,
      config.prefill,
    );
    expect(whole?.passed).toBe(true);
  });

  it("does not judge what it cannot: too hot, too short, constrained", async () => {
    const x = await ask(serves(models.honest), chat("hi", { temperature: 0.7, max_tokens: 4 }));
    expect(await prefillCheck(x, models.reference, config.prefill)).toBeUndefined();
    const hot = { ...x, request: { ...x.request, temperature: 1.8 } };
    expect(await prefillCheck(hot, models.reference, config.prefill)).toBeUndefined();
    const biased = { ...x, request: { ...x.request, logit_bias: { "50": 100 } } };
    expect(await prefillCheck(biased, models.reference, config.prefill)).toBeUndefined();
  });
});

describe("calibration", () => {
  it("sets thresholds from honest answers; reports the false-positive rate on held-out honest answers", async () => {
    const score = async (behaviour: Behaviour, body: Record<string, unknown>): Promise<CompletionScore> => {
      const x = await ask(behaviour, body);
      return models.reference.score("chat.completions", x.request, x.choices[0]?.text ?? "");
    };
    const honest: CompletionScore[] = [];
    for (const body of workload(60, 1000)) honest.push(await score(serves(models.honest), body));
    const wrong: CompletionScore[] = [];
    for (const body of workload(20, 2000)) wrong.push(await score(serves(models.wrong), body));
    const thresholds = calibratePrefill(honest.slice(0, 30));
    const heldOut = honest.slice(30);
    const rates = {
      thresholds,
      falsePositiveHeldOut: failureRate(heldOut, thresholds),
      falsePositiveDefaults: failureRate(honest, config.prefill),
      detectionCalibrated: failureRate(wrong, thresholds),
      detectionDefaults: failureRate(wrong, config.prefill),
    };
    console.log("prefill calibration on the tiny model:", JSON.stringify(rates));
    expect(rates.falsePositiveHeldOut).toBeLessThanOrEqual(0.05);
    expect(rates.falsePositiveDefaults).toBe(0);
    expect(rates.detectionCalibrated).toBe(1);
    expect(rates.detectionDefaults).toBe(1);
    // The defaults sit between the honest and the wrong model's scores, with room on both sides.
    const lowestHonest = Math.min(...honest.filter((s) => s.tokens >= 8).map((s) => s.topKShare));
    const highestWrong = Math.max(...wrong.map((s) => s.topKShare));
    expect(lowestHonest).toBeGreaterThan(config.prefill.minTopKShare);
    expect(highestWrong).toBeLessThan(config.prefill.minTopKShare);
  });
});
