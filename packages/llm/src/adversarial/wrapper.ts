import type { ChatCompletionStream, CompletionStream, RequestOptions } from "../backend.js";
import type { EmbeddingRequest, EmbeddingResponse, ModelObject } from "../openai/types.js";
import type { AdversarialBackend, AdversarialBehaviour, AdversarialCounts, DigestBackend } from "./types.js";
import type { CompletionKind, WholeResponse } from "./whole.js";

/** An answer as a backend method returns it: complete, or a stream of chunks. */
export type Answer = WholeResponse | ChatCompletionStream | CompletionStream;

/**
 * The common frame of the adversarial backends: models, embeddings, the digest and `close` go to the wrapped
 * backend unchanged; chat and text completions go through `serve`, where each subclass misbehaves.
 */
export abstract class AdversarialWrapper implements AdversarialBackend {
  abstract readonly behaviour: AdversarialBehaviour;
  readonly inner: DigestBackend;
  protected readonly tally: AdversarialCounts = { served: 0, tampered: 0 };

  constructor(inner: DigestBackend) {
    this.inner = inner;
  }

  models(options?: RequestOptions): Promise<ModelObject[]> {
    return this.inner.models(options);
  }

  embed(request: EmbeddingRequest, options?: RequestOptions): Promise<EmbeddingResponse> {
    return this.inner.embed(request, options);
  }

  weightsDigest(): Promise<`0x${string}`> {
    return this.inner.weightsDigest();
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  counts(): AdversarialCounts {
    return { ...this.tally };
  }

  async chat(request: unknown, options?: RequestOptions): Promise<never> {
    const answer = await this.serve("chat", request, options);
    this.tally.served++;
    return answer as never;
  }

  async complete(request: unknown, options?: RequestOptions): Promise<never> {
    const answer = await this.serve("complete", request, options);
    this.tally.served++;
    return answer as never;
  }

  /** Answers one completion request (validation errors of the wrapped backend pass through unchanged). */
  protected abstract serve(kind: CompletionKind, request: unknown, options?: RequestOptions): Promise<Answer>;

  /** Calls the wrapped backend's endpoint for `kind` with the request as the client sent it. */
  protected callInner(kind: CompletionKind, request: unknown, options?: RequestOptions): Promise<Answer> {
    return kind === "chat"
      ? this.inner.chat(request as never, options)
      : this.inner.complete(request as never, options);
  }
}
