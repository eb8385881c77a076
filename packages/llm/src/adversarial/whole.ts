// Whole-response plumbing shared by the adversarial backends: they ask the honest backend for a complete answer,
// doctor it, and stream it back themselves when the client asked for a stream, shaped as the honest backend
// shapes its streams (role chunk, content chunks, finish chunk, optional usage chunk).
import type { Backend, RequestOptions } from "../backend.js";
import type {
  ChatCompletion,
  ChatCompletionChunk,
  ChatCompletionRequest,
  Completion,
  CompletionChunk,
  CompletionRequest,
  FinishReason,
  Usage,
} from "../openai/types.js";

/** Which endpoint: `/v1/chat/completions` or `/v1/completions`. */
export type CompletionKind = "chat" | "complete";
/** A non-streamed answer of either endpoint. */
export type WholeResponse = ChatCompletion | Completion;
/** A request to either endpoint. */
export type CompletionRequestOf<K extends CompletionKind> = K extends "chat"
  ? ChatCompletionRequest
  : CompletionRequest;

/** Whether the client asked for a stream, and for a usage chunk at its end. */
export function streamShape(request: unknown): { stream: boolean; includeUsage: boolean } {
  const r = request as { stream?: unknown; stream_options?: { include_usage?: unknown } | null };
  const stream = r?.stream === true;
  return { stream, includeUsage: stream && r.stream_options?.include_usage === true };
}

/** Asks `backend` for the complete (non-streamed) answer to `request`, whatever the client asked for. */
export async function callWhole(
  backend: Backend,
  kind: CompletionKind,
  request: unknown,
  options?: RequestOptions,
): Promise<WholeResponse> {
  const { stream_options: _, ...rest } = request as Record<string, unknown>;
  const whole = { ...rest, stream: false };
  return kind === "chat"
    ? backend.chat(whole as ChatCompletionRequest & { stream: false }, options)
    : backend.complete(whole as CompletionRequest & { stream: false }, options);
}

/** The generated text of an answer. */
export function textOf(response: WholeResponse): string {
  const choice = response.choices[0];
  if (!choice) return "";
  return "message" in choice ? choice.message.content : choice.text;
}

/** The answer's finish reason. */
export function finishOf(response: WholeResponse): FinishReason {
  return response.choices[0]?.finish_reason ?? "stop";
}

/** A usage object with a consistent total. */
export function usage(promptTokens: number, completionTokens: number): Usage {
  return {
    prompt_tokens: promptTokens,
    completion_tokens: completionTokens,
    total_tokens: promptTokens + completionTokens,
  };
}

/**
 * A copy of `response` with `text` as its output (logprobs cut to the tokens that remain), `finish` as its finish
 * reason and `usage` as its usage.
 */
export function withText<T extends WholeResponse>(
  response: T,
  text: string,
  finish: FinishReason,
  newUsage: Usage,
): T {
  const [choice, ...rest] = response.choices;
  if (!choice) return { ...response, usage: newUsage };
  let next: typeof choice;
  if ("message" in choice) {
    let length = 0;
    const content = choice.logprobs?.content?.filter((lp) => {
      length += lp.token.length;
      return length <= text.length;
    });
    next = {
      ...choice,
      message: { ...choice.message, content: text },
      finish_reason: finish,
      logprobs: choice.logprobs ? { ...choice.logprobs, content: content ?? null } : null,
    };
  } else {
    const lp = choice.logprobs;
    const keep = lp
      ? lp.tokens.filter((t, i) => (lp.text_offset[i] ?? 0) + t.length <= text.length).length
      : 0;
    next = {
      ...choice,
      text,
      finish_reason: finish,
      logprobs: lp
        ? {
            tokens: lp.tokens.slice(0, keep),
            token_logprobs: lp.token_logprobs.slice(0, keep),
            top_logprobs: lp.top_logprobs.slice(0, keep),
            text_offset: lp.text_offset.slice(0, keep),
          }
        : null,
    };
  }
  return { ...response, choices: [next, ...rest], usage: newUsage } as T;
}

/**
 * Streams a complete answer as the honest backend would have streamed it: one chunk per piece of text (pass the
 * text cut at token boundaries), a finish chunk, then the usage chunk when `includeUsage`. Per-chunk logprobs are
 * not reproduced.
 */
export async function* toChunks(
  response: WholeResponse,
  pieces: readonly string[],
  includeUsage: boolean,
): AsyncGenerator<ChatCompletionChunk | CompletionChunk> {
  const finish = finishOf(response);
  const extra = includeUsage ? { usage: null } : {};
  const base = {
    id: response.id,
    created: response.created,
    model: response.model,
    system_fingerprint: response.system_fingerprint,
  };
  if (response.object === "chat.completion") {
    const chunk = (choices: ChatCompletionChunk["choices"]): ChatCompletionChunk => ({
      ...base,
      object: "chat.completion.chunk",
      choices,
      ...extra,
    });
    yield chunk([
      {
        index: 0,
        delta: { role: "assistant", content: "", refusal: null },
        logprobs: null,
        finish_reason: null,
      },
    ]);
    for (const content of pieces)
      yield chunk([{ index: 0, delta: { content }, logprobs: null, finish_reason: null }]);
    yield chunk([{ index: 0, delta: {}, logprobs: null, finish_reason: finish }]);
    if (includeUsage) yield { ...chunk([]), usage: response.usage };
    return;
  }
  const chunk = (choices: CompletionChunk["choices"]): CompletionChunk => ({
    ...base,
    object: "text_completion",
    choices,
    ...extra,
  });
  for (const text of pieces) yield chunk([{ index: 0, text, logprobs: null, finish_reason: null }]);
  yield chunk([{ index: 0, text: "", logprobs: null, finish_reason: finish }]);
  if (includeUsage) yield { ...chunk([]), usage: response.usage };
}
