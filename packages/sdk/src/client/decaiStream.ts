import type { RelayRequest } from "@decai/core";
import type { Address, Hex } from "viem";
import type { RelayReceipt } from "../relay/receipt.js";
import type { RelayStream, RelayTiming } from "../relay/relayStream.js";
import type { SseEvent } from "../relay/sse.js";

/**
 * A streamed answer that `DecaiClient` has committed to: its first event already arrived (so no retry can
 * happen any more) and is yielded first. Same surface as `RelayStream`: iterate the events (exact bytes, the
 * receipt event left out), then await `receipt`; a cut after the first event throws `RelayStreamError`.
 *
 * @example
 * const answer = await client.relay({ body: { model: "tiny-llama", messages, stream: true } });
 * if (answer.stream) for await (const event of answer) res.write(event.bytes);
 */
export class DecaiStream implements AsyncIterable<SseEvent> {
  readonly stream = true as const;
  readonly supplier: Address;
  readonly session: bigint;
  readonly request: RelayRequest;
  readonly relayHash: Hex;
  readonly receipt: Promise<RelayReceipt>;
  readonly #inner: RelayStream;
  readonly #iterator: AsyncIterator<SseEvent>;
  #first: SseEvent | undefined;
  #iterated = false;

  /** @internal Built by `DecaiClient` after peeking the first event. */
  constructor(inner: RelayStream, iterator: AsyncIterator<SseEvent>, first: SseEvent | undefined) {
    this.#inner = inner;
    this.#iterator = iterator;
    this.#first = first;
    this.supplier = inner.supplier;
    this.session = inner.request.session;
    this.request = inner.request;
    this.relayHash = inner.relayHash;
    this.receipt = inner.receipt;
  }

  /** Milestones so far (headers, first token, last byte). */
  get timing(): RelayTiming {
    return this.#inner.timing;
  }

  /** Stops the relay; the RelayMiner stops generating. */
  cancel(): void {
    void this.#iterator.return?.();
    this.#inner.cancel();
  }

  [Symbol.asyncIterator](): AsyncIterator<SseEvent> {
    if (this.#iterated) throw new Error("a DecaiStream can be iterated only once");
    this.#iterated = true;
    return this.#events();
  }

  async *#events(): AsyncGenerator<SseEvent> {
    let finished = false;
    try {
      if (this.#first) {
        const first = this.#first;
        this.#first = undefined;
        yield first;
      }
      for (;;) {
        const next = await this.#iterator.next();
        if (next.done) break;
        yield next.value;
      }
      finished = true;
    } finally {
      if (!finished) await this.#iterator.return?.();
    }
  }
}
