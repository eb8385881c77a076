import type { RequestOptions } from "../backend.js";
import { type TextTokenizer, tokenizerOf } from "./tokens.js";
import type { AdversarialBackend, DigestBackend } from "./types.js";
import { type CompletionKind, callWhole, streamShape, textOf, toChunks, usage, withText } from "./whole.js";
import { AdversarialWrapper, type Answer } from "./wrapper.js";

/** Options of {@link truncating}. */
export type TruncatingOptions = {
  /** Share of the generated tokens it returns, in (0, 1). Default 0.5. */
  keep?: number;
  /**
   * The usage it reports: "consistent" counts the tokens it returned (plus the end-of-turn token an honest "stop"
   * counts), so a usage audit finds nothing; "original" bills the whole generation it threw away. Default
   * "consistent".
   */
  usage?: "consistent" | "original";
  /** Answers with fewer completion tokens are returned whole. Default 2. */
  minTokens?: number;
};

/**
 * A supplier that cuts completions short: it generates the whole answer, returns only its first `keep` share (cut at
 * token boundaries, streamed one token per chunk when asked), and claims `finish_reason: "stop"` as if the model
 * had ended its turn there.
 *
 * @example
 * const cutter = truncating(await createEmbeddedBackend(), { keep: 0.5, usage: "consistent" });
 */
export function truncating(inner: DigestBackend, options: TruncatingOptions = {}): AdversarialBackend {
  const keep = options.keep ?? 0.5;
  if (!(keep > 0 && keep < 1)) throw new RangeError(`keep must be in (0, 1), got ${keep}`);
  return new Truncating(inner, keep, options.usage ?? "consistent", options.minTokens ?? 2);
}

class Truncating extends AdversarialWrapper {
  readonly behaviour = "truncating" as const;
  readonly #tokenizer: TextTokenizer;

  constructor(
    inner: DigestBackend,
    readonly keep: number,
    readonly usageMode: "consistent" | "original",
    readonly minTokens: number,
  ) {
    super(inner);
    this.#tokenizer = tokenizerOf(inner);
  }

  protected async serve(kind: CompletionKind, request: unknown, options?: RequestOptions): Promise<Answer> {
    const { stream, includeUsage } = streamShape(request);
    let answer = await callWhole(this.inner, kind, request, options);
    const pieces = this.#tokenizer.pieces(textOf(answer));
    const kept = Math.max(1, Math.floor(pieces.length * this.keep));
    if (answer.usage.completion_tokens >= this.minTokens && kept < pieces.length) {
      const text = pieces.slice(0, kept).join("");
      const completion =
        this.usageMode === "consistent" ? this.#tokenizer.count(text) + 1 : answer.usage.completion_tokens;
      answer = withText(answer, text, "stop", usage(answer.usage.prompt_tokens, completion));
      pieces.length = kept;
      this.tally.tampered++;
    }
    return stream ? (toChunks(answer, pieces, includeUsage) as Answer) : answer;
  }
}
