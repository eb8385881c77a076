import { type Relay, type RelayResponse, type SignedRelayResponse, signRelayResponse } from "@decai/core";
import type { OpenSessionTree } from "./mining/trees.js";
import type { Flight, RelayHandlerDeps } from "./relayFlight.js";
import { type TokenUsage, toUint32 } from "./usage.js";

/**
 * Opens the relay's session tree before anything is served; a store that cannot open it refuses the relay.
 * @internal
 *
 * @example
 * await openTree(flight, deps); // before the stream's head is written
 */
export async function openTree(flight: Flight, deps: RelayHandlerDeps): Promise<OpenSessionTree> {
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

/**
 * Signs the response, mines the relay (durably, before the last byte goes out: one fsync, shared by the relays
 * in flight) and settles the meter.
 * @internal
 *
 * @example
 * const receipt = await settle(flight, usage, computeResponseDigest(answer), true, deps);
 */
export async function settle(
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
  const { tree } = open;
  let mined: Awaited<ReturnType<typeof tree.add>>;
  try {
    // The replay record goes to the OS (it survives a process crash) but is not fsynced: the session tree is the
    // durable record of a mined relay, and one fsync per relay is the path's largest cost at low concurrency. If
    // a power loss drops the record and the relay is replayed, it lands on the same leaf (the tree is keyed by
    // relay hash): served twice, counted and paid once.
    await deps.replay.commit(request.session, relayHash, { durable: false });
    mined = await tree.add(relay, relayHash);
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

/**
 * Gives back what a relay whose client left before anything was delivered held: its reservation and replay slot.
 * @internal
 *
 * @example
 * if (gone.client) return clientLeft(flight, deps);
 */
export function clientLeft(flight: Flight, deps: RelayHandlerDeps): void {
  deps.metrics.disconnects.inc({ service: flight.service });
  deps.meter.release(flight.reservation);
  deps.replay.release(flight.relay.request.session, flight.relay.relayHash);
}
