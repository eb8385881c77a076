export { AdminApiError, AdminClient, type AdminKey, type AdminUsage } from "./admin/client.js";
export { checkBudget, emptySpend, periodEnd, periodStart, type ReserveAmount } from "./budget.js";
export { type CliIo, keysHelp, keysOptions, runKeysCommand } from "./cli/keys.js";
export { ConfigError, describeConfig, type GatewayConfig, loadConfig, serveFlags } from "./config.js";
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
