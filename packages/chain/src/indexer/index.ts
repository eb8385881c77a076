export { ChainIndexer, type ChainIndexerOptions } from "./chainIndexer.js";
export type { IndexedContracts } from "./refresh.js";
export {
  type ApplicationRecord,
  ChainState,
  type DelegationInterval,
  type ServiceRecord,
} from "./state.js";
