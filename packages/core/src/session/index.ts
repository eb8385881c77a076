export { type Epoch, epochOf, sessionEndBlock, sessionOf, sessionStartBlock } from "./epochs.js";
export { fromServiceId, toServiceId } from "./serviceId.js";
export {
  computeSessionSuppliers,
  type SessionDrawInput,
  type SupplierEntry,
  sessionScore,
} from "./sessionSuppliers.js";
