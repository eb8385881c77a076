import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type AdversarialBackend,
  createWrongModelBackend,
  inflatingUsage,
  replaying,
  truncating,
} from "../src/adversarial/index.js";
import type {
  ChatCompletion,
  ChatCompletionChunk,
  Completion,
  CompletionChunk,
  EmbeddedBackend,
} from "../src/index.js";
import { ask, askStream, createFixture, type Fixture } from "./helpers.js";

// Each adversarial backend wraps the real tiny model (llama.cpp) and cheats in one way. Greedy decoding throughout,
// so an honest answer is a fixed reference to compare with.
let fx: Fixture;
let honest: EmbeddedBackend;
let honestDigest: `0x${string}`;

beforeAll(async () => {
  fx = await createFixture();
  honest = await fx.backend({ parallel: 2 });
  honestDigest = await honest.weightsDigest();
});
afterAll(async () => {
  await fx?.close();
});

const greedy = { temperature: 0, max_tokens: 24 };
const chat = (b: { chat: EmbeddedBackend["chat"] }, content: string, extra: Record<string, unknown> = {}) =>
  b.chat(ask(content, { ...greedy, ...extra })) as Promise<ChatCompletion>;
const text = (c: ChatCompletion) => c.choices[0]?.message.content ?? "";
const tokens = (s: string) => (s === "" ? 0 : honest.llamaModel.tokenize(s, false).length);

async function collect<T>(stream: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const chunk of stream) out.push(chunk);
  return out;
}
const streamed = async (b: AdversarialBackend | EmbeddedBackend, content: string, extra = {}) =>
  collect((await b.chat(askStream(content, { ...greedy, ...extra }))) as AsyncIterable<ChatCompletionChunk>);
const joined = (chunks: ChatCompletionChunk[]) =>
  chunks.map((c) => c.choices[0]?.delta.content ?? "").join("");
const contentChunks = (chunks: ChatCompletionChunk[]) =>
  chunks.filter((c) => (c.choices[0]?.delta.content ?? "") !== "").length;

describe("wrongModel", () => {
  let liar: Awaited<ReturnType<typeof createWrongModelBackend>>;
  beforeAll(async () => {
    liar = await createWrongModelBackend({
      claimedDigest: honestDigest,
      llama: fx.llama,
      modelsDir: fx.dir,
      parallel: 1,
    });
  });
  afterAll(async () => {
    await liar?.close();
  });

  it("serves another model file under the same name while claiming the honest digest", async () => {
    expect(liar.actualDigest).not.toBe(honestDigest);
    expect(await liar.weightsDigest()).toBe(honestDigest);
    expect((await liar.models()).map((m) => m.id)).toEqual(["decai-tiny"]);
    const prompts = ["Tell me a story", "What is the capital of France?", "Count to ten"];
    for (const prompt of prompts) {
      const [mine, theirs] = await Promise.all([chat(liar, prompt), chat(honest, prompt)]);
      expect(mine.model).toBe(theirs.model);
      // The label says honest weights; the text says otherwise.
      expect(mine.system_fingerprint).toBe(theirs.system_fingerprint);
      expect(text(mine)).not.toBe(text(theirs));
    }
    expect(liar.counts()).toEqual({ served: 3, tampered: 3 });
  });

  it("lies in streams too", async () => {
    const chunks = await streamed(liar, "Tell me a story");
    expect(new Set(chunks.map((c) => c.system_fingerprint))).toEqual(
      new Set([`fp_${honestDigest.slice(2, 14)}`]),
    );
    expect(joined(chunks)).toBe(text(await chat(liar, "Tell me a story")));
    expect(joined(chunks)).not.toBe(text(await chat(honest, "Tell me a story")));
  });
});

