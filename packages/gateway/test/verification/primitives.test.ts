import { describe, expect, it } from "vitest";
import {
  CostLedger,
  choicesOf,
  compareAnswers,
  defaultVerificationConfig,
  type Exchange,
  judgeComparison,
  ReplayDetector,
  resolveVerificationConfig,
  StreamedAnswer,
  TrafficModel,
  WorkQueue,
} from "../../src/index.js";
import { seeded } from "./helpers.js";

const exchange = (
  over: Partial<Exchange> & { text: string; prompt: string; temperature?: number },
): Exchange => ({
  id: `x_${Math.random()}`,
  service: "tiny-llama",
  endpoint: "chat.completions",
  request: {
    model: "tiny-llama",
    messages: [{ role: "user", content: over.prompt }],
    ...(over.temperature !== undefined ? { temperature: over.temperature } : {}),
  },
  supplier: over.supplier ?? "0xaaa",
  stream: false,
  choices: [{ text: over.text, finishReason: "stop" }],
  usage: { inputTokens: 10, outputTokens: 10 },
  origin: "user",
  at: 1,
});

describe("compareAnswers / judgeComparison", () => {
  it("tells a match, a cut, a run-on and a divergence apart", () => {
    expect(compareAnswers("abc", "abc")).toEqual({ verdict: "match", commonPrefix: 3, agreement: 1 });
    expect(compareAnswers("abcdef", "abc")).toEqual({
      verdict: "truncated",
      commonPrefix: 3,
      agreement: 0.5,
    });
    expect(compareAnswers("abc", "abcdef").verdict).toBe("extended");
    expect(compareAnswers("abcdef", "abXdef")).toMatchObject({ verdict: "diverged", commonPrefix: 2 });
    expect(compareAnswers("", "").agreement).toBe(1);
  });

  it("always fails a cut answer, and tolerates late drift down to minAgreement", () => {
    expect(judgeComparison(compareAnswers("abcdefghij", "abcdefghi"), 0.5)).toMatchObject({
      passed: false,
      code: "truncated",
    });
    expect(judgeComparison(compareAnswers("abcdefghij", "abcdefghXY"), 0.5).passed).toBe(true);
    expect(judgeComparison(compareAnswers("abcdefghij", "abXdefghij"), 0.5)).toMatchObject({
      passed: false,
      code: "diverged",
    });
    expect(judgeComparison(compareAnswers("abcdefghij", "abcdefghXY"), 1).passed).toBe(false);
  });
});

describe("ReplayDetector", () => {
  const long = "a long answer that a sampling model would never produce twice for two questions";

  it("flags a sampled answer repeated for a different prompt, not for the same prompt", () => {
    const replay = new ReplayDetector({ minChars: 64, window: 100, minTemperature: 0.5 });
    expect(replay.check(exchange({ text: long, prompt: "first" }))).toMatchObject({ passed: true });
    expect(replay.check(exchange({ text: long, prompt: "first" }))).toMatchObject({ passed: true });
    const again = replay.check(exchange({ text: long, prompt: "second", supplier: "0xbbb" }));
    expect(again).toMatchObject({ passed: false, code: "replayed", supplier: "0xbbb" });
    expect(again?.details.confirm).toBeUndefined();
  });

  it("does not judge short answers; asks for confirmation of greedy repeats", () => {
    const replay = new ReplayDetector({ minChars: 64, window: 100, minTemperature: 0.5 });
    expect(replay.check(exchange({ text: "short", prompt: "a" }))).toBeUndefined();
    expect(replay.check(exchange({ text: "short", prompt: "b" }))).toBeUndefined();
    expect(replay.check(exchange({ text: long, prompt: "a", temperature: 0 }))).toBeUndefined();
    const greedy = replay.check(exchange({ text: long, prompt: "b", temperature: 0 }));
    expect(greedy).toMatchObject({ passed: false, code: "replayed", details: { confirm: true } });
  });

  it("forgets the oldest answers past its window", () => {
    const replay = new ReplayDetector({ minChars: 10, window: 2, minTemperature: 0.5 });
    replay.check(exchange({ text: "first answer text", prompt: "1" }));
    replay.check(exchange({ text: "second answer text", prompt: "2" }));
    replay.check(exchange({ text: "third answer text", prompt: "3" }));
    expect(replay.check(exchange({ text: "first answer text", prompt: "4" }))?.passed).toBe(true);
    expect(replay.check(exchange({ text: "third answer text", prompt: "5" }))?.passed).toBe(false);
  });
});

