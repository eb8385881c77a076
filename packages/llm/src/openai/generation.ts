import type { FinishReason, TokenLogprob } from "./types.js";

/** A piece of generated text, with the logprobs of the tokens it came from when they were asked for. */
export type GenerationText = { type: "text"; text: string; logprobs?: TokenLogprob[] };

/** The last event of every generation. */
export type GenerationEnd = { type: "end"; finishReason: FinishReason; completionTokens: number };

/** What a model produces, before it is dressed as a chat or text completion. */
export type GenerationEvent = GenerationText | GenerationEnd;

/**
 * One running generation: its exact prompt size and a stream of events that ends with a {@link GenerationEnd}.
 * Breaking out of `events` cancels the generation and frees what it holds.
 */
export type Generation = {
  promptTokens: number;
  events: AsyncIterable<GenerationEvent>;
};

/** How to label the response objects built from a generation. */
export type ResponseLabels = {
  id: string;
  model: string;
  /** Unix seconds. */
  created: number;
  systemFingerprint: string | null;
};
