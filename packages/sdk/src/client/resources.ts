import type { Address, Hex } from "viem";
import { DecaiError } from "../errors.js";
import type { SortBy } from "../qos/supplierScorer.js";
import type { RelayReceipt } from "../relay/receipt.js";
import type { RelayTiming } from "../relay/relayStream.js";
import type { ClientRelayResult, DecaiClient, RelayParameters } from "./decaiClient.js";
import type { DecaiStream } from "./decaiStream.js";
import type {
  ChatCompletion,
  ChatCompletionChunk,
  ChatCompletionCreateParams,
  Completion,
  CompletionChunk,
  CompletionCreateParams,
  CreateEmbeddingResponse,
  EmbeddingCreateParams,
} from "./openai.js";

/** Per-call options of the OpenAI-style methods. */
export type RequestOptions = {
  /** The application to act for (a gateway serving many); default: the client's. */
  application?: Address;
  /** The service, when it is not the body's `model`. */
  service?: string | Hex;
  sort?: SortBy;
  hedge?: { delayMs: number } | false;
  signal?: AbortSignal;
};

/** Where an answer came from and its checked receipt. */
export type RelayMeta = {
  supplier: Address;
  session: bigint;
  relayHash: Hex;
  receipt: RelayReceipt;
  timing: RelayTiming;
};

/** An OpenAI answer with a non-enumerable `decai` field (JSON.stringify leaves it out). */
export type WithDecai<T> = T & { readonly decai: RelayMeta };

/**
 * A streamed OpenAI answer: iterate the parsed chunks; `receipt` resolves after the last one. An error the
 * backend reports inside the stream is thrown from the iteration as a `DecaiError`.
 */
export type ChunkStream<T> = AsyncIterable<T> & {
  readonly supplier: Address;
  readonly session: bigint;
  readonly relayHash: Hex;
  readonly receipt: Promise<RelayReceipt>;
  cancel(): void;
};

type Create<P, T, C> = {
  (params: P & { stream?: false | null }, options?: RequestOptions): Promise<WithDecai<T>>;
  (params: P & { stream: true }, options?: RequestOptions): Promise<ChunkStream<C>>;
};

/** @internal The OpenAI-style namespaces of a `DecaiClient`. */
export type Resources = {
  chat: { completions: { create: Create<ChatCompletionCreateParams, ChatCompletion, ChatCompletionChunk> } };
  completions: { create: Create<CompletionCreateParams, Completion, CompletionChunk> };
  embeddings: {
    create(
      params: EmbeddingCreateParams,
      options?: RequestOptions,
    ): Promise<WithDecai<CreateEmbeddingResponse>>;
  };
};

/** @internal */
export function createResources(client: DecaiClient, defaultMaxTokens: number): Resources {
  const send = async (path: string, body: Record<string, unknown>, options: RequestOptions = {}) => {
    const params: RelayParameters = { path, body, ...options };
    return client.relay(params);
  };
  const bounded = (params: { max_tokens?: unknown; max_completion_tokens?: unknown }) =>
    params.max_tokens === undefined && params.max_completion_tokens === undefined
      ? { ...params, max_tokens: defaultMaxTokens }
      : params;
  const create =
    (path: string) =>
    async (params: Record<string, unknown>, options?: RequestOptions): Promise<never> => {
      const result = await send(path, bounded(params), options);
      return (params.stream === true ? chunks(result) : json(result)) as never;
    };
  return {
    chat: { completions: { create: create("/v1/chat/completions") as never } },
    completions: { create: create("/v1/completions") as never },
    embeddings: {
      create: async (params, options) => json(await send("/v1/embeddings", params, options)) as never,
    },
  };
}

function json(result: ClientRelayResult): WithDecai<unknown> {
  if (result.stream) {
    result.cancel();
    throw new DecaiError(`Supplier ${result.supplier} streamed an answer to a request without stream: true.`);
  }
  const value = JSON.parse(result.body.toString("utf8")) as object;
  const decai: RelayMeta = {
    supplier: result.supplier,
    session: result.session,
    relayHash: result.relayHash,
    receipt: result.receipt,
    timing: result.timing,
  };
  Object.defineProperty(value, "decai", { value: decai, enumerable: false });
  return value as WithDecai<unknown>;
}

function chunks(result: ClientRelayResult): ChunkStream<unknown> {
  if (!result.stream) {
    throw new DecaiError(`Supplier ${result.supplier} answered a stream: true request without streaming.`);
  }
  const stream: DecaiStream = result;
  return {
    supplier: stream.supplier,
    session: stream.session,
    relayHash: stream.relayHash,
    receipt: stream.receipt,
    cancel: () => stream.cancel(),
    async *[Symbol.asyncIterator]() {
      for await (const event of stream) {
        if (event.data === "" || event.data === "[DONE]") continue;
        const chunk = JSON.parse(event.data) as { error?: { message?: string } };
        if (chunk.error) {
          throw new DecaiError(
            `The model failed mid-stream: ${chunk.error.message ?? JSON.stringify(chunk.error)}`,
          );
        }
        yield chunk;
      }
    },
  };
}
