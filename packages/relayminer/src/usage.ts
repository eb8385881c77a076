// Token usage of a relay: what the backend reports, or an estimate when it reports nothing.
//
// The body is forwarded unchanged, so the RelayMiner cannot ask a streaming backend for a usage chunk
// (`stream_options.include_usage`) on the client's behalf. When usage is missing:
// - output tokens = the number of streamed chunks that carried output (OpenAI-style servers stream one token per
//   chunk), or for a complete body ceil(bytes of generated text / 4);
// - input tokens = ceil(bytes of prompt text / 4), the usual ~4 bytes per token of BPE tokenizers on English,
//   counting only the text of the messages (not roles, JSON or the chat template), so it leans low. It is an
//   estimate the signed receipt commits to; gateways check it against the service's tokenizer.
// Before serving, the meter reserves the worst case instead: every body byte as an input token (a byte-level
// tokenizer never yields more tokens than bytes) and the signed maxTokens as output.
import { RelayRejection } from "./errors.js";

/** Tokens of one relay. */
export type TokenUsage = { inputTokens: number; outputTokens: number };

/** What the RelayMiner reads from an OpenAI-style request body. */
export type RequestBodyInfo = {
  /** `stream: true` */
  stream: boolean;
  /** `max_completion_tokens` or `max_tokens`, when set. */
  maxTokens: number | undefined;
  /** UTF-8 bytes of the prompt text (message contents, or `prompt`, or `input`). */
  promptTextBytes: number;
};

const maxUint32 = 2 ** 32 - 1;

/** Clamps a token count into the uint32 the relay response signs. */
export const toUint32 = (n: number) => (n > maxUint32 ? maxUint32 : n < 0 ? 0 : Math.floor(n));

/** ceil(bytes / 4): the estimate described above. */
export const estimateTokens = (textBytes: number) => Math.ceil(textBytes / 4);

function textBytes(value: unknown): number {
  if (typeof value === "string") return Buffer.byteLength(value);
  if (Array.isArray(value)) {
    let n = 0;
    for (const part of value) {
      if (typeof part === "string") n += Buffer.byteLength(part);
      else if (part && typeof part === "object") n += textBytes((part as { text?: unknown }).text);
    }
    return n;
  }
  return 0;
}

/**
 * Parses an OpenAI-style JSON request body; throws `RelayRejection("invalid_json")` when it is not a JSON object.
 *
 * @example
 * parseRequestBody(Buffer.from('{"messages":[{"role":"user","content":"hi"}],"max_tokens":8}'));
 * // { stream: false, maxTokens: 8, promptTextBytes: 2 }
 */
export function parseRequestBody(body: Buffer): RequestBodyInfo {
  let json: unknown;
  try {
    json = JSON.parse(body.toString("utf8"));
  } catch (error) {
    throw new RelayRejection(
      "invalid_json",
      `The request body is not valid JSON: ${(error as Error).message}.`,
    );
  }
  if (json === null || typeof json !== "object" || Array.isArray(json)) {
    throw new RelayRejection(
      "invalid_json",
      "The request body must be a JSON object (an OpenAI-style request).",
    );
  }
  const b = json as Record<string, unknown>;
  const limit = b.max_completion_tokens ?? b.max_tokens;
  if (limit !== undefined && limit !== null && !(Number.isSafeInteger(limit) && (limit as number) >= 0)) {
    throw new RelayRejection("invalid_json", "max_tokens must be a non-negative integer.", "max_tokens");
  }
  let promptTextBytes = textBytes(b.prompt) + textBytes(b.input);
  if (Array.isArray(b.messages)) {
    for (const m of b.messages) promptTextBytes += textBytes((m as { content?: unknown } | null)?.content);
  }
  return { stream: b.stream === true, maxTokens: (limit as number | null) ?? undefined, promptTextBytes };
}

/**
 * Usage of a complete (non-streamed) response: its `usage` when present, otherwise the estimate above.
 *
 * @example
 * responseUsage(Buffer.from(upstreamBody), info); // { inputTokens: 12, outputTokens: 30 }
 */
export function responseUsage(body: Buffer, request: RequestBodyInfo): TokenUsage {
  let json: unknown;
  try {
    json = JSON.parse(body.toString("utf8"));
  } catch {
    return {
      inputTokens: estimateTokens(request.promptTextBytes),
      outputTokens: estimateTokens(body.length),
    };
  }
  return usageFromJson(json, request);
}

/**
 * {@link responseUsage} of a response body already parsed.
 *
 * @example
 * usageFromJson(JSON.parse(text), info); // { inputTokens: 12, outputTokens: 30 }
 */
export function usageFromJson(parsed: unknown, request: RequestBodyInfo): TokenUsage {
  const json = parsed as {
    usage?: { prompt_tokens?: unknown; completion_tokens?: unknown } | null;
    choices?: { message?: { content?: unknown }; text?: unknown }[];
  } | null;
  const usage = json?.usage;
  if (usage && Number.isSafeInteger(usage.prompt_tokens) && Number.isSafeInteger(usage.completion_tokens)) {
    return {
      inputTokens: toUint32(usage.prompt_tokens as number),
      outputTokens: toUint32(usage.completion_tokens as number),
    };
  }
  let generated = 0;
  if (Array.isArray(json?.choices)) {
    for (const c of json.choices) generated += textBytes(c?.message?.content) + textBytes(c?.text);
  }
  return { inputTokens: estimateTokens(request.promptTextBytes), outputTokens: estimateTokens(generated) };
}
