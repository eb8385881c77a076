// The usage log: one row per request made with a valid API key, refused or served.
import type { TokenUsage } from "./pricing.js";

/** The OpenAI endpoints the gateway serves. */
export type Endpoint = "chat.completions" | "completions" | "embeddings";

/**
 * How a request ended: `ok`, `client_disconnected` (billed for what was delivered), `upstream_error`, or the
 * `GatewayErrorCode` it was refused with (`rate_limit_exceeded`, `budget_exceeded`, `model_not_found`, ...).
 */
export type UsageOutcome = "ok" | "client_disconnected" | "upstream_error" | (string & {});

/** One row of the usage log. */
export type UsageRecord = {
  /** The request id (also the `x-request-id` response header). */
  id: string;
  keyId: string;
  endpoint: Endpoint;
  /** What the client asked for: the `model` field, or the first of `models`. */
  requestedModel: string;
  /** The model that served it, after aliases and fallbacks; `null` when none did. */
  model: string | null;
  /** Who served it (a supplier address through the network, the base URL through a passthrough). */
  supplier: string | null;
  stream: boolean;
  inputTokens: number;
  outputTokens: number;
  /** Request received to first generated token (streams) or to the full response; `null` when none came. */
  ttftMs: number | null;
  /** Request received to last byte. */
  latencyMs: number;
  /** Time spent in the gateway itself (latency minus time waiting on the upstream). */
  overheadMs: number;
  /** What the key was charged, in payment-token base units. */
  cost: bigint;
  outcome: UsageOutcome;
  /** HTTP status sent (200 also for a stream cut by the client). */
  status: number;
  /** Unix ms. */
  createdAt: number;
};

/** Filters of a usage query, newest first. */
export type UsageQuery = { keyId?: string; since?: number; until?: number; limit?: number };

/** Largest page of the usage log one query returns. */
export const maxUsagePage = 10_000;

/**
 * ceil(bytes / 4): the usual ~4 bytes per token of BPE tokenizers on English, for when an upstream reports no
 * usage.
 *
 * @example
 * estimateTokens(Buffer.byteLength("Hello, world")); // 3
 */
export const estimateTokens = (textBytes: number) => Math.ceil(textBytes / 4);

/**
 * UTF-8 bytes of the text in a prompt value: a string, a list of strings, or content parts with `text`.
 *
 * @example
 * textBytes([{ type: "text", text: "hi" }]); // 2
 */
export function textBytes(value: unknown): number {
  if (typeof value === "string") return Buffer.byteLength(value);
  if (Array.isArray(value)) {
    let n = 0;
    for (const part of value) {
      if (typeof part === "string") n += Buffer.byteLength(part);
      else if (typeof part === "number") n += 1;
      else if (Array.isArray(part)) n += textBytes(part);
      else if (part && typeof part === "object") n += textBytes((part as { text?: unknown }).text);
    }
    return n;
  }
  return 0;
}

/**
 * Usage of a complete response: its `usage` when the upstream sent one, else an estimate from the text.
 *
 * @example
 * responseUsage({ usage: { prompt_tokens: 12, completion_tokens: 30 } }, 0); // { inputTokens: 12, outputTokens: 30 }
 */
export function responseUsage(body: Record<string, unknown>, promptTextBytes: number): TokenUsage {
  const usage = readUsage(body.usage);
  if (usage) return usage;
  let generated = 0;
  if (Array.isArray(body.choices)) {
    for (const c of body.choices as { message?: { content?: unknown }; text?: unknown }[]) {
      generated += textBytes(c?.message?.content) + textBytes(c?.text);
    }
  }
  return { inputTokens: estimateTokens(promptTextBytes), outputTokens: estimateTokens(generated) };
}

/**
 * Reads an OpenAI `usage` object (`prompt_tokens`, `completion_tokens`; embeddings have only the former).
 *
 * @example
 * readUsage({ prompt_tokens: 3, total_tokens: 3 }); // { inputTokens: 3, outputTokens: 0 }
 */
export function readUsage(value: unknown): TokenUsage | undefined {
  if (!value || typeof value !== "object") return undefined;
  const u = value as { prompt_tokens?: unknown; completion_tokens?: unknown };
  if (!Number.isSafeInteger(u.prompt_tokens) || (u.prompt_tokens as number) < 0) return undefined;
  const out = u.completion_tokens ?? 0;
  if (!Number.isSafeInteger(out) || (out as number) < 0) return undefined;
  return { inputTokens: u.prompt_tokens as number, outputTokens: out as number };
}

/**
 * Whether a streamed chunk carries generated output (OpenAI-style servers stream about one token per chunk).
 *
 * @example
 * carriesOutput({ choices: [{ delta: { content: "Hi" } }] }); // true
 */
export function carriesOutput(chunk: Record<string, unknown>): boolean {
  const choices = chunk.choices;
  if (!Array.isArray(choices)) return false;
  for (const c of choices as {
    delta?: { content?: unknown; reasoning_content?: unknown; tool_calls?: unknown };
    text?: unknown;
  }[]) {
    const d = c?.delta;
    if (
      nonEmpty(c?.text) ||
      nonEmpty(d?.content) ||
      nonEmpty(d?.reasoning_content) ||
      nonEmpty(d?.tool_calls)
    )
      return true;
  }
  return false;
}

const nonEmpty = (v: unknown) => (typeof v === "string" ? v.length > 0 : Array.isArray(v) && v.length > 0);
