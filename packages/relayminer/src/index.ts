// Re-exported from @decai/http so that existing importers of @decai/relayminer keep working.
export {
  answerClientErrors,
  defaultRequestTimeouts,
  exceedsJsonDepth,
  maxJsonDepth,
  type RequestTimeouts,
  timeoutServerOptions,
} from "@decai/http";
export {
  type AdminAnswer,
  AdminApi,
  type AdminCommand,
  adminSignatureHeader,
  signAdminCommand,
} from "./admin.js";
export { readBody } from "./body.js";
export { ConfigError, describeConfig, loadConfig, type RelayMinerConfig } from "./config.js";
export { DrainGate, type DrainState, type PauseReason } from "./drain.js";
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
  type OpenStore,
  openLogStore,
  type SessionClaimRoot,
  SessionTree,
  type SessionTreeOptions,
} from "./mining/sessionTree.js";
export { StoreHealth, type StoreHealthOptions } from "./mining/storeHealth.js";
export { type OpenSessionTree, type SessionTreeKey, SessionTrees, type TargetFn } from "./mining/trees.js";
export { type Backend, type BackendClient, BackendUnavailableError, createBackendClient } from "./proxy.js";
export { handleRelay, type RelayHandlerDeps, type ServedRelay } from "./relay.js";
export { ReplayGuard } from "./replay.js";
export { type RunningRelayMiner, runRelayMiner } from "./run.js";
export { parseScheduleConfig, type ScheduleConfig } from "./schedule/config.js";
export { parseHours, type ServingHours, withinHours } from "./schedule/hours.js";
export { cpuLoadSampler, gpuLoadFromPmon, gpuLoadSampler } from "./schedule/load.js";
export { onChainPause, type PauseChain, startServingSchedule } from "./schedule/onChain.js";
export { type ScheduleVerdict, ServingSchedule, type ServingScheduleOptions } from "./schedule/schedule.js";
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
export { WeightsDigestDeclarer, type WeightsDigestDeclarerOptions } from "./weightsDigest.js";
