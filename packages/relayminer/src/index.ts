export {
  type MinedRelay,
  type SessionClaimRoot,
  SessionTree,
  type SessionTreeOptions,
} from "./mining/sessionTree.js";
