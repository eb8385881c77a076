import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type ChatCompletion,
  type Completion,
  type CompletionScorer,
  createCompletionScorer,
  type EmbeddedBackend,
  ensureTinyModel,
  OpenAIError,
} from "../src/index.js";
import { ask, createFixture, type Fixture } from "./helpers.js";

let fx: Fixture;
let backend: EmbeddedBackend;
let other: EmbeddedBackend;
let scorer: CompletionScorer;

beforeAll(async () => {
  fx = await createFixture();
  backend = await fx.backend({ parallel: 1 });
  // Same architecture, tokenizer and name, other weights: what a supplier serving the wrong model would run.
  const wrong = await ensureTinyModel(fx.dir, { seed: 2 });
  other = await fx.backend({ model: wrong.path, modelId: "decai-tiny", parallel: 1 });
  scorer = await createCompletionScorer(backend.llamaModel);
});
afterAll(async () => {
  await scorer?.close();
  await fx?.close();
});

const chat = (b: EmbeddedBackend, content: string, extra: Record<string, unknown>) =>
  b.chat(ask(content, extra)) as Promise<ChatCompletion>;
const textOf = (c: ChatCompletion) => c.choices[0]?.message.content ?? "";
const chatRequest = (content: string) => ({ endpoint: "chat.completions" as const, body: ask(content) });

describe("scoreCompletion (prefill re-check primitive)", () => {
  it("counts prompt tokens exactly as the backend bills them (chat template, text prompts)", async () => {
    const answer = await chat(backend, "How many tokens is this prompt?", { temperature: 0, max_tokens: 2 });
    expect(scorer.promptTokens(chatRequest("How many tokens is this prompt?")).length).toBe(
      answer.usage?.prompt_tokens,
    );
    const body = { model: "decai-tiny", prompt: "Once upon a time", max_tokens: 2, temperature: 0 };
    const text = (await backend.complete(body)) as Completion;
    expect(scorer.promptTokens({ endpoint: "completions", body }).length).toBe(text.usage?.prompt_tokens);
  });

  it("gives the backend's own log-probabilities for its greedy answer, all of them its top choice", async () => {
    // Pick a prompt whose greedy answer re-tokenizes to exactly the generated tokens, so positions line up.
    let checked = 0;
    for (const prompt of ["Tell me a story", "Hello there", "Write a poem", "What is 2+2?", "alpha beta"]) {
      const answer = await chat(backend, prompt, { temperature: 0, max_tokens: 24, logprobs: true });
      const text = textOf(answer);
      const generated = answer.choices[0]?.logprobs?.content ?? [];
      if (scorer.tokenize(text).length !== generated.length || answer.choices[0]?.finish_reason !== "length")
        continue;
      const score = await scorer.score(chatRequest(prompt), text);
      expect(score.tokens).toBe(generated.length);
      expect(score.top1Share).toBe(1);
      expect(score.topKShare).toBe(1);
      const mean = generated.reduce((s, t) => s + t.logprob, 0) / generated.length;
      expect(score.meanLogprob).toBeCloseTo(mean, 3);
      expect(score.minLogprob).toBeCloseTo(Math.min(...generated.map((t) => t.logprob)), 3);
      expect(score.evaluatedTokens).toBe(scorer.promptTokens(chatRequest(prompt)).length + score.tokens);
      checked++;
    }
    expect(checked).toBeGreaterThan(0);
  });

  it("scores answers of a model with other weights far below the model's own", async () => {
    for (const temperature of [0, 1]) {
      const prompt = `Describe the sea, take ${temperature}`;
      const extra = { temperature, seed: 5, max_tokens: 40 };
      const honest = await scorer.score(chatRequest(prompt), textOf(await chat(backend, prompt, extra)));
      const wrong = await scorer.score(chatRequest(prompt), textOf(await chat(other, prompt, extra)));
      expect(honest.topKShare).toBeGreaterThan(0.6);
      expect(wrong.topKShare).toBeLessThan(0.3);
      expect(wrong.meanLogprob).toBeLessThan(honest.meanLogprob - 2);
    }
  });

  it("scores ending the turn only when asked", async () => {
    const prompt = "Stop here";
    const text = textOf(await chat(backend, prompt, { temperature: 0, max_tokens: 8 }));
    const open = await scorer.score(chatRequest(prompt), text);
    expect(open.endLogprob).toBeUndefined();
    expect(open.endTopLogprob).toBeUndefined();
    const ended = await scorer.score(chatRequest(prompt), text, { ended: true });
    expect(ended.endLogprob).toBeLessThan(0);
    expect(Number.isFinite(ended.endLogprob)).toBe(true);
    // The tiny model hardly ever ends a turn: ending is far below its top choice there.
    expect(ended.endTopLogprob).toBeGreaterThan(ended.endLogprob as number);
    expect(ended.endTopLogprob).toBeLessThanOrEqual(0);
    expect(scorer.endTokens.length).toBeGreaterThan(0);
  });

  it("refuses an answer that does not fit its context with a 400", async () => {
    const long = "word ".repeat(scorer.contextSize);
    await expect(scorer.score(chatRequest("hi"), long)).rejects.toSatisfy(
      (e: unknown) => e instanceof OpenAIError && e.status === 400,
    );
  });
});
