export {
  type ClientRelayResult,
  DecaiClient,
  type DecaiClientOptions,
  type RelayParameters,
} from "./client/decaiClient.js";
export { DecaiStream } from "./client/decaiStream.js";
export type * from "./client/openai.js";
export type { ChunkStream, RelayMeta, RequestOptions, WithDecai } from "./client/resources.js";
export {
  AllSuppliersFailedError,
  DecaiError,
  NoSessionError,
  RelayError,
  type RelayFailureKind,
  RelayStreamError,
} from "./errors.js";
export { loadPrivateKey } from "./keys.js";
export * from "./qos/index.js";
export type { Evidence, EvidenceKind } from "./relay/evidence.js";
export {
  type CheckReceiptParameters,
  checkReceipt,
  type RelayReceipt,
  type UsagePolicy,
} from "./relay/receipt.js";
export { classifyRefusal, type RefusalClass } from "./relay/refusal.js";
export { RelayStream, type RelayTiming } from "./relay/relayStream.js";
export { type SseEvent, SseSplitter } from "./relay/sse.js";
export {
  carriesOutput,
  type RequestInfo,
  reportedUsage,
  requestInfo,
  type TokenUsage,
} from "./relay/usage.js";
export {
  type RelayCompletion,
  type RelayResult,
  type SendRelayParameters,
  sendRelay,
} from "./relayClient.js";
export * from "./session/index.js";
export { streamErrorEvent } from "./streamErrorEvent.js";
