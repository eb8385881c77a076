/**
 * The subset of the OpenAI HTTP API wire format that Decai backends speak (field names as on the wire).
 * Requests are typed loosely where OpenAI accepts several shapes; `parse*Request` normalise them.
 */

/** `finish_reason`: the model ended its turn or hit a stop sequence, or it hit `max_tokens`. */
export type FinishReason = "stop" | "length";

/** Token accounting, from the model's own tokenizer. */
export type Usage = {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
};

/** A content part of a chat message; only text parts are supported. */
export type ChatContentPart = { type: "text"; text: string };

/** One chat message as sent by clients. */
export type ChatMessage = {
  role: "system" | "developer" | "user" | "assistant";
  content: string | ChatContentPart[] | null;
  name?: string;
};

/** Sampling and limit parameters shared by chat and text completions. */
export type SamplingRequestFields = {
  model: string;
  stream?: boolean | null;
  stream_options?: { include_usage?: boolean } | null;
  max_tokens?: number | null;
  temperature?: number | null;
  top_p?: number | null;
  seed?: number | null;
  stop?: string | string[] | null;
  n?: number | null;
  user?: string;
};

/** `POST /v1/chat/completions` body. */
export type ChatCompletionRequest = SamplingRequestFields & {
  messages: ChatMessage[];
  /** Newer name of `max_tokens`; wins when both are given. */
  max_completion_tokens?: number | null;
  logprobs?: boolean | null;
  /** 0-20 alternatives per position; requires `logprobs: true`. */
  top_logprobs?: number | null;
};

/** `POST /v1/completions` body. `prompt` is text, or token ids of the model's vocabulary. */
export type CompletionRequest = SamplingRequestFields & {
  prompt: string | string[] | number[] | number[][];
  /** 0-5 alternatives per position (legacy completions format). */
  logprobs?: number | null;
  echo?: boolean | null;
};

/** `POST /v1/embeddings` body. */
export type EmbeddingRequest = {
  model: string;
  input: string | string[] | number[] | number[][];
  encoding_format?: "float" | "base64";
  user?: string;
};

/** One alternative token at a position. */
export type TopLogprob = { token: string; logprob: number; bytes: number[] | null };

/** Log-probability of one generated token (chat format). */
export type TokenLogprob = TopLogprob & { top_logprobs: TopLogprob[] };

/** `choices[].logprobs` of a chat completion. */
export type ChatLogprobs = { content: TokenLogprob[] | null; refusal: null };

/** `choices[].logprobs` of a text completion (legacy format). */
export type CompletionLogprobs = {
  tokens: string[];
  token_logprobs: number[];
  top_logprobs: Array<Record<string, number>>;
  text_offset: number[];
};

/** Non-streamed chat completion. */
export type ChatCompletion = {
  id: string;
  object: "chat.completion";
  created: number;
  model: string;
  system_fingerprint: string | null;
  choices: Array<{
    index: number;
    message: { role: "assistant"; content: string; refusal: null };
    logprobs: ChatLogprobs | null;
    finish_reason: FinishReason;
  }>;
  usage: Usage;
};

/** One SSE event of a streamed chat completion. The usage chunk has `choices: []`. */
export type ChatCompletionChunk = {
  id: string;
  object: "chat.completion.chunk";
  created: number;
  model: string;
  system_fingerprint: string | null;
  choices: Array<{
    index: number;
    delta: { role?: "assistant"; content?: string; refusal?: null };
    logprobs: ChatLogprobs | null;
    finish_reason: FinishReason | null;
  }>;
  /** Present (null until the last chunk) only when `stream_options.include_usage` was set. */
  usage?: Usage | null;
};

/** Non-streamed text completion. */
export type Completion = {
  id: string;
  object: "text_completion";
  created: number;
  model: string;
  system_fingerprint: string | null;
  choices: Array<{
    index: number;
    text: string;
    logprobs: CompletionLogprobs | null;
    finish_reason: FinishReason;
  }>;
  usage: Usage;
};

/** One SSE event of a streamed text completion (same `object` as the non-streamed one, as OpenAI does). */
export type CompletionChunk = {
  id: string;
  object: "text_completion";
  created: number;
  model: string;
  system_fingerprint: string | null;
  choices: Array<{
    index: number;
    text: string;
    logprobs: CompletionLogprobs | null;
    finish_reason: FinishReason | null;
  }>;
  usage?: Usage | null;
};

/** `POST /v1/embeddings` response. */
export type EmbeddingResponse = {
  object: "list";
  data: Array<{ object: "embedding"; index: number; embedding: number[] | string }>;
  model: string;
  usage: { prompt_tokens: number; total_tokens: number };
};

/** An entry of `GET /v1/models`. */
export type ModelObject = {
  id: string;
  object: "model";
  created: number;
  owned_by: string;
};

/** `GET /v1/models` response. */
export type ModelList = { object: "list"; data: ModelObject[] };

/** The body of every error response. */
export type ErrorBody = {
  error: { message: string; type: string; param: string | null; code: string | null };
};
