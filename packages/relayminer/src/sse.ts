import { StringDecoder } from "node:string_decoder";
import type { TokenUsage } from "./usage.js";

type Choice = {
  delta?: { content?: unknown; reasoning_content?: unknown; tool_calls?: unknown };
  text?: unknown;
};

const nonEmpty = (v: unknown) => (typeof v === "string" ? v.length > 0 : Array.isArray(v) && v.length > 0);

/** Whether a streamed chunk carries generated output (one token per chunk, as OpenAI-style servers stream). */
function carriesOutput(choices: unknown): boolean {
  if (!Array.isArray(choices)) return false;
  for (const c of choices as Choice[]) {
    if (nonEmpty(c?.text) || nonEmpty(c?.delta?.content) || nonEmpty(c?.delta?.reasoning_content))
      return true;
    if (nonEmpty(c?.delta?.tool_calls)) return true;
  }
  return false;
}

/**
 * Reads an OpenAI-style SSE stream as it passes through, without changing it: counts the chunks that carry
 * output and picks up the final `usage` chunk when the client asked for one (`stream_options.include_usage`).
 * Chunks may split lines and UTF-8 characters anywhere.
 *
 * @example
 * const counter = new SseUsageCounter();
 * upstream.on("data", (chunk) => { counter.push(chunk); res.write(chunk); });
 * counter.usage ?? { outputTokens: counter.outputChunks };
 */
export class SseUsageCounter {
  /** Data events that carried generated text (≈ output tokens). */
  outputChunks = 0;
  /** The stream's `usage`, when it sent one. */
  usage: TokenUsage | undefined;
  /** Whether `data: [DONE]` went through. */
  done = false;
  /** Complete data events seen that were JSON (or `[DONE]`). */
  events = 0;
  /** Complete data events seen that were not JSON: a backend sending garbage. */
  invalidEvents = 0;
  readonly #decoder = new StringDecoder("utf8");
  #partial = "";
  #data: string[] = [];

  /** Feeds the next raw chunk. */
  push(chunk: Buffer | string): void {
    const text = this.#partial + (typeof chunk === "string" ? chunk : this.#decoder.write(chunk));
    let start = 0;
    for (let nl = text.indexOf("\n"); nl >= 0; nl = text.indexOf("\n", start)) {
      const end = nl > start && text.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
      this.#line(text.slice(start, end));
      start = nl + 1;
    }
    this.#partial = text.slice(start);
  }

  #line(line: string): void {
    if (line.length === 0) {
      if (this.#data.length) this.#event(this.#data.join("\n"));
      this.#data = [];
    } else if (line.startsWith("data:")) {
      this.#data.push(line.charCodeAt(5) === 32 ? line.slice(6) : line.slice(5));
    }
  }

  #event(data: string): void {
    if (data === "") return; // an empty event is not dispatched (SSE), e.g. a keep-alive `data:`
    if (data === "[DONE]") {
      this.done = true;
      this.events++;
      return;
    }
    let chunk: { choices?: unknown; usage?: { prompt_tokens?: unknown; completion_tokens?: unknown } | null };
    try {
      chunk = JSON.parse(data);
    } catch {
      this.invalidEvents++; // the bytes pass through unchanged; the RelayMiner decides whether to sign them
      return;
    }
    this.events++;
    if (carriesOutput(chunk?.choices)) this.outputChunks++;
    const usage = chunk?.usage;
    if (usage && Number.isSafeInteger(usage.prompt_tokens) && Number.isSafeInteger(usage.completion_tokens)) {
      this.usage = {
        inputTokens: usage.prompt_tokens as number,
        outputTokens: usage.completion_tokens as number,
      };
    }
  }
}
