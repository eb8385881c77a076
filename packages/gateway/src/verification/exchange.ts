// Reading answers out of OpenAI responses, whole or streamed, into an exchange's choices.
import type { TokenUsage } from "../pricing.js";
import type { AnswerChoice } from "./types.js";

type RawChoice = {
  index?: number;
  message?: { content?: unknown };
  delta?: { content?: unknown };
  text?: unknown;
  finish_reason?: unknown;
};

const str = (value: unknown) => (typeof value === "string" ? value : "");

/**
 * The answers of a complete chat or text completion, in `index` order.
 *
 * @example
 * choicesOf({ choices: [{ index: 0, message: { content: "Hi" }, finish_reason: "stop" }] }); // [{ text: "Hi", finishReason: "stop" }]
 */
export function choicesOf(body: Record<string, unknown>): AnswerChoice[] {
  const choices = Array.isArray(body.choices) ? (body.choices as RawChoice[]) : [];
  return [...choices]
    .sort((a, b) => (a.index ?? 0) - (b.index ?? 0))
    .map((c) => ({
      text: str(c.message?.content) || str(c.text),
      finishReason: typeof c.finish_reason === "string" ? c.finish_reason : null,
    }));
}

/**
 * The `usage` an OpenAI response or chunk reports, if any.
 *
 * @example
 * usageOf({ usage: { prompt_tokens: 9, completion_tokens: 4 } }); // { inputTokens: 9, outputTokens: 4 }
 */
export function usageOf(body: Record<string, unknown>): TokenUsage | undefined {
  const u = body.usage as { prompt_tokens?: unknown; completion_tokens?: unknown } | null | undefined;
  if (!u || typeof u.prompt_tokens !== "number" || typeof u.completion_tokens !== "number") return undefined;
  return { inputTokens: u.prompt_tokens, outputTokens: u.completion_tokens };
}

/**
 * Joins a streamed answer back together, chunk by chunk: text deltas per choice index, the last finish reason,
 * the usage chunk.
 *
 * @example
 * const answer = new StreamedAnswer();
 * for await (const chunk of chunks) answer.add(chunk);
 * answer.choices(); // [{ text: "Hello there", finishReason: "stop" }]
 */
export class StreamedAnswer {
  readonly #texts = new Map<number, string[]>();
  readonly #finish = new Map<number, string | null>();
  #usage: TokenUsage | undefined;
  /** Characters kept so far; past `maxChars` text is no longer kept (the exchange is then not judged). */
  #chars = 0;
  readonly #maxChars: number;
  overflowed = false;

  constructor(maxChars = 1 << 20) {
    this.#maxChars = maxChars;
  }

  add(chunk: Record<string, unknown>): void {
    const usage = usageOf(chunk);
    if (usage) this.#usage = usage;
    if (!Array.isArray(chunk.choices)) return;
    for (const c of chunk.choices as RawChoice[]) {
      const i = c.index ?? 0;
      const text = str(c.delta?.content) || str(c.text);
      if (!this.#finish.has(i)) this.#finish.set(i, null);
      if (text) {
        this.#chars += text.length;
        if (this.#chars > this.#maxChars) this.overflowed = true;
        else {
          const parts = this.#texts.get(i) ?? [];
          parts.push(text);
          this.#texts.set(i, parts);
        }
      }
      if (typeof c.finish_reason === "string") this.#finish.set(i, c.finish_reason);
    }
  }

  choices(): AnswerChoice[] {
    return [...this.#finish.keys()]
      .sort((a, b) => a - b)
      .map((i) => ({ text: (this.#texts.get(i) ?? []).join(""), finishReason: this.#finish.get(i) ?? null }));
  }

  get usage(): TokenUsage | undefined {
    return this.#usage;
  }
}
