import type { IncomingHttpHeaders, IncomingMessage } from "node:http";
import {
  createResponseHasher,
  type RelayDomainInput,
  type RelayRequest,
  relayResponseEventName,
  splitRelayResponseEvent,
} from "@decai/core";
import type { Address, Hex } from "viem";
import { RelayStreamError } from "../errors.js";
import { checkReceipt, type RelayReceipt, type UsagePolicy } from "./receipt.js";
import { type SseEvent, SseSplitter } from "./sse.js";
import { carriesOutput, type RequestInfo, reportedUsage, type TokenUsage } from "./usage.js";

/** When a relay's milestones happened, in ms after it was sent. */
export type RelayTiming = {
  /** Response headers received (for non-streamed relays: the whole answer is ready). */
  headersMs: number;
  /** First event carrying output (streams only). */
  ttftMs?: number;
  /** Last byte received. */
  latencyMs?: number;
};

/** @internal What a stream needs to check its receipt. */
export type StreamContext = {
  request: RelayRequest;
  requestSignature: Hex;
  relayHash: Hex;
  domain: RelayDomainInput;
  info: RequestInfo;
  policy: UsagePolicy | undefined;
  sentAt: number;
  abort: AbortController;
};

const noop = () => {};

/**
 * A streamed relay answer (SSE) from a RelayMiner: iterate it for the events, exactly as the supplier sent
 * them, minus the final signed receipt event; `receipt` resolves once the stream has ended, with the receipt
 * checked against every byte received. A stream cut before its end throws `RelayStreamError` from the
 * iteration (and rejects `receipt`). Breaking out of the loop cancels the relay. Iterate it once.
 *
 * @example
 * const stream = await sendRelay({ ...params, body: JSON.stringify({ ...chat, stream: true }) });
 * if (stream.stream) {
 *   for await (const event of stream) process.stdout.write(event.data);
 *   const receipt = await stream.receipt; // receipt.valid, receipt.relay, receipt.evidence
 * }
 */
export class RelayStream implements AsyncIterable<SseEvent> {
  readonly stream = true as const;
  readonly supplier: Address;
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly request: RelayRequest;
  readonly relayHash: Hex;
  /** Resolves after the last event with the checked receipt; rejects when the stream broke or was cancelled. */
  readonly receipt: Promise<RelayReceipt>;
  readonly timing: RelayTiming;
  readonly #res: IncomingMessage;
  readonly #ctx: StreamContext;
  #settle!: { resolve: (r: RelayReceipt) => void; reject: (e: unknown) => void };
  #iterated = false;
  #cancelled = false;

  /** @internal Built by `sendRelay`. */
  constructor(res: IncomingMessage, ctx: StreamContext, headersMs: number) {
    this.#res = res;
    this.#ctx = ctx;
    this.supplier = ctx.request.supplier;
    this.status = res.statusCode ?? 200;
    this.headers = res.headers;
    this.request = ctx.request;
    this.relayHash = ctx.relayHash;
    this.timing = { headersMs };
    this.receipt = new Promise((resolve, reject) => {
      this.#settle = { resolve, reject };
    });
    this.receipt.catch(noop); // a caller that never asks for the receipt must not crash the process
  }

  /** Stops the relay: the connection is closed, so the RelayMiner stops generating. */
  cancel(): void {
    this.#cancelled = true;
    this.#ctx.abort.abort();
    this.#res.destroy();
  }

  [Symbol.asyncIterator](): AsyncIterator<SseEvent> {
    if (this.#iterated) throw new Error("a RelayStream can be iterated only once");
    this.#iterated = true;
    return this.#events();
  }

  async *#events(): AsyncGenerator<SseEvent> {
    const { request, sentAt } = this.#ctx;
    const splitter = new SseSplitter();
    const hasher = createResponseHasher();
    let receiptEvent: SseEvent | undefined;
    let trailing = false;
    let reported: TokenUsage | undefined;
    let ended = false;
    try {
      try {
        for await (const chunk of this.#res as AsyncIterable<Buffer>) {
          for (const event of splitter.push(chunk)) {
            if (receiptEvent) {
              trailing = true;
            } else if (event.event === relayResponseEventName) {
              receiptEvent = event;
            } else {
              hasher.update(event.bytes);
              reported = this.#observe(event, reported);
              yield event;
            }
          }
        }
      } catch (cause) {
        const error = this.#cancelled
          ? new RelayStreamError(request.supplier, "The stream was cancelled before its end.", {
              cause,
              cancelled: true,
            })
          : new RelayStreamError(
              request.supplier,
              `The stream from supplier ${request.supplier} broke off before its end: ${(cause as Error).message}`,
              { cause },
            );
        this.#settle.reject(error);
        throw error;
      }
      ended = true;
      this.timing.latencyMs = performance.now() - sentAt;
      const rest = splitter.end();
      if (rest.length > 0) {
        if (receiptEvent) trailing = true;
        else hasher.update(rest);
      }
      let decoded: ReturnType<typeof splitRelayResponseEvent>["response"] | Error;
      if (!receiptEvent) decoded = new Error(`the stream ended without a "${relayResponseEventName}" event`);
      else if (trailing) decoded = new Error(`data followed the "${relayResponseEventName}" event`);
      else {
        try {
          decoded = splitRelayResponseEvent(receiptEvent.bytes.toString("utf8")).response;
        } catch (error) {
          decoded = error as Error;
        }
      }
      this.#settle.resolve(
        checkReceipt({
          request,
          requestSignature: this.#ctx.requestSignature,
          relayHash: this.#ctx.relayHash,
          domain: this.#ctx.domain,
          receipt: decoded,
          receivedDigest: hasher.digest(),
          info: this.#ctx.info,
          reported,
          policy: this.#ctx.policy,
        }),
      );
    } finally {
      if (!ended) {
        // The caller stopped early (or the stream broke): close the connection so generation stops.
        this.cancel();
        this.#settle.reject(
          new RelayStreamError(request.supplier, "The stream was cancelled before its end.", {
            cancelled: true,
          }),
        );
      }
    }
  }

  /** Notes the first output token, and the usage chunk when the stream sends one. */
  #observe(event: SseEvent, reported: TokenUsage | undefined): TokenUsage | undefined {
    const first = this.timing.ttftMs === undefined;
    if (!first && !event.data.includes('"usage"')) return reported;
    if (event.data === "" || event.data === "[DONE]") return reported;
    let json: unknown;
    try {
      json = JSON.parse(event.data);
    } catch {
      return reported;
    }
    if (first && carriesOutput(json)) this.timing.ttftMs = performance.now() - this.#ctx.sentAt;
    return reportedUsage(json) ?? reported;
  }
}
