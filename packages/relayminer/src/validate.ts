import type { ChainState, ServiceRecord } from "@decai/chain";
import {
  computeRequestDigest,
  decodeRelayRequestHeader,
  fromServiceId,
  InvalidRelaySignatureError,
  type RelayRequest,
  RelayTransportError,
  recoverRelayRequest,
} from "@decai/core";
import type { Address, Hex } from "viem";
import { RelayRejection } from "./errors.js";

/** The chain lookups validation needs; `ChainIndexer.state` provides them, tests may fake them. */
export type ChainView = Pick<
  ChainState,
  | "blockNumber"
  | "currentSession"
  | "sessionEndBlock"
  | "sessionSeed"
  | "service"
  | "isSupplierStaked"
  | "sessionSuppliers"
  | "isDelegated"
  | "usesService"
> &
  // Optional: lets `GET /decai/info` show the digest this supplier declared on-chain.
  Partial<Pick<ChainState, "supplierWeightsDigest">>;

/** What validation is checked against. */
export type ValidationContext = {
  chain: ChainView;
  /** This RelayMiner's supplier address (checksummed). */
  supplier: Address;
  /** Precomputed EIP-712 domain separator of relays (`relayDomainSeparator`). */
  domainSeparator: Hex;
  /** Lower-cased ids of the services this RelayMiner serves. */
  servedServices: ReadonlySet<string>;
  /** Blocks after a session's last block during which its relays are still served. */
  graceBlocks: bigint;
};

/** A relay request that passed every check that does not need the body. */
export type AuthorizedRelay = {
  request: RelayRequest;
  signature: Hex;
  relayHash: Hex;
  /** The application itself, or the gateway that signed for it. */
  signer: Address;
  service: ServiceRecord;
};

const serviceName = (id: Hex) => {
  try {
    return fromServiceId(id);
  } catch {
    return id;
  }
};

/**
 * Checks a `Decai-Relay-Request` header against the chain state, cheapest checks first and before the body is
 * read: encoding, supplier, service, session window, signature, the application's use of the service, the
 * signer's delegation, this supplier's stake and session membership. Throws a `RelayRejection` that says what
 * is wrong and what to do.
 *
 * @example
 * const relay = authorizeRelay(req.headers["decai-relay-request"], ctx);
 */
export function authorizeRelay(
  header: string | string[] | undefined,
  ctx: ValidationContext,
): AuthorizedRelay {
  if (header === undefined || header === "") {
    throw new RelayRejection(
      "relay_request_missing",
      "Missing Decai-Relay-Request header: sign the relay request (signRelayRequest) and send it with encodeRelayRequestHeader.",
    );
  }
  if (typeof header !== "string") {
    throw new RelayRejection("relay_request_malformed", "Send exactly one Decai-Relay-Request header.");
  }
  let decoded: ReturnType<typeof decodeRelayRequestHeader>;
  try {
    decoded = decodeRelayRequestHeader(header);
  } catch (error) {
    if (error instanceof RelayTransportError)
      throw new RelayRejection("relay_request_malformed", error.message);
    throw error;
  }
  const { request, signature } = decoded;
  const { chain } = ctx;
  if (request.supplier.toLowerCase() !== ctx.supplier.toLowerCase()) {
    throw new RelayRejection(
      "wrong_supplier",
      `This relay is addressed to supplier ${request.supplier}, but this RelayMiner is ${ctx.supplier}: send it to that supplier's endpoint.`,
    );
  }
  const name = serviceName(request.serviceId);
  const service = ctx.servedServices.has(request.serviceId.toLowerCase())
    ? chain.service(request.serviceId)
    : undefined;
  if (!service) {
    throw new RelayRejection(
      "model_not_found",
      `The service "${name}" is not served here (or not registered on chain): pick a supplier of that service.`,
      "model",
    );
  }

  const session = request.session;
  const current = chain.currentSession;
  if (session > current) {
    throw new RelayRejection(
      "session_not_started",
      `Session ${session} has not started (the current session is ${current}): sign relays for the current session.`,
    );
  }
  if (session < current && chain.blockNumber > chain.sessionEndBlock(session) + ctx.graceBlocks) {
    throw new RelayRejection(
      "session_expired",
      `Session ${session} has ended (the current session is ${current}): sign the relay again for session ${current}.`,
    );
  }
  if (chain.sessionSeed(session) === undefined) {
    throw new RelayRejection(
      "session_not_ready",
      `The seed of session ${session} is not recorded yet, so its suppliers are not known: retry in a few seconds.`,
    );
  }

  let signer: Address;
  let relayHash: Hex;
  try {
    ({ signer, requestHash: relayHash } = recoverRelayRequest({
      request,
      domain: ctx.domainSeparator,
      signature,
    }));
  } catch (error) {
    if (error instanceof InvalidRelaySignatureError) {
      throw new RelayRejection("invalid_relay_signature", error.message);
    }
    throw error;
  }
  const app = request.application;
  if (!chain.usesService(app, request.serviceId)) {
    throw new RelayRejection(
      "application_not_staked",
      `Application ${app} has no escrow for service "${name}": stake it with stakeApplication(amount, [serviceId]).`,
    );
  }
  if (signer.toLowerCase() !== app.toLowerCase() && !chain.isDelegated(app, signer, session)) {
    throw new RelayRejection(
      "signer_not_delegated",
      `The relay was signed by ${signer}, which is neither application ${app} nor a gateway it delegated to for session ${session}. If this is unexpected, the signature does not match the request (wrong key, chain or contract).`,
    );
  }
  if (!chain.isSupplierStaked(ctx.supplier, request.serviceId, session)) {
    throw new RelayRejection(
      "service_not_staked",
      `Supplier ${ctx.supplier} is not staked for service "${name}" in session ${session}: pick another supplier.`,
    );
  }
  const suppliers = chain.sessionSuppliers(app, request.serviceId, session) ?? [];
  if (!suppliers.some((s) => s.toLowerCase() === ctx.supplier.toLowerCase())) {
    throw new RelayRejection(
      "supplier_not_in_session",
      `Supplier ${ctx.supplier} is not in the session of application ${app} for "${name}" in session ${session}: send the relay to one of ${suppliers.join(", ") || "its suppliers"}.`,
    );
  }
  return { request, signature, relayHash, signer, service };
}

/**
 * Checks that the signed `requestDigest` covers this exact method, path and body.
 *
 * @example
 * checkRequestDigest(relay.request, "POST", "/v1/chat/completions", body);
 */
export function checkRequestDigest(request: RelayRequest, method: string, path: string, body: Buffer): void {
  const digest = computeRequestDigest({ method, path, body });
  if (digest !== request.requestDigest.toLowerCase()) {
    throw new RelayRejection(
      "request_digest_mismatch",
      `The signed requestDigest ${request.requestDigest} does not match this request (${method} ${path}, ${body.length} body bytes, digest ${digest}): sign computeRequestDigest of the exact method, path and body you send.`,
    );
  }
}
