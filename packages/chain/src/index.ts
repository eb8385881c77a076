export { getEpochs } from "./actions/getEpochs.js";
export {
  type GetSessionSuppliersParameters,
  getServiceSupplierEntries,
  getSessionSuppliers,
} from "./actions/getSessionSuppliers.js";
export { getSupplierWeightsDigest } from "./actions/getSupplierWeightsDigest.js";
export { ANVIL_MNEMONIC, type DevAccount, devAccounts } from "./anvil/devAccounts.js";
export { findAnvilBinary } from "./anvil/findAnvilBinary.js";
export { type Anvil, type StartAnvilOptions, startAnvil } from "./anvil/startAnvil.js";
export { type DeployDecaiOptions, deployDecai } from "./deploy/deployDecai.js";
export { type DecaiDeployment, loadDeployment, saveDeployment } from "./deploy/deployment.js";
export { DEFAULT_PARAMS, type DecaiParams } from "./deploy/params.js";
export { ChainError } from "./errors.js";
export * from "./generated/contracts.js";
export * from "./indexer/index.js";
export * from "./status/index.js";
