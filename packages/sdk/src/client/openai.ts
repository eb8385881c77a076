// The OpenAI request and response shapes the convenience API speaks: enough to type the common fields; any other
// field passes through to the backend untouched.

/** A chat message. */
export type ChatMessage = {
  role: "system" | "developer" | "user" | "assistant" | "tool";
  content: string | null | readonly { type: string; text?: string; [key: string]: unknown }[];
  name?: string;
  [key: string]: unknown;
};

/** Sampling fields shared by chat and text completions. */
type Sampling = {
  /** The service name (e.g. "tiny-llama"): it picks the service whose suppliers answer. */
  model: string;
  max_tokens?: number;
  temperature?: number;
  top_p?: number;
  seed?: number;
  stop?: string | readonly string[];
  stream_options?: { include_usage?: boolean };
  [key: string]: unknown;
};

/** Body of `POST /v1/chat/completions`. */
export type ChatCompletionCreateParams = Sampling & {
  messages: readonly ChatMessage[];
  max_completion_tokens?: number;
  stream?: boolean;
};

/** Body of `POST /v1/completions`. */
export type CompletionCreateParams = Sampling & { prompt: string | readonly string[]; stream?: boolean };

/** Body of `POST /v1/embeddings`. */
export type EmbeddingCreateParams = {
  model: string;
  input: string | readonly string[];
  [key: string]: unknown;
};

/** Token usage as OpenAI reports it. */
export type CompletionUsage = { prompt_tokens: number; completion_tokens: number; total_tokens: number };

/** A non-streamed chat completion. */
export type ChatCompletion = {
  id: string;
  object: "chat.completion";
  created: number;
  model: string;
  choices: {
    index: number;
    message: { role: "assistant"; content: string | null; [key: string]: unknown };
    finish_reason: string | null;
  }[];
  usage?: CompletionUsage;
};

/** One event of a streamed chat completion. */
export type ChatCompletionChunk = {
  id: string;
  object: "chat.completion.chunk";
  created: number;
  model: string;
  choices: {
    index: number;
    delta: { role?: "assistant"; content?: string | null; [key: string]: unknown };
    finish_reason: string | null;
  }[];
  usage?: CompletionUsage | null;
};

/** A non-streamed text completion. */
export type Completion = {
  id: string;
  object: "text_completion";
  created: number;
  model: string;
  choices: { index: number; text: string; finish_reason: string | null }[];
  usage?: CompletionUsage;
};

/** One event of a streamed text completion. */
export type CompletionChunk = Omit<Completion, "usage"> & { usage?: CompletionUsage | null };

/** An embeddings answer. */
export type CreateEmbeddingResponse = {
  object: "list";
  data: { object: "embedding"; index: number; embedding: number[] }[];
  model: string;
  usage: { prompt_tokens: number; total_tokens: number };
};
