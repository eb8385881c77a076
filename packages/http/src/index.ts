export { answerClientErrors } from "./clientError.js";
export { discardBody, maxDiscardBytes } from "./discard.js";
export { exceedsJsonDepth, maxJsonDepth } from "./jsonDepth.js";
export { readBody } from "./readBody.js";
export { isStaleSocketError } from "./staleSocket.js";
export { defaultRequestTimeouts, type RequestTimeouts, timeoutServerOptions } from "./timeouts.js";