describe("truncating", () => {
  it("returns about half of the honest answer, claims 'stop', and bills what it returned", async () => {
    const cutter = truncating(honest);
    const [full, cut] = await Promise.all([chat(honest, "Tell me a story"), chat(cutter, "Tell me a story")]);
    expect(full.choices[0]?.finish_reason).toBe("length");
    expect(full.usage.completion_tokens).toBe(24);
    const kept = text(cut);
    expect(text(full).startsWith(kept)).toBe(true);
    expect(kept.length).toBeGreaterThan(0);
    expect(kept.length).toBeLessThan(text(full).length);
    expect(tokens(kept)).toBeLessThanOrEqual(Math.ceil(tokens(text(full)) / 2));
    expect(cut.choices[0]?.finish_reason).toBe("stop");
    expect(cut.usage).toEqual({
      prompt_tokens: full.usage.prompt_tokens,
      completion_tokens: tokens(kept) + 1, // as an honest stop counts its end-of-turn token
      total_tokens: full.usage.prompt_tokens + tokens(kept) + 1,
    });
    expect(cutter.counts()).toEqual({ served: 1, tampered: 1 });
  });

  it("can bill the whole generation it threw away", async () => {
    const cut = await chat(truncating(honest, { usage: "original", keep: 0.25 }), "Tell me a story");
    expect(cut.usage.completion_tokens).toBe(24);
    expect(tokens(text(cut))).toBeLessThanOrEqual(8);
  });

  it("streams the cut answer one token per chunk, ending with 'stop' and the consistent usage", async () => {
    const cutter = truncating(honest);
    const whole = await chat(cutter, "Count to ten");
    const chunks = await streamed(cutter, "Count to ten", { stream_options: { include_usage: true } });
    expect(joined(chunks)).toBe(text(whole));
    expect(contentChunks(chunks)).toBe(tokens(text(whole)));
    expect(chunks.at(-2)?.choices[0]?.finish_reason).toBe("stop");
    expect(chunks.at(-1)?.usage).toEqual(whole.usage);
  });

  it("cuts text completions as well", async () => {
    const request = { model: "decai-tiny", prompt: "Once upon a time", ...greedy };
    const full = (await honest.complete(request)) as Completion;
    const cut = (await truncating(honest).complete(request)) as Completion;
    const kept = cut.choices[0]?.text ?? "";
    expect(full.choices[0]?.text.startsWith(kept)).toBe(true);
    expect(kept.length).toBeLessThan(full.choices[0]?.text.length ?? 0);
    expect(cut.choices[0]?.finish_reason).toBe("stop");
  });
});

describe("inflatingUsage", () => {
  // The tiny model babbles up to max_tokens; a stop sequence taken from its own answer ends it early, which leaves
  // room between what it produced and max_tokens (an inflating supplier never bills above max_tokens).
  const early = async (prompt: string) => {
    const full = text(await chat(honest, prompt));
    return { stop: [full.charAt(Math.floor(full.length / 2))] };
  };

  it("bills ceil(n × 1.5) completion tokens for the honest text", async () => {
    const biller = inflatingUsage(honest);
    const stop = await early("Tell me a story");
    const [real, billed] = await Promise.all([
      chat(honest, "Tell me a story", stop),
      chat(biller, "Tell me a story", stop),
    ]);
    expect(real.choices[0]?.finish_reason).toBe("stop");
    expect(text(billed)).toBe(text(real));
    expect(billed.usage.prompt_tokens).toBe(real.usage.prompt_tokens);
    expect(billed.usage.completion_tokens).toBe(Math.ceil(real.usage.completion_tokens * 1.5));
    expect(billed.usage.total_tokens).toBe(billed.usage.prompt_tokens + billed.usage.completion_tokens);
    expect(biller.counts()).toEqual({ served: 1, tampered: 1 });
  });

  it("never bills above max_tokens unless told to", async () => {
    const biller = inflatingUsage(honest);
    const real = await chat(honest, "Count to ten");
    expect(real.usage.completion_tokens).toBe(24); // used up max_tokens: no room
    expect((await chat(biller, "Count to ten")).usage.completion_tokens).toBe(24);
    expect(biller.counts()).toEqual({ served: 1, tampered: 0 });
    const reckless = inflatingUsage(honest, { factor: 1, extra: 7, clampToMaxTokens: false });
    expect((await chat(reckless, "Count to ten")).usage.completion_tokens).toBe(24 + 7);
  });

  it("raises the usage chunk of a stream", async () => {
    const stop = await early("Tell me a story");
    const chunks = await streamed(inflatingUsage(honest), "Tell me a story", {
      ...stop,
      stream_options: { include_usage: true },
    });
    const real = await chat(honest, "Tell me a story", stop);
    expect(joined(chunks)).toBe(text(real));
    expect(chunks.at(-1)?.usage?.completion_tokens).toBe(Math.ceil(real.usage.completion_tokens * 1.5));
  });

  it("splits a stream without a usage chunk into more chunks (a RelayMiner counts one token per chunk)", async () => {
    const biller = inflatingUsage(honest, { clampToMaxTokens: false });
    const real = await chat(honest, "Tell me a story");
    const honestChunks = contentChunks(await streamed(honest, "Tell me a story"));
    const split = await streamed(biller, "Tell me a story");
    expect(joined(split)).toBe(text(real));
    expect(contentChunks(split)).toBeGreaterThan(honestChunks);
    expect(contentChunks(split)).toBeLessThanOrEqual(Math.ceil(honestChunks * 1.5));
    expect(biller.counts()).toEqual({ served: 1, tampered: 1 });
  });

  it("refuses options that would not inflate", () => {
    expect(() => inflatingUsage(honest, { factor: 1 })).toThrow(RangeError);
  });
});

