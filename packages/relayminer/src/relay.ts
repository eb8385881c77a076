import type { IncomingMessage, ServerResponse } from "node:http";
import {
  computeResponseDigest,
  createResponseHasher,
  encodeRelayResponseHeader,
  formatRelayResponseEvent,
  isRewardApplicable,
  type Relay,
  type RelayResponse,
  relayResponseHeaderName,
  relayWeight,
  type SignedRelayResponse,
  signRelayResponse,
} from "@decai/core";
import { readBody } from "./body.js";
import { RelayRejection, sendRejection } from "./errors.js";
import type { Logger } from "./log.js";
import type { RelayMeter, Reservation } from "./meter.js";
import type { RelayMinerMetrics } from "./metrics.js";
import type { SessionTrees } from "./mining/trees.js";
import { type BackendClient, BackendUnavailableError, readAll } from "./proxy.js";
import type { ReplayGuard } from "./replay.js";
import { SseUsageCounter } from "./sse.js";
import {
  estimateTokens,
  parseRequestBody,
  type RequestBodyInfo,
  responseUsage,
  type TokenUsage,
  toUint32,
} from "./usage.js";
import {
  type AuthorizedRelay,
  authorizeRelay,
  checkRequestDigest,
  type ValidationContext,
} from "./validate.js";

/** A served relay, as reported to `onRelay` observers (the claim lifecycle, tests). */
export type ServedRelay = {
  relay: Relay;
  /** Compute units the meter charged. */
  weight: bigint;
  /** Whether it met the difficulty and went into its session tree. */
  mined: boolean;
  stream: boolean;
  /** False when the client left mid-stream: the receipt covers only what was sent before. */
  complete: boolean;
};

/** Everything one relay needs; built once by the server. */
export type RelayHandlerDeps = {
  validation: ValidationContext;
  /** Backend client and metrics label per lower-cased service id. */
  backends: ReadonlyMap<string, { name: string; client: BackendClient }>;
  maxBodyBytes: number;
  supplierKey: Uint8Array;
  meter: RelayMeter;
  replay: ReplayGuard;
  trees: SessionTrees;
  metrics: RelayMinerMetrics;
  log: Logger;
  onRelay?: (served: ServedRelay) => void;
  /**
   * Brings the chain cache up to date now. Called at most once per relay, only when the relay names a session
   * the cache has not seen start yet (its seed or first block): at a session rollover the application may read the
   * chain a few hundred ms before our next poll.
   */
  refreshChain?: () => Promise<unknown>;
};

/** Per-relay state shared by the serving paths. */
type Flight = {
  relay: AuthorizedRelay;
  info: RequestBodyInfo;
  reservation: Reservation;
  service: string;
  stream: boolean;
};

/**
 * Serves one relay: validate → meter → proxy → sign → mine → respond. Every refusal is an OpenAI-style error
 * with a stable code; a relay that was not served gives its reservation and its replay slot back.
 *
 * @example
 * server.on("request", (req, res) => handleRelay(req, res, deps));
 */
export async function handleRelay(req: IncomingMessage, res: ServerResponse, deps: RelayHandlerDeps) {
  const started = performance.now();
  let relay: AuthorizedRelay | undefined;
  let admitted = false;
  let reservation: Reservation | undefined;
  try {
    const header = req.headers["decai-relay-request"];
    try {
      relay = authorizeRelay(header, deps.validation);
    } catch (error) {
      const lagging =
        error instanceof RelayRejection &&
        (error.code === "session_not_ready" || error.code === "session_not_started");
      if (!lagging || !deps.refreshChain) throw error;
      // A chain that cannot be read now leaves the original refusal standing.
      if (
        (await deps.refreshChain().then(
          () => true,
          () => false,
        )) === false
      )
        throw error;
      relay = authorizeRelay(header, deps.validation);
    }
    const { request } = relay;
    const backend = deps.backends.get(request.serviceId.toLowerCase());
    if (!backend) throw new RelayRejection("model_not_found", "No backend is configured for this service.");
    const body = await readBody(req, deps.maxBodyBytes);
    checkRequestDigest(request, req.method ?? "POST", req.url ?? "/", body);
    const info = parseRequestBody(body);
    if (info.maxTokens !== undefined && info.maxTokens > request.maxTokens) {
      throw new RelayRejection(
        "max_tokens_exceeds_relay",
        `max_tokens ${info.maxTokens} exceeds the relay's signed maxTokens ${request.maxTokens}: sign the relay with maxTokens >= max_tokens.`,
        "max_tokens",
      );
    }
    if (!deps.replay.admit(request.session, relay.relayHash)) {
      throw new RelayRejection(
        "relay_replayed",
        `Relay ${relay.relayHash} was already served in session ${request.session}: sign a new request (another nonce).`,
      );
    }
    admitted = true;
    const worstCase = relayWeight(relay.service, {
      request,
      response: { inputTokens: toUint32(body.length), outputTokens: request.maxTokens },
    });
    reservation = deps.meter.reserve(request.application, request.serviceId, request.session, worstCase);
    if (!reservation) {
      const { used, reserved } = deps.meter.usage(request.application, request.serviceId, request.session);
      throw new RelayRejection(
        "insufficient_quota",
        `Application ${request.application} has spent its share for this supplier in session ${request.session} (${used + reserved} compute units counted, this relay may cost ${worstCase}): wait for the next session, lower max_tokens, or top up the escrow.`,
      );
    }
    const flight: Flight = { relay, info, reservation, service: backend.name, stream: false };
    await proxy(req, res, body, flight, backend.client, deps);
    const stream = flight.stream ? "true" : "false";
    deps.metrics.duration.observe((performance.now() - started) / 1000, { service: backend.name, stream });
  } catch (error) {
    if (admitted && relay) deps.replay.release(relay.request.session, relay.relayHash);
    if (reservation && !reservation.done) deps.meter.release(reservation);
    let rejection: RelayRejection;
    if (error instanceof RelayRejection) {
      rejection = error;
      deps.log.debug("relay rejected", { code: error.code, message: error.message });
    } else {
      rejection = new RelayRejection(
        "internal_error",
        "The RelayMiner failed to serve this relay: retry later.",
      );
      deps.log.error("relay failed", { error });
    }
    deps.metrics.rejected.inc({ reason: rejection.code });
    sendRejection(res, rejection, rejection.code === "request_too_large");
  }
}

