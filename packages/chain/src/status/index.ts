export { type ApplicationDetail, selectApplication } from "./application.js";
export { readDifficulty, relaysPerApplicable } from "./difficulty.js";
export {
  type ClaimCounts,
  claimCounts,
  type EarningsPoint,
  earningsSeries,
  type SourceDetail,
  type SupplierDetail,
  selectSource,
  selectSupplier,
  sessionRange,
  totalsBy,
} from "./earnings.js";
export { type Ledger, LedgerIndexer, type LedgerIndexerOptions } from "./ledger.js";
export { claimStage, ProofRequirements } from "./proofRequirements.js";
export {
  NetworkStatusReader,
  type NetworkStatusReaderOptions,
  readNetworkStatus,
} from "./readNetworkStatus.js";
export {
  readApplication,
  readDeploymentTokens,
  readService,
  readServiceSuppliers,
  readServices,
  readSession,
  readSupplier,
  readTiers,
  readToken,
} from "./reads.js";
export { serviceName } from "./serviceName.js";
export type {
  ApplicationView,
  ClaimStage,
  ClaimState,
  ClaimView,
  DifficultyView,
  FeedItem,
  NetworkStatus,
  Payment,
  ServiceTier,
  ServiceView,
  SessionInfo,
  StatusSource,
  SupplierServiceView,
  SupplierView,
  TokenInfo,
} from "./types.js";