describe("replaying", () => {
  it("answers a new prompt with the answer to an earlier, different one", async () => {
    const parrot = replaying(honest);
    const first = await chat(parrot, "Tell me a story");
    expect(text(first)).toBe(text(await chat(honest, "Tell me a story"))); // generated for real, then cached
    const second = await chat(parrot, "What is the capital of France?");
    const truth = await chat(honest, "What is the capital of France?");
    expect(text(truth)).not.toBe(text(first));
    expect(text(second)).toBe(text(first));
    expect(second.id).not.toBe(first.id);
    // It bills the new prompt's real size, so a usage audit alone does not catch it.
    expect(second.usage.prompt_tokens).toBe(truth.usage.prompt_tokens);
    expect(second.usage.completion_tokens).toBe(first.usage.completion_tokens);
    expect(parrot.counts()).toEqual({ served: 2, tampered: 1 });
  });

  it("generates for real when the only cached answer is for the same prompt or too long", async () => {
    const parrot = replaying(honest);
    await chat(parrot, "Tell me a story");
    const same = await chat(parrot, "Tell me a story");
    expect(text(same)).toBe(text(await chat(honest, "Tell me a story")));
    const short = await chat(parrot, "Count to ten", { max_tokens: 4 });
    expect(text(short)).toBe(text(await chat(honest, "Count to ten", { max_tokens: 4 })));
    expect(parrot.counts().tampered).toBe(0);
  });

  it("replays in streams and in text completions", async () => {
    const parrot = replaying(honest);
    const first = await chat(parrot, "Tell me a story");
    const chunks = await streamed(parrot, "Count to ten");
    expect(joined(chunks)).toBe(text(first));
    expect(chunks.at(-1)?.choices[0]?.finish_reason).toBe(first.choices[0]?.finish_reason);

    const complete = async (prompt: string) =>
      (await parrot.complete({ model: "decai-tiny", prompt, ...greedy })) as Completion;
    const a = await complete("Once upon a time");
    const b = await complete("The weather today");
    expect(b.choices[0]?.text).toBe(a.choices[0]?.text);
    const truth = (await honest.complete({
      model: "decai-tiny",
      prompt: "The weather today",
      ...greedy,
    })) as Completion;
    expect(truth.choices[0]?.text).not.toBe(a.choices[0]?.text);
    const streamedText = (
      await collect(
        (await parrot.complete({
          model: "decai-tiny",
          prompt: "Far away",
          ...greedy,
          stream: true,
        })) as AsyncIterable<CompletionChunk>,
      )
    )
      .map((c) => c.choices[0]?.text ?? "")
      .join("");
    expect(streamedText).toBe(a.choices[0]?.text);
  });
});
