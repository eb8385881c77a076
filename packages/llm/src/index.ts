export {
  type Backend,
  type ChatCompletionStream,
  type CompletionStream,
  isStream,
  type RawRequest,
  type RawResponse,
  type RequestOptions,
  type ResultFor,
} from "./backend.js";
export {
  type CompletionScorer,
  type CompletionScorerOptions,
  createCompletionScorer,
  type ScoredRequest,
} from "./embedded/createCompletionScorer.js";
export {
  createEmbeddedBackend,
  type EmbeddedBackend,
  type EmbeddedBackendOptions,
  type EmbeddedStats,
} from "./embedded/createEmbeddedBackend.js";
export { defaultModelsDir, type ResolvedModel, resolveModel, tinyModelId } from "./embedded/loadModel.js";
export { type CompletionScore, type ScoreInput, scoreCompletion } from "./embedded/scoreCompletion.js";
export {
  createMockBackend,
  type MockBackendOptions,
  type MockFailureMode,
} from "./mock/createMockBackend.js";
export { countMockTokens } from "./mock/text.js";
export { ensureTinyModel, type ModelFile } from "./model/ensureTinyModel.js";
export { type GgufFile, type GgufTensor, type GgufValue, writeGguf } from "./model/gguf.js";
export { sha256File } from "./model/sha256File.js";
export { buildTinyModel, type TinyModelOptions, tinyModelDefaults } from "./model/tinyModel.js";
export {
  abortError,
  BackendDisconnectError,
  type ErrorStatus,
  modelNotFound,
  OpenAIError,
  toOpenAIError,
} from "./openai/errors.js";
export {
  type ChatParams,
  type CompletionParams,
  type EmbeddingParams,
  type ParsedMessage,
  parseChatRequest,
  parseCompletionRequest,
  parseEmbeddingRequest,
  type SamplingParams,
} from "./openai/parse.js";
export { encodeSse, readSseJson, SseDecoder, sseDone } from "./openai/sse.js";
export { StopDetector } from "./openai/stop.js";
export type * from "./openai/types.js";
export { createUsageReader, type UsageReader } from "./openai/usage.js";
export { FairQueue, type QueueStats } from "./queue.js";
export {
  type BackendServer,
  type BackendServerOptions,
  createBackendServer,
} from "./server/createBackendServer.js";
export { createUpstreamBackend, type UpstreamBackendOptions } from "./upstream/createUpstreamBackend.js";