async function proxy(
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
  const receipt = await settle(
    flight,
    responseUsage(answer, flight.info),
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

async function streamResponse(
  res: ServerResponse,
  upstream: IncomingMessage,
  flight: Flight,
  gone: { client: boolean },
  deps: RelayHandlerDeps,
): Promise<void> {
  res.writeHead(200, {
    "content-type": upstream.headers["content-type"] ?? "text/event-stream",
    "cache-control": "no-cache",
    "x-accel-buffering": "no",
  });
  res.flushHeaders();
  const hasher = createResponseHasher();
  const counter = new SseUsageCounter();
  let sent = 0;
  let broken = false;
  try {
    for await (const chunk of upstream as AsyncIterable<Buffer>) {
      if (gone.client) break;
      // Hash and count exactly the bytes handed to the client, as they arrive: no buffering.
      hasher.update(chunk);
      counter.push(chunk);
      sent += chunk.length;
      if (!res.write(chunk)) await drainedOrClosed(res);
    }
  } catch (error) {
    if (!gone.client) {
      broken = true;
      deps.metrics.backendErrors.inc({ service: flight.service, kind: "stream_error" });
      deps.log.warn("backend stream broke off", { service: flight.service, error });
    }
  }
  const usage = counter.usage ?? {
    inputTokens: estimateTokens(flight.info.promptTextBytes),
    outputTokens: counter.outputChunks,
  };
  if (gone.client) {
    upstream.destroy();
    // Mined only for what was delivered: the receipt covers the chunks sent before the client left.
    if (sent === 0) return clientLeft(flight, deps);
    deps.metrics.disconnects.inc({ service: flight.service });
    await settle(flight, usage, hasher.digest(), false, deps);
    return;
  }
  const receipt = await settle(flight, usage, hasher.digest(), !broken, deps);
  res.end(formatRelayResponseEvent(receipt));
}

/** Signs the response, mines the relay (durably, before the last byte goes out) and settles the meter. */
async function settle(
  flight: Flight,
  usage: TokenUsage,
  responseDigest: `0x${string}`,
  complete: boolean,
  deps: RelayHandlerDeps,
): Promise<SignedRelayResponse> {
  const { request, signature: requestSignature, relayHash, service } = flight.relay;
  const response: RelayResponse = {
    requestHash: relayHash,
    responseDigest,
    inputTokens: toUint32(usage.inputTokens),
    outputTokens: toUint32(usage.outputTokens),
  };
  const signature = signRelayResponse({
    response,
    domain: deps.validation.domainSeparator,
    privateKey: deps.supplierKey,
  });
  const relay: Relay = { request, requestSignature, response, responseSignature: signature };
  const key = { application: request.application, serviceId: request.serviceId, session: request.session };
  const { tree, target } = await deps.trees.get(key, service);
  // The replay log is written first: a crash between the two can lose a mined relay, never allow a replay.
  await deps.replay.commit(request.session, relayHash, { durable: isRewardApplicable(relayHash, target) });
  const mined = await tree.add(relay);
  deps.meter.settle(flight.reservation, mined.weight);
  const labels = { service: flight.service };
  deps.metrics.served.inc({ ...labels, stream: flight.stream ? "true" : "false" });
  deps.metrics.computeUnits.inc(labels, Number(mined.weight));
  if (mined.applicable) deps.metrics.mined.inc(labels);
  deps.log.debug("relay served", {
    service: flight.service,
    application: request.application,
    session: request.session,
    relayHash,
    weight: mined.weight,
    mined: mined.applicable,
    stream: flight.stream,
    complete,
  });
  deps.onRelay?.({ relay, weight: mined.weight, mined: mined.applicable, stream: flight.stream, complete });
  return { response, signature };
}

function clientLeft(flight: Flight, deps: RelayHandlerDeps): void {
  deps.metrics.disconnects.inc({ service: flight.service });
  deps.meter.release(flight.reservation);
  deps.replay.release(flight.relay.request.session, flight.relay.relayHash);
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
