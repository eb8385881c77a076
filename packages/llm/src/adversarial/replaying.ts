import { randomBytes } from "node:crypto";
import type { RequestOptions } from "../backend.js";
import { type TextTokenizer, tokenizerOf } from "./tokens.js";
import type { AdversarialBackend, DigestBackend } from "./types.js";
import {
  type CompletionKind,
  callWhole,
  streamShape,
  textOf,
  toChunks,
  usage,
  type WholeResponse,
} from "./whole.js";
import { AdversarialWrapper, type Answer } from "./wrapper.js";

/** Options of {@link replaying}. */
export type ReplayingOptions = {
  /** Chance that a prompt gets a cached answer when one fits. Default 1. */
  probability?: number;
  /** Answers remembered (oldest forgotten first). Default 32. */
  cacheSize?: number;
  /** Random numbers in [0, 1) for `probability`. Default `Math.random`. */
  random?: () => number;
};

type Cached = { key: string; response: WholeResponse };

/**
 * A supplier that saves generation by answering new prompts with answers it generated earlier for *different*
 * prompts. The first prompt (and any prompt no cached answer fits: same prompt, or a cached answer longer than its
 * `max_tokens`) is answered for real and cached. A replayed answer gets a fresh id and the new prompt's real token
 * count (one cheap prefill: the supplier computes it so that a usage audit finds nothing), and keeps the cached
 * completion and its token count.
 *
 * @example
 * const parrot = replaying(await createEmbeddedBackend());
 * await parrot.chat({ model, messages: [{ role: "user", content: "a" }] }); // generated, cached
 * await parrot.chat({ model, messages: [{ role: "user", content: "b" }] }); // the answer to "a"
 */
export function replaying(inner: DigestBackend, options: ReplayingOptions = {}): AdversarialBackend {
  return new Replaying(inner, options);
}

class Replaying extends AdversarialWrapper {
  readonly behaviour = "replaying" as const;
  readonly #tokenizer: TextTokenizer;
  readonly #cache: Record<CompletionKind, Cached[]> = { chat: [], complete: [] };
  readonly #options: Required<ReplayingOptions>;
  #turn = 0;

  constructor(inner: DigestBackend, options: ReplayingOptions) {
    super(inner);
    this.#tokenizer = tokenizerOf(inner);
    this.#options = { probability: 1, cacheSize: 32, random: Math.random, ...options };
  }

  protected async serve(kind: CompletionKind, request: unknown, options?: RequestOptions): Promise<Answer> {
    const { stream, includeUsage } = streamShape(request);
    const key = promptKey(request);
    const limit = maxTokens(request);
    const fits = this.#cache[kind].filter(
      (c) => c.key !== key && c.response.usage.completion_tokens <= limit,
    );
    let answer: WholeResponse;
    if (fits.length > 0 && this.#options.random() < this.#options.probability) {
      const cached = fits[this.#turn++ % fits.length] as Cached;
      // The prompt's true size, from a one-token generation: cheap next to generating the answer.
      const probe = {
        ...(request as object),
        max_tokens: 1,
        ...(kind === "chat" ? { max_completion_tokens: 1 } : {}),
      };
      const promptTokens = (await callWhole(this.inner, kind, probe, options)).usage.prompt_tokens;
      answer = {
        ...cached.response,
        id: `${kind === "chat" ? "chatcmpl" : "cmpl"}-${randomBytes(12).toString("base64url")}`,
        created: Math.floor(Date.now() / 1000),
        usage: usage(promptTokens, cached.response.usage.completion_tokens),
      };
      this.tally.tampered++;
    } else {
      answer = await callWhole(this.inner, kind, request, options);
      const cache = this.#cache[kind];
      cache.push({ key, response: answer });
      if (cache.length > this.#options.cacheSize) cache.shift();
    }
    return stream
      ? (toChunks(answer, this.#tokenizer.pieces(textOf(answer)), includeUsage) as Answer)
      : answer;
  }
}

/** What makes two requests the same prompt: the model and the messages or prompt. */
function promptKey(request: unknown): string {
  const r = request as { model?: unknown; messages?: unknown; prompt?: unknown };
  return JSON.stringify([r.model, r.messages ?? null, r.prompt ?? null]);
}

function maxTokens(request: unknown): number {
  const r = request as { max_tokens?: unknown; max_completion_tokens?: unknown };
  const limit = r.max_completion_tokens ?? r.max_tokens;
  return typeof limit === "number" ? limit : Number.POSITIVE_INFINITY;
}
