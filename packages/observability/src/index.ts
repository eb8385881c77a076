export { createLogger, type LogFields, type Logger, type LogLevel, silentLogger } from "./log.js";
export { Counter, Gauge, Histogram, latencyBuckets, MetricsRegistry } from "./metrics.js";
