// The Prometheus registry shared by Decai's servers.
export { Counter, Gauge, Histogram, latencyBuckets, MetricsRegistry } from "@decai/observability";
