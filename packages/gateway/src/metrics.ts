import { MetricsRegistry } from "./metrics/registry.js";

export { Counter, Gauge, Histogram, latencyBuckets, MetricsRegistry } from "./metrics/registry.js";

/** Buckets for the gateway's own overhead, in seconds: 50 µs to 250 ms. */
export const overheadBuckets = [
  0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.25,
];

/** The gateway's metrics. */
export type GatewayMetrics = ReturnType<typeof createGatewayMetrics>;

/**
 * Registers every gateway metric in `registry` (a fresh one by default).
 *
 * @example
 * const metrics = createGatewayMetrics();
 * metrics.refusals.inc({ reason: "rate_limit_exceeded" });
 * res.end(metrics.registry.render());
 */
export function createGatewayMetrics(registry = new MetricsRegistry()) {
  let inFlight = 0;
  registry.gauge("decai_gateway_requests_in_flight", "Inference requests being served.", [], () => inFlight);
  return {
    registry,
    requests: registry.counter("decai_gateway_requests_total", "Inference requests, by how they ended.", [
      "endpoint",
      "model",
      "outcome",
    ]),
    refusals: registry.counter(
      "decai_gateway_refusals_total",
      "Requests refused by the gateway, by reason.",
      ["reason"],
    ),
    tokens: registry.counter("decai_gateway_tokens_total", "Tokens served, by direction.", [
      "model",
      "direction",
    ]),
    cost: registry.counter(
      "decai_gateway_cost_total",
      "Payment-token base units charged to keys (float: exact totals are in the usage log).",
      ["model"],
    ),
    fallbacks: registry.counter(
      "decai_gateway_fallbacks_total",
      "Times a model failed and the next was tried.",
      ["model", "kind"],
    ),
    disconnects: registry.counter(
      "decai_gateway_client_disconnects_total",
      "Clients that left before the end.",
      ["endpoint"],
    ),
    duration: registry.histogram("decai_gateway_request_duration_seconds", "Request received to last byte.", [
      "endpoint",
      "stream",
    ]),
    ttft: registry.histogram(
      "decai_gateway_time_to_first_token_seconds",
      "Request received to first token.",
      ["model"],
    ),
    overhead: registry.histogram(
      "decai_gateway_overhead_seconds",
      "Time spent in the gateway itself (auth, admission, routing, settlement), excluding the upstream.",
      [],
      overheadBuckets,
    ),
    verificationChecks: registry.counter(
      "decai_gateway_verification_checks_total",
      "Verification checks, by check (usage, prefill, watcher, reexecution, replay, receipt) and outcome (passed, failed, skipped).",
      ["check", "outcome"],
    ),
    verificationTokens: registry.counter(
      "decai_gateway_verification_tokens_total",
      "Tokens spent on verification (reference prefill and generation, challenge and re-execution requests), by check.",
      ["check"],
    ),
    verificationCost: registry.gauge(
      "decai_gateway_verification_cost_ratio",
      "Verification tokens over tokens served to users.",
    ),
    supplierState: registry.gauge(
      "decai_gateway_supplier_reputation_state",
      "A supplier's standing for a service from verification: 0 good, 1 probation, 2 excluded.",
      ["supplier", "service"],
    ),
    inFlight: {
      inc: () => void inFlight++,
      dec: () => void inFlight--,
      get value() {
        return inFlight;
      },
    },
  };
}
