import {
  invalidParam,
  type JsonObject,
  optionalBoolean,
  optionalIncludeUsage,
  optionalNumber,
  optionalStop,
  required,
  requiredString,
  requireObject,
  requireSingleChoice,
} from "./fields.js";

/** Sampling parameters after validation, with OpenAI's defaults applied. */
export type SamplingParams = {
  model: string;
  stream: boolean;
  /** `stream_options.include_usage`: end the stream with a usage chunk. */
  includeUsage: boolean;
  /** Generation cap; undefined: until the model stops or the context is full. */
  maxTokens: number | undefined;
  /** 0 means greedy. Default 1. */
  temperature: number;
  /** Default 1 (off). */
  topP: number;
  /** Undefined: a fresh random seed per request. */
  seed: number | undefined;
  stop: string[];
};

/** A chat message reduced to what a prompt template needs. */
export type ParsedMessage = { role: "system" | "user" | "assistant"; content: string };

/** A validated `POST /v1/chat/completions` request. */
export type ChatParams = SamplingParams & {
  messages: ParsedMessage[];
  logprobs: boolean;
  /** Alternatives per position when `logprobs`, 0-20. */
  topLogprobs: number;
};

/** A validated `POST /v1/completions` request. */
export type CompletionParams = SamplingParams & {
  /** Text, or token ids of the model's vocabulary. */
  prompt: string | number[];
  /** Undefined: no logprobs; otherwise the number of alternatives per position, 0-5. */
  logprobs: number | undefined;
};

/** A validated `POST /v1/embeddings` request. */
export type EmbeddingParams = {
  model: string;
  /** One entry per embedding: text, or token ids. */
  inputs: Array<string | number[]>;
  encodingFormat: "float" | "base64";
};

function parseSampling(body: JsonObject, defaultMaxTokens: number | undefined): SamplingParams {
  requireSingleChoice(body);
  const stream = optionalBoolean(body, "stream") ?? false;
  return {
    model: requiredString(body, "model"),
    stream,
    includeUsage: optionalIncludeUsage(body) && stream,
    maxTokens: optionalNumber(body, "max_tokens", { min: 1, integer: true }) ?? defaultMaxTokens,
    temperature: optionalNumber(body, "temperature", { min: 0, max: 2 }) ?? 1,
    topP: optionalNumber(body, "top_p", { min: 0, max: 1 }) ?? 1,
    seed: optionalNumber(body, "seed", { integer: true }),
    stop: optionalStop(body),
  };
}

/**
 * Validates a chat completion request body: 400 if it is not a JSON object, 422 naming the parameter otherwise.
 *
 * @example
 * const params = parseChatRequest(JSON.parse(body));
 * params.messages; // [{ role: "user", content: "Hi" }]
 */
export function parseChatRequest(input: unknown): ChatParams {
  const body = requireObject(input);
  const sampling = parseSampling(body, undefined);
  const maxCompletionTokens = optionalNumber(body, "max_completion_tokens", { min: 1, integer: true });
  const logprobs = optionalBoolean(body, "logprobs") ?? false;
  const topLogprobs = optionalNumber(body, "top_logprobs", { min: 0, max: 20, integer: true });
  if (topLogprobs !== undefined && !logprobs) {
    throw invalidParam("top_logprobs", "requires `logprobs: true`");
  }
  return {
    ...sampling,
    maxTokens: maxCompletionTokens ?? sampling.maxTokens,
    messages: parseMessages(required(body, "messages")),
    logprobs,
    topLogprobs: topLogprobs ?? 0,
  };
}

function parseMessages(value: unknown): ParsedMessage[] {
  if (!Array.isArray(value) || value.length === 0) {
    throw invalidParam("messages", "expected a non-empty array of messages", "invalid_type");
  }
  return value.map((message, i): ParsedMessage => {
    const param = `messages[${i}]`;
    if (typeof message !== "object" || message === null || Array.isArray(message)) {
      throw invalidParam(param, "expected a message object", "invalid_type");
    }
    const { role, content } = message as JsonObject;
    if (role !== "system" && role !== "developer" && role !== "user" && role !== "assistant") {
      throw invalidParam(
        `${param}.role`,
        `expected "system", "developer", "user" or "assistant", got ${JSON.stringify(role)} (tool calls are not supported)`,
      );
    }
    return {
      role: role === "developer" ? "system" : role,
      content: parseContent(content, `${param}.content`, role),
    };
  });
}

function parseContent(content: unknown, param: string, role: string): string {
  if (typeof content === "string") return content;
  if (content === null && role === "assistant") return "";
  if (Array.isArray(content)) {
    return content
      .map((part, i) => {
        const p = part as JsonObject | null;
        if (typeof p !== "object" || p === null || p.type !== "text" || typeof p.text !== "string") {
          throw invalidParam(`${param}[${i}]`, 'only {"type":"text","text":"..."} parts are supported');
        }
        return p.text;
      })
      .join("");
  }
  throw invalidParam(param, "expected a string or an array of text parts", "invalid_type");
}

/**
 * Validates a text completion request body. `max_tokens` defaults to 16, as in OpenAI's completions API.
 *
 * @example
 * parseCompletionRequest({ model: "decai-tiny", prompt: "Once upon" }).maxTokens; // 16
 */
export function parseCompletionRequest(input: unknown): CompletionParams {
  const body = requireObject(input);
  const sampling = parseSampling(body, 16);
  if (optionalBoolean(body, "echo")) throw invalidParam("echo", "echo is not supported");
  return {
    ...sampling,
    prompt: parsePrompt(required(body, "prompt"), "prompt"),
    logprobs: optionalNumber(body, "logprobs", { min: 0, max: 5, integer: true }),
  };
}

const isText = (value: unknown): value is string => typeof value === "string" && value.length > 0;
const isTokenArray = (value: unknown): value is number[] =>
  Array.isArray(value) && value.length > 0 && value.every((t) => Number.isSafeInteger(t) && t >= 0);

function parsePrompt(value: unknown, param: string): string | number[] {
  if (typeof value === "string") return value;
  if (isTokenArray(value)) return value;
  if (Array.isArray(value) && value.length === 1) return parsePrompt(value[0], param);
  if (
    Array.isArray(value) &&
    value.length > 1 &&
    value.every((p) => typeof p === "string" || isTokenArray(p))
  ) {
    throw invalidParam(param, "only one prompt per request is supported; send separate requests");
  }
  throw invalidParam(param, "expected a string or an array of token ids", "invalid_type");
}

/**
 * Validates an embeddings request body; `input` may be one text, several, or token ids.
 *
 * @example
 * parseEmbeddingRequest({ model: "decai-tiny", input: ["a", "b"] }).inputs.length; // 2
 */
export function parseEmbeddingRequest(input: unknown): EmbeddingParams {
  const body = requireObject(input);
  const model = requiredString(body, "model");
  const raw = required(body, "input");
  let inputs: Array<string | number[]>;
  if (isText(raw) || isTokenArray(raw)) inputs = [raw];
  else if (Array.isArray(raw) && raw.length > 0 && raw.every((i) => isText(i) || isTokenArray(i))) {
    inputs = raw as Array<string | number[]>;
  } else {
    throw invalidParam(
      "input",
      "expected a non-empty string, an array of them, or token id arrays",
      "invalid_type",
    );
  }
  const format = body.encoding_format ?? "float";
  if (format !== "float" && format !== "base64") {
    throw invalidParam("encoding_format", `expected "float" or "base64", got ${JSON.stringify(format)}`);
  }
  return { model, inputs, encodingFormat: format };
}
