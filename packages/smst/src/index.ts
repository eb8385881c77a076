export {
  bytesEqual,
  DIGEST_SIZE,
  digestCount,
  digestSum,
  INNER_PREFIX,
  innerDigest,
  LEAF_PREFIX,
  leafDigest,
  MAX_KEY_SIZE,
  MAX_UINT64,
  MAX_VALUE_SIZE,
  PLACEHOLDER,
  pathBit,
} from "./encoding.js";
export { SmstError } from "./errors.js";
export { HASH_SIZE, hashValue, PATH_BITS, pathOf, sha256 } from "./hasher.js";
export { type ClosestProof, decodeClosestProof, encodeClosestProof, PROOF_HEADER_SIZE } from "./proof.js";
export { decodeRoot, encodeRoot, type SmstRoot } from "./root.js";
export { type ClosestLeaf, type ClosestResult, Smst } from "./smst.js";
export { type FsyncPolicy, type LogRecovery, LogStore, type LogStoreOptions } from "./store/log.js";
export { MemoryStore } from "./store/memory.js";
export type { SmstEntry, SmstMutation, SmstRefMutation, SmstStore, SmstValueStore } from "./store/types.js";
export { verifyClosest, verifyMembership, verifyNonMembership } from "./verify.js";
