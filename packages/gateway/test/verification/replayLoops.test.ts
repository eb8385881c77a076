// Replay detection must not take a sampled degenerate loop for a cache: small models (and large ones at low
// temperature) fall into "7777…" from different prompts. Found by the adversarial e2e test: an honest streamed
// answer at temperature 0.5, "|J" + 30 × "7", matched another supplier's earlier answer to another prompt, and
// sampled repeats are judged without asking the reference.
import { describe, expect, it } from "vitest";
import { ReplayDetector } from "../../src/index.js";
import { chat, exchangeOf } from "./helpers.js";

const answer = (text: string, prompt: string, supplier = "0xaaa", temperature = 0.5) =>
  exchangeOf(supplier, "chat.completions", chat(prompt, { temperature }), {
    choices: [{ message: { role: "assistant", content: text }, finish_reason: "length" }],
    usage: { prompt_tokens: 5, completion_tokens: 32, total_tokens: 37 },
  });

describe("ReplayDetector and degenerate loops", () => {
  it("neither compares nor remembers a sampled answer that is one piece repeated", () => {
    const replay = new ReplayDetector({ minChars: 24, window: 100, minTemperature: 0.5 });
    const loop = `|J${"7".repeat(30)}`;
    expect(replay.check(answer(loop, "Write a poem about Rome", "0xtruncating"))).toBeUndefined();
    expect(replay.check(answer(loop, "Explain black holes", "0xhonest"))).toBeUndefined();
    const words = "the the the the the the the the the the the the the the";
    expect(replay.check(answer(words, "a"))).toBeUndefined();
    expect(replay.check(answer(words, "b"))).toBeUndefined();
  });

  it("still asks for confirmation of a greedy loop repeated for another prompt", () => {
    // Greedy repeats are settled by the reference's own answer (honest ones pass there), loops included.
    const replay = new ReplayDetector({ minChars: 24, window: 100, minTemperature: 0.5 });
    const loop = `x+P[JW| ofQJ${"7".repeat(30)}`;
    expect(replay.check(answer(loop, "first", "0xaaa", 0))).toBeUndefined();
    expect(replay.check(answer(loop, "second", "0xbbb", 0))).toMatchObject({
      passed: false,
      details: { confirm: true },
    });
  });

  it("still flags a varied sampled answer of the same length served for another prompt", () => {
    const replay = new ReplayDetector({ minChars: 24, window: 100, minTemperature: 0.5 });
    const babble = "x+W|+xWs[P[J ther[+[JW|JW|J|enP";
    expect(replay.check(answer(babble, "first"))).toMatchObject({ passed: true });
    expect(replay.check(answer(babble, "second", "0xbbb"))).toMatchObject({
      passed: false,
      code: "replayed",
      supplier: "0xbbb",
    });
  });
});
