/** Token counts, as a receipt signs them. */
export type TokenUsage = { inputTokens: number; outputTokens: number };

/** What receipt checks need to know about the request body. */
export type RequestInfo = {
  /** Body size in bytes: no tokenizer yields more input tokens than bytes (plus a few special tokens). */
  bodyBytes: number;
  /** `max_completion_tokens` or `max_tokens` of the body, when set. */
  maxTokens: number | undefined;
  /** `stream: true` */
  stream: boolean;
};

/**
 * Reads what matters for billing from an OpenAI-style request body; anything that is not a JSON object gives
 * no limits (the RelayMiner will refuse it anyway).
 *
 * @example
 * requestInfo('{"messages":[],"max_tokens":16,"stream":true}'); // { bodyBytes: 45, maxTokens: 16, stream: true }
 */
export function requestInfo(body: string | Uint8Array): RequestInfo {
  const text = typeof body === "string" ? body : Buffer.from(body).toString("utf8");
  const bodyBytes = typeof body === "string" ? Buffer.byteLength(body) : body.length;
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { bodyBytes, maxTokens: undefined, stream: false };
  }
  if (json === null || typeof json !== "object") return { bodyBytes, maxTokens: undefined, stream: false };
  const b = json as Record<string, unknown>;
  const limit = b.max_completion_tokens ?? b.max_tokens;
  return {
    bodyBytes,
    maxTokens: Number.isSafeInteger(limit) && (limit as number) >= 0 ? (limit as number) : undefined,
    stream: b.stream === true,
  };
}

/**
 * The `usage` an OpenAI-style JSON object reports (a completion, or the usage chunk of a stream), if any.
 *
 * @example
 * reportedUsage({ usage: { prompt_tokens: 7, completion_tokens: 5 } }); // { inputTokens: 7, outputTokens: 5 }
 */
export function reportedUsage(json: unknown): TokenUsage | undefined {
  const usage = (json as { usage?: { prompt_tokens?: unknown; completion_tokens?: unknown } } | null)?.usage;
  if (!usage || typeof usage !== "object") return undefined;
  const { prompt_tokens: input, completion_tokens: output } = usage;
  if (!Number.isSafeInteger(input) || !Number.isSafeInteger(output)) return undefined;
  return { inputTokens: input as number, outputTokens: output as number };
}

/**
 * Whether a streamed chunk carries generated output (text, reasoning or tool calls), which marks the first
 * token for time-to-first-token.
 *
 * @example
 * carriesOutput({ choices: [{ delta: { content: "Hi" } }] }); // true
 */
export function carriesOutput(json: unknown): boolean {
  const choices = (json as { choices?: unknown } | null)?.choices;
  if (!Array.isArray(choices)) return false;
  for (const c of choices as { delta?: Record<string, unknown>; text?: unknown }[]) {
    if (nonEmpty(c?.text) || nonEmpty(c?.delta?.content) || nonEmpty(c?.delta?.reasoning_content))
      return true;
    if (nonEmpty(c?.delta?.tool_calls)) return true;
  }
  return false;
}

const nonEmpty = (v: unknown) => (typeof v === "string" ? v.length > 0 : Array.isArray(v) && v.length > 0);
