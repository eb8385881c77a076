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
  weightsDigestHeaderName,
} from "@decai/core";
import { exceedsJsonDepth, maxJsonDepth, readBody } from "./body.js";
import { RelayRejection, sendRejection } from "./errors.js";
import type { Logger } from "./log.js";
import type { RelayMeter, Reservation } from "./meter.js";
import type { RelayMinerMetrics } from "./metrics.js";
import type { StoreHealth } from "./mining/storeHealth.js";
import type { OpenSessionTree, SessionTrees } from "./mining/trees.js";
import { type BackendClient, BackendUnavailableError, readAll } from "./proxy.js";
import type { ReplayGuard } from "./replay.js";
import { SseUsageCounter } from "./sse.js";
import {
  estimateTokens,
  parseRequestBody,
  type RequestBodyInfo,
  type TokenUsage,
  toUint32,
  usageFromJson,
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
  /** Backend client, metrics label and the model file's digest (when known) per lower-cased service id. */
  backends: ReadonlyMap<string, { name: string; client: BackendClient; weightsDigest?: `0x${string}` }>;
  maxBodyBytes: number;
  supplierKey: Uint8Array;
  meter: RelayMeter;
  replay: ReplayGuard;
  trees: SessionTrees;
  /** Whether trees and replay logs take writes: relays are refused (503) while they do not. */
  store: StoreHealth;
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
  /** The relay's session tree, opened before the first byte is served: a store that cannot open it serves nothing. */
  tree?: OpenSessionTree;
};

/** Most bytes of a streamed answer held back while waiting for its first complete event. */
const maxStreamPreamble = 64 * 1024;

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
    // Artifact commitment: every answer says which model file produced it (merged into the final writeHead).
    if (backend.weightsDigest) res.setHeader(weightsDigestHeaderName, backend.weightsDigest);
    const body = await readBody(req, deps.maxBodyBytes);
    checkRequestDigest(request, req.method ?? "POST", req.url ?? "/", body);
    if (exceedsJsonDepth(body, maxJsonDepth)) {
      throw new RelayRejection(
        "invalid_json",
        `The request body nests arrays and objects deeper than ${maxJsonDepth} levels: flatten it.`,
      );
    }
    const info = parseRequestBody(body);
    if (info.maxTokens !== undefined && info.maxTokens > request.maxTokens) {
      throw new RelayRejection(
        "max_tokens_exceeds_relay",
        `max_tokens ${info.maxTokens} exceeds the relay's signed maxTokens ${request.maxTokens}: sign the relay with maxTokens >= max_tokens.`,
        "max_tokens",
      );
    }
    // Nothing is served that could not be recorded: refuse while the store fails (disk full, read-only).
    await deps.store.check();
    let fresh: boolean;
    try {
      fresh = deps.replay.admit(request.session, relay.relayHash); // may read the session's replay log
    } catch (error) {
      deps.store.fail(error);
      throw deps.store.rejection();
    }
    if (!fresh) {
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

async function streamResponse(
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

/** Opens the relay's session tree before anything is served; a store that cannot open it refuses the relay. */
async function openTree(flight: Flight, deps: RelayHandlerDeps): Promise<OpenSessionTree> {
  if (flight.tree) return flight.tree;
  const { request, service } = flight.relay;
  const key = { application: request.application, serviceId: request.serviceId, session: request.session };
  try {
    flight.tree = await deps.trees.get(key, service);
    return flight.tree;
  } catch (error) {
    deps.store.fail(error);
    throw deps.store.rejection();
  }
}

/** Signs the response, mines the relay (durably, before the last byte goes out) and settles the meter. */
async function settle(
  flight: Flight,
  usage: TokenUsage,
  responseDigest: `0x${string}`,
  complete: boolean,
  deps: RelayHandlerDeps,
): Promise<SignedRelayResponse> {
  const { request, signature: requestSignature, relayHash } = flight.relay;
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
  const open = await openTree(flight, deps);
  const { tree, target } = open;
  let mined: Awaited<ReturnType<typeof tree.add>>;
  try {
    // The replay log is written first: a crash between the two can lose a mined relay, never allow a replay.
    await deps.replay.commit(request.session, relayHash, { durable: isRewardApplicable(relayHash, target) });
    mined = await tree.add(relay);
  } catch (error) {
    // Not recorded, so not served: refuse until the store takes writes again. The tree is reopened from its log
    // (what is durable) on next use, since the failed write may have left it ahead of the disk.
    deps.store.fail(error);
    deps.trees.close(open).catch(() => {});
    throw deps.store.rejection();
  }
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
