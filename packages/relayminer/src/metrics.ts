import type { MetricsRegistry } from "@decai/observability";

export { Counter, Gauge, Histogram, latencyBuckets, MetricsRegistry } from "@decai/observability";

/** The RelayMiner's metrics. */
export type RelayMinerMetrics = ReturnType<typeof createRelayMinerMetrics>;

/**
 * Registers every RelayMiner metric in `registry`.
 *
 * @example
 * const metrics = createRelayMinerMetrics(new MetricsRegistry());
 * metrics.rejected.inc({ reason: "relay_replayed" });
 */
export function createRelayMinerMetrics(registry: MetricsRegistry) {
  return {
    registry,
    served: registry.counter("decai_relays_served_total", "Relays served with a signed response.", [
      "service",
      "stream",
    ]),
    rejected: registry.counter("decai_relays_rejected_total", "Relays refused, by reason.", ["reason"]),
    mined: registry.counter(
      "decai_relays_mined_total",
      "Served relays that met the difficulty (in the tree).",
      ["service"],
    ),
    computeUnits: registry.counter("decai_relay_compute_units_total", "Compute units of served relays.", [
      "service",
    ]),
    disconnects: registry.counter("decai_client_disconnects_total", "Clients that left before the end.", [
      "service",
    ]),
    backendErrors: registry.counter("decai_backend_errors_total", "Backend failures, by kind.", [
      "service",
      "kind",
    ]),
    duration: registry.histogram("decai_relay_duration_seconds", "Relay latency, request to last byte.", [
      "service",
      "stream",
    ]),
    backendFirstByte: registry.histogram(
      "decai_backend_first_byte_seconds",
      "Backend latency to response headers.",
      ["service"],
    ),
  };
}
