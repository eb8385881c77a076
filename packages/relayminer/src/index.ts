export { readBody } from "./body.js";
export { ConfigError, describeConfig, loadConfig, type RelayMinerConfig } from "./config.js";
export { type RejectionCode, RelayRejection, sendRejection } from "./errors.js";
export { createLogger, type LogFields, type Logger, type LogLevel, silentLogger } from "./log.js";
export {
  type EscrowCapChain,
  escrowCap,
  type MeterCap,
  type MeterUsage,
  RelayMeter,
  type Reservation,
} from "./meter.js";
export {
  Counter,
  createRelayMinerMetrics,
  Gauge,
  Histogram,
  latencyBuckets,
  MetricsRegistry,
  type RelayMinerMetrics,
} from "./metrics.js";
export {
  type MinedRelay,
  type SessionClaimRoot,
  SessionTree,
  type SessionTreeOptions,
} from "./mining/sessionTree.js";
export { type OpenSessionTree, type SessionTreeKey, SessionTrees, type TargetFn } from "./mining/trees.js";
export { type Backend, type BackendClient, BackendUnavailableError, createBackendClient } from "./proxy.js";
export { handleRelay, type RelayHandlerDeps, type ServedRelay } from "./relay.js";
export { ReplayGuard } from "./replay.js";
export { type RunningRelayMiner, runRelayMiner } from "./run.js";
export { defaultRelayPaths, RelayMiner, type RelayMinerOptions, type ServedService } from "./server.js";
export { SseUsageCounter } from "./sse.js";
export {
  estimateTokens,
  parseRequestBody,
  type RequestBodyInfo,
  responseUsage,
  type TokenUsage,
} from "./usage.js";
export {
  type AuthorizedRelay,
  authorizeRelay,
  type ChainView,
  checkRequestDigest,
  type ValidationContext,
} from "./validate.js";
