export * from "./relay/index.js";
export * from "./session/index.js";
