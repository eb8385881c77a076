import { randomBytes } from "node:crypto";
import type { Generation, GenerationEnd, ResponseLabels } from "./generation.js";
import type {
  ChatCompletion,
  ChatCompletionChunk,
  Completion,
  CompletionChunk,
  CompletionLogprobs,
  TokenLogprob,
  Usage,
} from "./types.js";

/**
 * Labels for a new response: a random id with OpenAI's prefix (`chatcmpl-` or `cmpl-`) and the current time.
 *
 * @example
 * const labels = newLabels("chatcmpl", "decai-tiny", null);
 */
export function newLabels(
  prefix: "chatcmpl" | "cmpl",
  model: string,
  systemFingerprint: string | null,
): ResponseLabels {
  return {
    id: `${prefix}-${randomBytes(12).toString("base64url")}`,
    model,
    created: Math.floor(Date.now() / 1000),
    systemFingerprint,
  };
}

const usageOf = (promptTokens: number, end: GenerationEnd): Usage => ({
  prompt_tokens: promptTokens,
  completion_tokens: end.completionTokens,
  total_tokens: promptTokens + end.completionTokens,
});

async function collect(generation: Generation) {
  let text = "";
  const logprobs: TokenLogprob[] = [];
  for await (const event of generation.events) {
    if (event.type === "end") return { text, logprobs, end: event };
    text += event.text;
    if (event.logprobs) logprobs.push(...event.logprobs);
  }
  throw new Error("generation ended without an end event");
}

/**
 * Runs a generation to the end and returns it as a `chat.completion` object.
 *
 * @example
 * const completion = await toChatCompletion(generation, labels, { logprobs: false });
 */
export async function toChatCompletion(
  generation: Generation,
  labels: ResponseLabels,
  { logprobs }: { logprobs: boolean },
): Promise<ChatCompletion> {
  const { text, logprobs: content, end } = await collect(generation);
  return {
    id: labels.id,
    object: "chat.completion",
    created: labels.created,
    model: labels.model,
    system_fingerprint: labels.systemFingerprint,
    choices: [
      {
        index: 0,
        message: { role: "assistant", content: text, refusal: null },
        logprobs: logprobs ? { content, refusal: null } : null,
        finish_reason: end.finishReason,
      },
    ],
    usage: usageOf(generation.promptTokens, end),
  };
}

/**
 * Streams a generation as `chat.completion.chunk` objects exactly as OpenAI orders them: a role chunk, content
 * chunks, a chunk with `finish_reason`, then (with `includeUsage`) a usage chunk with `choices: []`.
 *
 * @example
 * for await (const chunk of toChatChunks(generation, labels, { logprobs: false, includeUsage: true })) send(chunk);
 */
export async function* toChatChunks(
  generation: Generation,
  labels: ResponseLabels,
  { logprobs, includeUsage }: { logprobs: boolean; includeUsage: boolean },
): AsyncGenerator<ChatCompletionChunk> {
  const chunk = (choice: ChatCompletionChunk["choices"][number] | undefined): ChatCompletionChunk => ({
    id: labels.id,
    object: "chat.completion.chunk",
    created: labels.created,
    model: labels.model,
    system_fingerprint: labels.systemFingerprint,
    choices: choice ? [choice] : [],
    ...(includeUsage ? { usage: null } : {}),
  });
  yield chunk({
    index: 0,
    delta: { role: "assistant", content: "", refusal: null },
    logprobs: null,
    finish_reason: null,
  });
  for await (const event of generation.events) {
    if (event.type === "text") {
      if (event.text === "" && !event.logprobs?.length) continue;
      const lp = logprobs ? { content: event.logprobs ?? [], refusal: null } : null;
      yield chunk({ index: 0, delta: { content: event.text }, logprobs: lp, finish_reason: null });
      continue;
    }
    yield chunk({ index: 0, delta: {}, logprobs: null, finish_reason: event.finishReason });
    if (includeUsage) yield { ...chunk(undefined), usage: usageOf(generation.promptTokens, event) };
    return;
  }
  throw new Error("generation ended without an end event");
}

/** Converts chat-format logprobs to the legacy completions format, offsets counted from `offset`. */
function legacyLogprobs(logprobs: readonly TokenLogprob[], offset: number): CompletionLogprobs {
  const out: CompletionLogprobs = { tokens: [], token_logprobs: [], top_logprobs: [], text_offset: [] };
  let at = offset;
  for (const lp of logprobs) {
    out.tokens.push(lp.token);
    out.token_logprobs.push(lp.logprob);
    out.top_logprobs.push(Object.fromEntries(lp.top_logprobs.map((t) => [t.token, t.logprob])));
    out.text_offset.push(at);
    at += lp.token.length;
  }
  return out;
}

/**
 * Runs a generation to the end and returns it as a `text_completion` object.
 *
 * @example
 * const completion = await toCompletion(generation, labels, { logprobs: undefined });
 */
export async function toCompletion(
  generation: Generation,
  labels: ResponseLabels,
  { logprobs }: { logprobs: number | undefined },
): Promise<Completion> {
  const { text, logprobs: lps, end } = await collect(generation);
  return {
    id: labels.id,
    object: "text_completion",
    created: labels.created,
    model: labels.model,
    system_fingerprint: labels.systemFingerprint,
    choices: [
      {
        index: 0,
        text,
        logprobs: logprobs === undefined ? null : legacyLogprobs(lps, 0),
        finish_reason: end.finishReason,
      },
    ],
    usage: usageOf(generation.promptTokens, end),
  };
}

/**
 * Streams a generation as text completion chunks, the last with `finish_reason`, then the usage chunk if asked.
 *
 * @example
 * for await (const chunk of toCompletionChunks(generation, labels, { logprobs: undefined, includeUsage: false })) send(chunk);
 */
export async function* toCompletionChunks(
  generation: Generation,
  labels: ResponseLabels,
  { logprobs, includeUsage }: { logprobs: number | undefined; includeUsage: boolean },
): AsyncGenerator<CompletionChunk> {
  const chunk = (choice: CompletionChunk["choices"][number] | undefined): CompletionChunk => ({
    id: labels.id,
    object: "text_completion",
    created: labels.created,
    model: labels.model,
    system_fingerprint: labels.systemFingerprint,
    choices: choice ? [choice] : [],
    ...(includeUsage ? { usage: null } : {}),
  });
  let offset = 0;
  for await (const event of generation.events) {
    if (event.type === "text") {
      if (event.text === "" && !event.logprobs?.length) continue;
      const lp = logprobs === undefined ? null : legacyLogprobs(event.logprobs ?? [], offset);
      offset += event.text.length;
      yield chunk({ index: 0, text: event.text, logprobs: lp, finish_reason: null });
      continue;
    }
    yield chunk({ index: 0, text: "", logprobs: null, finish_reason: event.finishReason });
    if (includeUsage) yield { ...chunk(undefined), usage: usageOf(generation.promptTokens, event) };
    return;
  }
  throw new Error("generation ended without an end event");
}
