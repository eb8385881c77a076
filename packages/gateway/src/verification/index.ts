// Inference verification (docs/verification.md): usage audits, prefill re-checks, watchers, re-execution, replay
// detection, evidence and reputation that feeds routing.
export {
  type ArtifactCommitmentInput,
  type ArtifactMismatch,
  checkArtifactCommitment,
} from "./artifact.js";
export { artifactVerdicts, type Declaration } from "./artifactVerdicts.js";
export { type CalibrationOptions, calibratePrefill, failureRate } from "./calibrate.js";
export { captureExchanges } from "./capture.js";
export { type Comparison, compareAnswers, judgeComparison } from "./compare.js";
export {
  defaultVerificationConfig,
  type ReputationConfig,
  resolveVerificationConfig,
  type VerificationConfig,
  type VerificationConfigInput,
} from "./config.js";
export { CostLedger, type CostStats } from "./costLedger.js";
export { receiptResult, signedToJson, toEvidenceRecord } from "./evidence.js";
export { choicesOf, StreamedAnswer, usageOf } from "./exchange.js";
export { judgePrefill, type PrefillThresholds, prefillCheck, prefillSkipReason } from "./prefill.js";
export { type ReexecutionDeps, reexecute } from "./reexecution.js";
export { createEmbeddedReference, loadReference, type Reference } from "./reference.js";
export { confirmReplay, ReplayDetector } from "./replay.js";
export {
  type CheckStats,
  emptyCheckStats,
  type SupplierReport,
  supplierReports,
  type VerificationStats,
} from "./report.js";
export { Reputation, type Transition } from "./reputation.js";
export {
  type EvidenceQuery,
  MemoryVerificationStore,
  maxEvidencePage,
  type VerificationStore,
} from "./store.js";
export { openVerificationStore } from "./store.open.js";
export { PostgresVerificationStore } from "./store.postgres.js";
export { SqliteVerificationStore } from "./store.sqlite.js";
export { type Challenge, TrafficModel } from "./traffic.js";
export { type ChallengeRequest, type ChallengeTransport, decaiTransport } from "./transport.js";
export {
  type AnswerChoice,
  type CheckCounts,
  type CheckKind,
  type CheckResult,
  checkKinds,
  type EvidenceRecord,
  type Exchange,
  type ExchangeOrigin,
  type ReputationRecord,
  type ReputationState,
  type VerifiedEndpoint,
} from "./types.js";
export { auditUsage, type TokenCounter } from "./usageAudit.js";
export type { VerificationEvents, VerificationMetrics } from "./verdicts.js";
export { Verifier, type VerifierOptions } from "./verifier.js";
export { type WatcherDeps, type WatcherRound, watcherRound } from "./watchers.js";
export { WorkQueue } from "./workQueue.js";
