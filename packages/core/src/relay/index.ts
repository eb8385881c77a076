export {
  computeRequestDigest,
  computeResponseDigest,
  createResponseHasher,
  type RequestDigestInput,
  type ResponseHasher,
} from "./digest.js";
export { decodeRelay, encodeRelay } from "./encoding.js";
export {
  InvalidRelaySignatureError,
  MalformedRelayError,
  RelayError,
  type RelayErrorCode,
  RelayRequestHashMismatchError,
  RelayResponseSignerMismatchError,
} from "./errors.js";
export { hashRelayRequest, hashRelayResponse, relayHash } from "./hash.js";
export { isRewardApplicable } from "./mining.js";
export {
  type PrivateKey,
  recoverRelayRequest,
  recoverRelayRequestSigner,
  recoverRelayResponseSigner,
  signRelayRequest,
  signRelayResponse,
} from "./sign.js";
export {
  decodeRelayRequestHeader,
  decodeRelayResponseHeader,
  encodeRelayRequestHeader,
  encodeRelayResponseHeader,
  formatRelayResponseEvent,
  RelayTransportError,
  relayRequestHeaderName,
  relayResponseEventName,
  relayResponseHeaderName,
  type SignedRelayRequest,
  type SignedRelayResponse,
  splitRelayResponseEvent,
} from "./transport.js";
export {
  relayDomainName,
  relayDomainSeparator,
  relayDomainVersion,
  relayRequestType,
  relayRequestTypeHash,
  relayResponseType,
  relayResponseTypeHash,
  relayTypedDataDomain,
  relayTypes,
} from "./typedData.js";
export type { Relay, RelayDomain, RelayDomainInput, RelayRequest, RelayResponse } from "./types.js";
export { type VerifiedRelay, verifyRelay } from "./verify.js";
export { ComputeUnitMode, type RelayWeightInput, relayWeight, type ServiceComputeUnits } from "./weight.js";
export {
  parseWeightsDigest,
  type SupplierInfo,
  type SupplierServiceInfo,
  supplierInfoPath,
  weightsDigestHeaderName,
} from "./weightsDigest.js";
