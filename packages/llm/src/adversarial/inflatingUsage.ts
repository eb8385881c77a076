import { isStream, type RequestOptions } from "../backend.js";
import type { ChatCompletionChunk, CompletionChunk, Usage } from "../openai/types.js";
import type { AdversarialBackend, DigestBackend } from "./types.js";
import { type CompletionKind, streamShape, usage } from "./whole.js";
import { AdversarialWrapper, type Answer } from "./wrapper.js";

/** Options of {@link inflatingUsage}. */
export type InflatingUsageOptions = {
  /** Multiplies the completion tokens it produced. Default 1.5. */
  factor?: number;
  /** Then adds this many. Default 0. */
  extra?: number;
  /**
   * Never bill above the request's `max_tokens` (a client rejects such a receipt at once), so an answer that used
   * up its `max_tokens` is billed honestly. Default true.
   */
  clampToMaxTokens?: boolean;
};

type Chunk = ChatCompletionChunk | CompletionChunk;

/**
 * A supplier that bills more completion tokens than it produced: `ceil(n × factor) + extra`, at most the request's
 * `max_tokens` (so it only cheats on answers that end before their limit). The text is the honest one. Where usage
 * is reported (complete answers, streams with `stream_options.include_usage`) the number is raised; a stream
 * without a usage chunk is split into more chunks instead, since a RelayMiner then counts one token per chunk.
 *
 * @example
 * const biller = inflatingUsage(await createEmbeddedBackend(), { factor: 1.5 });
 */
export function inflatingUsage(
  inner: DigestBackend,
  options: InflatingUsageOptions = {},
): AdversarialBackend {
  const factor = options.factor ?? 1.5;
  const extra = options.extra ?? 0;
  if (!(factor >= 1) || !(extra >= 0) || (factor === 1 && extra === 0)) {
    throw new RangeError("inflatingUsage needs factor >= 1 and extra >= 0, one of them raising the count");
  }
  return new InflatingUsage(inner, (n) => Math.ceil(n * factor) + extra, options.clampToMaxTokens ?? true);
}

class InflatingUsage extends AdversarialWrapper {
  readonly behaviour = "inflating-usage" as const;

  constructor(
    inner: DigestBackend,
    readonly inflate: (tokens: number) => number,
    readonly clamp: boolean,
  ) {
    super(inner);
  }

  protected async serve(kind: CompletionKind, request: unknown, options?: RequestOptions): Promise<Answer> {
    const answer = await this.callInner(kind, request, options);
    const limit = this.clamp ? maxTokensOf(request) : Number.POSITIVE_INFINITY;
    const inflate = (n: number) => Math.max(n, Math.min(limit, this.inflate(n)));
    const bill = (u: Usage) => {
      const billed = inflate(u.completion_tokens);
      if (billed > u.completion_tokens) this.tally.tampered++;
      return usage(u.prompt_tokens, billed);
    };
    if (!isStream(answer)) return { ...answer, usage: bill(answer.usage) };
    const chunks = answer as AsyncIterable<Chunk>;
    if (streamShape(request).includeUsage) {
      return (async function* () {
        for await (const chunk of chunks) yield chunk.usage ? { ...chunk, usage: bill(chunk.usage) } : chunk;
      })() as Answer;
    }
    return splitChunks(chunks, inflate, () => this.tally.tampered++) as Answer;
  }
}

/** The request's completion-token limit (`max_completion_tokens` or `max_tokens`); infinite without one. */
function maxTokensOf(request: unknown): number {
  const r = request as { max_tokens?: unknown; max_completion_tokens?: unknown };
  const limit = r.max_completion_tokens ?? r.max_tokens;
  return typeof limit === "number" ? limit : Number.POSITIVE_INFINITY;
}

/** Re-cuts the content chunks so that after n honest ones, inflate(n) have gone out (as far as characters allow). */
async function* splitChunks(
  chunks: AsyncIterable<Chunk>,
  inflate: (n: number) => number,
  onTampered: () => void,
): AsyncGenerator<Chunk> {
  let seen = 0;
  let sent = 0;
  for await (const chunk of chunks) {
    const choice = chunk.choices[0];
    const text = choice ? ("delta" in choice ? choice.delta.content : choice.text) : undefined;
    if (!choice || !text) {
      yield chunk;
      continue;
    }
    seen++;
    const chars = Array.from(text);
    const parts = Math.max(1, Math.min(chars.length, inflate(seen) - sent));
    for (let i = 0; i < parts; i++) {
      const piece = chars
        .slice(Math.floor((i * chars.length) / parts), Math.floor(((i + 1) * chars.length) / parts))
        .join("");
      const first = i === 0;
      const next =
        "delta" in choice
          ? {
              ...choice,
              delta: { ...choice.delta, content: piece },
              logprobs: first ? choice.logprobs : null,
            }
          : { ...choice, text: piece, logprobs: first ? choice.logprobs : null };
      sent++;
      yield { ...chunk, choices: [next] } as Chunk;
    }
  }
  if (sent > seen) onTampered();
}
