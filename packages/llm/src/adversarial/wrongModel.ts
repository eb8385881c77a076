import { isStream, type RequestOptions } from "../backend.js";
import {
  createEmbeddedBackend,
  type EmbeddedBackend,
  type EmbeddedBackendOptions,
} from "../embedded/createEmbeddedBackend.js";
import { defaultModelsDir, tinyModelId } from "../embedded/loadModel.js";
import { ensureTinyModel } from "../model/ensureTinyModel.js";
import type { TinyModelOptions } from "../model/tinyModel.js";
import type { AdversarialBackend, DigestBackend } from "./types.js";

type Hex = `0x${string}`;

import type { CompletionKind } from "./whole.js";
import { AdversarialWrapper, type Answer } from "./wrapper.js";

/** Options of {@link wrongModel}. */
export type WrongModelOptions = {
  /** The digest it claims to serve: the service's honest one. */
  claimedDigest: Hex;
  /**
   * `system_fingerprint` to put on every answer. Default: the one an honest embedded backend derives from
   * `claimedDigest` (`fp_` + 12 hex digits), so the label does not give it away.
   */
  systemFingerprint?: string | null;
};

/**
 * A supplier that serves another model than the service's and lies about it: answers come from `inner` (a backend
 * on another model file, under the same model name), while `weightsDigest()` and every answer's
 * `system_fingerprint` claim the honest file. Artifact checks see nothing wrong; only the answers betray it.
 *
 * @example
 * const liar = wrongModel(await createEmbeddedBackend({ model: otherGguf, modelId: "decai-tiny" }), {
 *   claimedDigest: await honest.weightsDigest(),
 * });
 */
export function wrongModel(inner: DigestBackend, options: WrongModelOptions): AdversarialBackend {
  return new WrongModel(inner, options);
}

class WrongModel extends AdversarialWrapper {
  readonly behaviour = "wrong-model" as const;
  readonly #digest: Hex;
  readonly #fingerprint: string | null;

  constructor(inner: DigestBackend, options: WrongModelOptions) {
    super(inner);
    this.#digest = options.claimedDigest.toLowerCase() as Hex;
    this.#fingerprint =
      options.systemFingerprint === undefined ? `fp_${this.#digest.slice(2, 14)}` : options.systemFingerprint;
  }

  override weightsDigest(): Promise<Hex> {
    return Promise.resolve(this.#digest);
  }

  protected async serve(kind: CompletionKind, request: unknown, options?: RequestOptions): Promise<Answer> {
    const answer = await this.callInner(kind, request, options);
    this.tally.tampered++; // every answer comes from the wrong weights
    const fingerprint = this.#fingerprint;
    if (!isStream(answer)) return { ...answer, system_fingerprint: fingerprint };
    return (async function* () {
      for await (const chunk of answer as AsyncIterable<{ system_fingerprint: string | null }>) {
        yield { ...chunk, system_fingerprint: fingerprint };
      }
    })() as Answer;
  }
}

/** Options of {@link createWrongModelBackend}. */
export type CreateWrongModelBackendOptions = Omit<EmbeddedBackendOptions, "model"> & {
  /** The digest it claims: the service's honest one. */
  claimedDigest: Hex;
  /** Seed of the generated tiny model it really serves; anything but the honest seed (1). Default "wrong-model". */
  seed?: string | number;
  /** Other shape options of that tiny model (default: the honest shape, so only the weights differ). */
  tinyModel?: Omit<TinyModelOptions, "seed">;
};

/**
 * Generates another tiny model (same shape and vocabulary, weights from another seed), serves it under the honest
 * model name (default `decai-tiny`) and wraps it in {@link wrongModel}. `actualDigest` is the file it really loaded.
 *
 * @example
 * const liar = await createWrongModelBackend({ claimedDigest: await honest.weightsDigest(), llama });
 * liar.actualDigest !== (await liar.weightsDigest()); // true
 */
export async function createWrongModelBackend(
  options: CreateWrongModelBackendOptions,
): Promise<AdversarialBackend & { readonly actualDigest: Hex; readonly embedded: EmbeddedBackend }> {
  const { claimedDigest, seed = "wrong-model", tinyModel, ...embedded } = options;
  const file = await ensureTinyModel(embedded.modelsDir ?? defaultModelsDir(), { ...tinyModel, seed });
  if (file.sha256 === claimedDigest.toLowerCase()) {
    throw new Error(`seed ${String(seed)} generates the honest model itself: pick another seed`);
  }
  const backend = await createEmbeddedBackend({
    ...embedded,
    model: file.path,
    modelId: embedded.modelId ?? tinyModelId,
  });
  return Object.assign(wrongModel(backend, { claimedDigest }), {
    actualDigest: file.sha256,
    embedded: backend,
  });
}
