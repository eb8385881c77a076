// Misbehaving supplier backends, for tests and benchmarks of the gateway's inference verification. Each wraps a
// real backend and cheats in exactly one way; `counts()` says how often it did.
export {
  type InflatingUsageOptions,
  inflatingUsage,
} from "./inflatingUsage.js";
export { type ReplayingOptions, replaying } from "./replaying.js";
export { type TextTokenizer, tokenizerOf } from "./tokens.js";
export { type TruncatingOptions, truncating } from "./truncating.js";
export type {
  AdversarialBackend,
  AdversarialBehaviour,
  AdversarialCounts,
  DigestBackend,
} from "./types.js";
export {
  type CreateWrongModelBackendOptions,
  createWrongModelBackend,
  type WrongModelOptions,
  wrongModel,
} from "./wrongModel.js";
