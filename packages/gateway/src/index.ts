export { AdminApiError, AdminClient, type AdminKey, type AdminUsage } from "./admin/client.js";
export type { BatchApiContext } from "./batch/api.js";
export { type Execution, executeLine } from "./batch/execute.js";
export { InteractiveLoad } from "./batch/interactive.js";
export {
  batchEndpoints,
  type InputLine,
  lineRequestId,
  maxBatchLines,
  parseInputFile,
  renderResults,
} from "./batch/jsonl.js";
export { type BatchRoute, baseModelOf, batchRoute, batchSuffix, tierOf } from "./batch/models.js";
export { batchObject, fileObject } from "./batch/objects.js";
export { planBatch } from "./batch/plan.js";
export { BatchRunner, type BatchRunnerOptions } from "./batch/runner.js";
export {
  BatchScheduler,
  type BatchSchedulerOptions,
  type BatchSlot,
  type LaneState,
  type SlotOutcome,
} from "./batch/scheduler.js";
export { type BatchOptions, BatchService } from "./batch/service.js";
export { type BatchStore, batchStoreFor, type Page } from "./batch/store.js";
export { PostgresBatchStore } from "./batch/store.postgres.js";
export { SqliteBatchStore } from "./batch/store.sqlite.js";
export type {
  BatchLineError,
  BatchRecord,
  BatchStatus,
  FilePurpose,
  FileRecord,
  LineOutcome,
  LineRecord,
  LineStatus,
  NewLine,
} from "./batch/types.js";
export { checkBudget, emptySpend, periodEnd, periodStart, type ReserveAmount } from "./budget.js";
export { evidenceHelp, evidenceOptions, runEvidenceCommand } from "./cli/evidence.js";
export { type CliIo, keysHelp, keysOptions, runKeysCommand } from "./cli/keys.js";
export {
  ConfigError,
  describeConfig,
  type GatewayConfig,
  loadConfig,
  serveFlags,
  type VerificationSettings,
} from "./config.js";
export {
  GatewayError,
  type GatewayErrorCode,
  type GatewayErrorOptions,
  type OpenAiErrorType,
  sendError,
  toGatewayError,
} from "./errors.js";
export {
  apiKeyPrefix,
  bearerToken,
  generateApiKey,
  hashApiKey,
  isApiKey,
  type NewApiKey,
} from "./keys/apiKey.js";
export { authenticate } from "./keys/authenticate.js";
export { type CreatedKey, createKey, spendToJson } from "./keys/manage.js";
export {
  type ApiKeyRecord,
  type BudgetPeriod,
  type KeyLimits,
  type KeyLimitsInput,
  type KeySpend,
  keyToJson,
  limitsToJson,
  parseKeyLimits,
  unlimited,
} from "./keys/types.js";
export { createLogger, type LogFields, type Logger, type LogLevel, silentLogger } from "./log.js";
export { createGatewayMetrics, type GatewayMetrics, MetricsRegistry } from "./metrics.js";
export {
  costOf,
  freePrice,
  type ModelPrice,
  type PriceFn,
  priceFromComputeUnits,
  type TokenUsage,
  withinMaxPrice,
  withMargin,
} from "./pricing.js";
export { checkRate, type RateEvent, rateWindowMs } from "./ratelimit.js";
export { usageToJson } from "./routes/admin.js";
export { overheadHeader } from "./routes/inference.js";
export { modelObject } from "./routes/models.js";
export {
  handleVerification,
  type VerificationRouteContext,
  verificationPaths,
} from "./routes/verification.js";
export {
  type Aliases,
  type Catalog,
  type CatalogEntry,
  type RouteInput,
  resolveCandidates,
} from "./routing.js";
export { type RunningGateway, runGateway } from "./run.js";
export { Gateway, type GatewayOptions } from "./server.js";
export { PostgresStore } from "./store/postgres.js";
export { SqliteStore } from "./store/sqlite.js";
export type { GatewayStore, Reservation, Settlement } from "./store/types.js";
export { createDecaiUpstream, type DecaiService, type DecaiUpstreamOptions } from "./upstream/decai.js";
export { createHttpUpstream, type HttpUpstreamOptions } from "./upstream/http.js";
export { connectDecaiNetwork, type DecaiNetworkOptions } from "./upstream/network.js";
export { sseEvents } from "./upstream/sse.js";
export {
  type RoutingPreferences,
  type SignedRelay,
  type Upstream,
  UpstreamError,
  type UpstreamErrorKind,
  type UpstreamJson,
  type UpstreamModel,
  type UpstreamRequest,
  type UpstreamResponse,
  type UpstreamStream,
} from "./upstream/types.js";
export type { Endpoint, UsageOutcome, UsageQuery, UsageRecord } from "./usage.js";
export * from "./verification/index.js";
