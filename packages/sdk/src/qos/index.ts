export { CircuitBreaker, type CircuitBreakerOptions, type CircuitState } from "./circuitBreaker.js";
export { type Clock, systemClock } from "./clock.js";
export { Ewma } from "./ewma.js";
export { OperatorShareCap, type OperatorShareCapOptions } from "./operatorCap.js";
export {
  type Candidate,
  type PickOptions,
  type SortBy,
  SupplierScorer,
  type SupplierScorerOptions,
} from "./supplierScorer.js";
export type { FailureKind, SuccessSample, SupplierStats } from "./supplierStats.js";
