import type { IncomingMessage, ServerResponse } from "node:http";
import { createResponseHasher, formatRelayResponseEvent } from "@decai/core";
import { RelayRejection } from "./errors.js";
import type { Flight, RelayHandlerDeps } from "./relayFlight.js";
import { clientLeft, openTree, settle } from "./relaySettle.js";
import { SseUsageCounter } from "./sse.js";
import { estimateTokens, type TokenUsage } from "./usage.js";

/** Most bytes of a streamed answer held back while waiting for its first complete event. */
const maxStreamPreamble = 64 * 1024;

/**
 * Serves a backend's SSE answer: holds it back until its first complete event, then passes every chunk on while
 * hashing and counting it, and ends with the signed receipt event. A broken or garbled stream is not signed.
 * @internal
 *
 * @example
 * if (isEventStream) return streamResponse(res, upstream, flight, gone, deps);
 */
export async function streamResponse(
  res: ServerResponse,
  upstream: IncomingMessage,
  flight: Flight,
  gone: { client: boolean },
  deps: RelayHandlerDeps,
): Promise<void> {
  const hasher = createResponseHasher();
  const counter = new SseUsageCounter();
  // Held back until the first complete event shows the backend speaks SSE: garbage before it gets a clean 502.
  let preamble: Buffer[] | undefined = [];
  let held = 0;
  let sent = 0;
  let fault: string | undefined;
  const write = async (chunk: Buffer) => {
    // Hash and count exactly the bytes handed to the client.
    hasher.update(chunk);
    sent += chunk.length;
    if (!res.write(chunk)) await drainedOrClosed(res);
  };
  try {
    for await (const chunk of upstream as AsyncIterable<Buffer>) {
      if (gone.client) break;
      counter.push(chunk);
      if (counter.invalidEvents > 0) {
        fault = "an event that is not JSON";
        break;
      }
      if (preamble) {
        preamble.push(chunk);
        held += chunk.length;
        if (counter.events === 0) {
          if (held > maxStreamPreamble) {
            fault = `${held} bytes without a complete event`;
            break;
          }
          continue;
        }
        await openTree(flight, deps);
        writeStreamHead(res, upstream);
        for (const c of preamble) await write(c);
        preamble = undefined;
        continue;
      }
      await write(chunk);
    }
  } catch (error) {
    if (error instanceof RelayRejection) {
      upstream.destroy(); // the store refused before anything was sent: stop generating
      throw error;
    }
    if (!gone.client) fault = `the connection broke (${(error as Error).message})`;
  }
  if (!fault && !gone.client && !counter.done) fault = "it ended without data: [DONE]";
  if (gone.client) {
    upstream.destroy();
    // Mined only for what was delivered: the receipt covers the chunks sent before the client left.
    if (sent === 0) return clientLeft(flight, deps);
    deps.metrics.disconnects.inc({ service: flight.service });
    await settle(flight, streamUsage(counter, flight), hasher.digest(), false, deps);
    return;
  }
  if (fault) {
    upstream.destroy();
    // A partial or garbled stream is not a served relay: no receipt, nothing mined. Before the first event the
    // client gets a clean 502 (and may retry elsewhere); after it, the stream is cut.
    deps.metrics.backendErrors.inc({ service: flight.service, kind: "stream_error" });
    deps.log.warn("backend stream failed: not signed, not mined", { service: flight.service, fault });
    throw new RelayRejection("backend_error", `The supplier's model backend stream failed: ${fault}.`);
  }
  const receipt = await settle(flight, streamUsage(counter, flight), hasher.digest(), true, deps);
  res.end(formatRelayResponseEvent(receipt));
}

function writeStreamHead(res: ServerResponse, upstream: IncomingMessage): void {
  res.writeHead(200, {
    "content-type": upstream.headers["content-type"] ?? "text/event-stream",
    "cache-control": "no-cache",
    "x-accel-buffering": "no",
  });
  res.flushHeaders();
}

function streamUsage(counter: SseUsageCounter, flight: Flight): TokenUsage {
  return (
    counter.usage ?? {
      inputTokens: estimateTokens(flight.info.promptTextBytes),
      outputTokens: counter.outputChunks,
    }
  );
}

function drainedOrClosed(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off("drain", done);
      res.off("close", done);
      resolve();
    };
    res.on("drain", done);
    res.on("close", done);
  });
}
