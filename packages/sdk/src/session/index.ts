export { createSessionChain, type SessionChain, type SessionContracts } from "./sessionChain.js";
export {
  type Session,
  SessionDirectory,
  type SessionDirectoryOptions,
  type SessionSupplier,
} from "./sessionDirectory.js";
