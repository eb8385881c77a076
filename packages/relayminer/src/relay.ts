import type { IncomingMessage, ServerResponse } from "node:http";
import { relayWeight, weightsDigestHeaderName } from "@decai/core";
import { exceedsJsonDepth, maxJsonDepth } from "@decai/http";
import { readBody } from "./body.js";
import { RelayRejection, sendRejection } from "./errors.js";
import type { Reservation } from "./meter.js";
import type { Flight, RelayHandlerDeps } from "./relayFlight.js";
import { proxy } from "./relayProxy.js";
import { parseRequestBody, toUint32 } from "./usage.js";
import { type AuthorizedRelay, authorizeRelay, checkRequestDigest } from "./validate.js";

export type { RelayHandlerDeps, ServedRelay } from "./relayFlight.js";

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
