import type { IncomingMessage, ServerResponse } from "node:http";
import { computeResponseDigest, encodeRelayResponseHeader, relayResponseHeaderName } from "@decai/core";
import { RelayRejection } from "./errors.js";
import { type BackendClient, BackendUnavailableError, readAll } from "./proxy.js";
import type { Flight, RelayHandlerDeps } from "./relayFlight.js";
import { clientLeft, settle } from "./relaySettle.js";
import { streamResponse } from "./relayStream.js";
import { usageFromJson } from "./usage.js";

/**
 * Forwards an admitted relay to its backend and answers the client: a complete JSON answer with the signed
 * receipt in a header, or (for SSE) a stream. A backend 4xx is passed on unserved; a 5xx, an outage or an
 * answer that is not JSON is refused, so the client may retry elsewhere.
 * @internal
 *
 * @example
 * await proxy(req, res, body, flight, backend.client, deps);
 */
export async function proxy(
  req: IncomingMessage,
  res: ServerResponse,
  body: Buffer,
  flight: Flight,
  backend: BackendClient,
  deps: RelayHandlerDeps,
): Promise<void> {
  const abort = new AbortController();
  const gone = { client: false };
  res.on("close", () => {
    if (res.writableFinished) return;
    gone.client = true;
    abort.abort(); // cancels the backend's generation
  });
  const sentAt = performance.now();
  let upstream: IncomingMessage;
  try {
    upstream = await backend.forward({
      method: req.method ?? "POST",
      path: req.url ?? "/",
      body,
      contentType: req.headers["content-type"],
      signal: abort.signal,
    });
  } catch (error) {
    if (gone.client) return clientLeft(flight, deps);
    deps.metrics.backendErrors.inc({ service: flight.service, kind: "unavailable" });
    deps.log.warn("backend unavailable", { service: flight.service, error });
    const detail = error instanceof BackendUnavailableError ? error.message : String(error);
    throw new RelayRejection(
      "backend_unavailable",
      `The supplier's model backend is unavailable (${detail}).`,
    );
  }
  deps.metrics.backendFirstByte.observe((performance.now() - sentAt) / 1000, { service: flight.service });
  const status = upstream.statusCode ?? 502;
  if (status >= 500) {
    upstream.resume();
    deps.metrics.backendErrors.inc({ service: flight.service, kind: "status_5xx" });
    throw new RelayRejection("backend_error", `The supplier's model backend failed with HTTP ${status}.`);
  }
  if (status >= 400) {
    // The backend refused the request itself (bad parameters): pass its answer on; nothing was served.
    const answer = await readAll(upstream);
    deps.meter.release(flight.reservation);
    deps.replay.release(flight.relay.request.session, flight.relay.relayHash);
    res.writeHead(status, { "content-type": upstream.headers["content-type"] ?? "application/json" });
    res.end(answer);
    return;
  }
  if (String(upstream.headers["content-type"]).startsWith("text/event-stream")) {
    flight.stream = true;
    return streamResponse(res, upstream, flight, gone, deps);
  }
  let answer: Buffer;
  try {
    answer = await readAll(upstream);
  } catch (error) {
    if (gone.client) return clientLeft(flight, deps);
    throw new RelayRejection("backend_error", `The model backend's response broke off (${String(error)}).`);
  }
  if (gone.client) return clientLeft(flight, deps);
  let json: unknown;
  try {
    json = JSON.parse(answer.toString("utf8"));
  } catch {
    json = undefined;
  }
  if (json === null || typeof json !== "object") {
    // Garbage is not an answer: nothing is signed or mined, and the client may retry elsewhere.
    deps.metrics.backendErrors.inc({ service: flight.service, kind: "invalid_response" });
    deps.log.warn("backend answered with a body that is not JSON", { service: flight.service });
    throw new RelayRejection(
      "backend_error",
      "The supplier's model backend answered with a body that is not an OpenAI-style JSON object.",
    );
  }
  const receipt = await settle(
    flight,
    usageFromJson(json, flight.info),
    computeResponseDigest(answer),
    true,
    deps,
  );
  res.writeHead(200, {
    "content-type": upstream.headers["content-type"] ?? "application/json",
    "content-length": answer.length,
    [relayResponseHeaderName]: encodeRelayResponseHeader(receipt),
  });
  res.end(answer);
}