describe("resolveVerificationConfig", () => {
  it("lays a partial config over the defaults", () => {
    const c = resolveVerificationConfig({ prefill: { rate: 0.5 }, reputation: { severity: { usage: 5 } } });
    expect(c.prefill.rate).toBe(0.5);
    expect(c.prefill.topK).toBe(defaultVerificationConfig.prefill.topK);
    expect(c.reputation.severity.usage).toBe(5);
    expect(c.reputation.severity.prefill).toBe(defaultVerificationConfig.reputation.severity.prefill);
    expect(resolveVerificationConfig({ prefill: { minEndLogprob: -4 } }).prefill.minEndLogprob).toBe(-4);
  });

  it("keeps the default costs within 5% of served tokens", () => {
    const c = defaultVerificationConfig;
    // Re-execution: one more request, then two prefills (or a reference answer); watchers: 5 suppliers + 1.
    const fiveSuppliers = c.prefill.rate + 3 * c.reexecution.rate + c.watchers.rate * 6;
    expect(fiveSuppliers).toBeLessThanOrEqual(0.05 + 1e-9);
    expect(c.maxCostFraction).toBeLessThanOrEqual(0.05);
  });

  it("names the field at fault", () => {
    expect(() => resolveVerificationConfig({ prefill: { rate: 2 } })).toThrow(/verification\.prefill\.rate/);
    expect(() => resolveVerificationConfig({ prefill: { rate: "x" as never } })).toThrow(/must be a number/);
    expect(() => resolveVerificationConfig({ bogus: 1 } as never)).toThrow(/verification\.bogus/);
    expect(() => resolveVerificationConfig({ usage: { promptSlack: -1 } })).toThrow(/negative/);
  });
});

describe("CostLedger", () => {
  it("allows checks within the fraction of served tokens, counting reservations", () => {
    const ledger = new CostLedger({ maxFraction: 0.05, burstTokens: 0 });
    expect(ledger.reserve(1)).toBe(false);
    ledger.served(1000);
    expect(ledger.reserve(30)).toBe(true);
    expect(ledger.reserve(30)).toBe(false); // 30 held + 30 > 50
    ledger.settle(30, "prefill", 20);
    expect(ledger.reserve(30)).toBe(true); // 20 spent + 30 = 50
    expect(ledger.stats()).toMatchObject({ servedTokens: 1000, verificationTokens: 20, fraction: 0.02 });
    expect(ledger.stats().byCheck.prefill).toBe(20);
  });
});

describe("TrafficModel", () => {
  it("makes challenges shaped like real requests: fields, roles and sizes; greedy with the fixed seed", () => {
    const traffic = new TrafficModel({ window: 10 });
    const request = {
      model: "tiny-llama",
      messages: [
        { role: "system", content: "You are terse." },
        { role: "user", content: "Summarise the plot of a long novel in one line, please." },
      ],
      max_tokens: 48,
      stream: true,
      stream_options: { include_usage: true },
      temperature: 0.8,
      top_p: 0.9,
    };
    traffic.record("tiny-llama", "chat.completions", request, 1000);
    const challenge = traffic.challenge("tiny-llama", seeded(1), 77);
    expect(challenge?.endpoint).toBe("chat.completions");
    const body = challenge?.body as typeof request & { seed: number };
    expect(Object.keys(body).sort()).toEqual([...Object.keys(request), "seed"].sort());
    expect(body).toMatchObject({ max_tokens: 48, stream: true, top_p: 0.9, temperature: 0, seed: 77 });
    expect(body.messages.map((m) => m.role)).toEqual(["system", "user"]);
    expect(body.messages.map((m) => m.content.length)).toEqual(request.messages.map((m) => m.content.length));
    expect(body.messages[1]?.content).not.toBe(request.messages[1]?.content); // users' text never leaves
    expect(traffic.challenge("other", seeded(1), 77)).toBeUndefined();
  });

  it("draws pauses from the real gaps between requests", () => {
    const traffic = new TrafficModel({ window: 10 });
    for (const at of [1000, 1300, 1600, 1900]) traffic.record("s", "completions", { prompt: "x" }, at);
    const random = seeded(3);
    for (let i = 0; i < 20; i++) expect(traffic.gap("s", random)).toBe(300);
  });
});

describe("reading answers", () => {
  it("reads complete chat and text completions, and joins streamed deltas per choice", () => {
    expect(
      choicesOf({
        choices: [
          { index: 1, text: "b", finish_reason: "length" },
          { index: 0, message: { content: "a" }, finish_reason: "stop" },
        ],
      }),
    ).toEqual([
      { text: "a", finishReason: "stop" },
      { text: "b", finishReason: "length" },
    ]);
    const answer = new StreamedAnswer();
    answer.add({ choices: [{ index: 0, delta: { role: "assistant" } }] });
    answer.add({ choices: [{ index: 0, delta: { content: "Hel" } }] });
    answer.add({ choices: [{ index: 0, delta: { content: "lo" }, finish_reason: "stop" }] });
    answer.add({ choices: [], usage: { prompt_tokens: 5, completion_tokens: 2 } });
    expect(answer.choices()).toEqual([{ text: "Hello", finishReason: "stop" }]);
    expect(answer.usage).toEqual({ inputTokens: 5, outputTokens: 2 });
  });
});

describe("WorkQueue", () => {
  it("runs jobs in order off the caller's tick, refuses past maxPending, reports errors", async () => {
    const errors: unknown[] = [];
    const queue = new WorkQueue({ concurrency: 1, maxPending: 2, onError: (e) => errors.push(e) });
    const ran: number[] = [];
    expect(queue.push(async () => void ran.push(1))).toBe(true);
    expect(
      queue.push(async () => {
        throw new Error("boom");
      }),
    ).toBe(true);
    expect(queue.push(async () => void ran.push(3))).toBe(false);
    expect(ran).toEqual([]); // nothing ran on the caller's tick
    await queue.idle();
    expect(ran).toEqual([1]);
    expect(queue.dropped).toBe(1);
    expect((errors[0] as Error).message).toBe("boom");
  });
});
