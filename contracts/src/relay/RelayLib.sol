// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {MessageHashUtils} from "@openzeppelin/contracts/utils/cryptography/MessageHashUtils.sol";
import {ComputeUnitMode, Service} from "../interfaces/IServiceRegistry.sol";

/// @notice What an application (or a gateway acting for it) signs to send one request.
struct RelayRequest {
    address application;
    bytes32 serviceId;
    uint64 session;
    address supplier; // the supplier that must serve and sign the response
    bytes32 requestDigest; // sha256(METHOD || 0x00 || path || 0x00 || body)
    uint32 maxTokens; // caps the billed output tokens
    uint64 nonce; // application-chosen: the only entropy of the relay hash
}

/// @notice What the supplier signs when it answers.
struct RelayResponse {
    bytes32 requestHash; // EIP-712 digest of the request: binds the response to it
    bytes32 responseDigest; // sha256 of the full body (or of the concatenated stream chunks)
    uint32 inputTokens;
    uint32 outputTokens;
}

/// @notice A complete relay with both 65-byte (r, s, v) signatures.
struct Relay {
    RelayRequest request;
    bytes requestSignature;
    RelayResponse response;
    bytes responseSignature;
}

/// @title RelayLib
/// @notice EIP-712 hashing, signature recovery, canonical decoding and weighing of relays: the on-chain twin of
///         packages/core/src/relay (cross-checked by test/RelayVectors.t.sol on vectors the TypeScript side writes).
///         Domain: {name: "Decai", version: "1", chainId, verifyingContract}.
library RelayLib {
    bytes32 internal constant DOMAIN_TYPEHASH =
        keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)");
    bytes32 internal constant NAME_HASH = keccak256("Decai");
    bytes32 internal constant VERSION_HASH = keccak256("1");
    bytes32 internal constant REQUEST_TYPEHASH = keccak256(
        "RelayRequest(address application,bytes32 serviceId,uint64 session,address supplier,bytes32 requestDigest,uint32 maxTokens,uint64 nonce)"
    );
    bytes32 internal constant RESPONSE_TYPEHASH =
        keccak256("RelayResponse(bytes32 requestHash,bytes32 responseDigest,uint32 inputTokens,uint32 outputTokens)");

    /// @dev secp256k1n / 2: an s above it is the malleable twin of a low-s signature.
    uint256 private constant HALF_ORDER = 0x7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0;
    /// @dev Head of abi.encode(RelayRequest, bytes, RelayResponse, bytes): 7 + 1 + 4 + 1 words.
    uint256 private constant HEAD_SIZE = 13 * 32;

    /// @notice The bytes are not the canonical `abi.encode(request, requestSignature, response, responseSignature)`.
    error RelayMalformed();
    /// @notice A signature is not 65 bytes.
    error RelayInvalidSignatureLength(uint256 length);
    /// @notice A signature has s in the upper half of the curve order (malleable).
    error RelayInvalidSignatureS(bytes32 s);
    /// @notice A signature's v is not 27 or 28.
    error RelayInvalidSignatureV(uint8 v);
    /// @notice No public key recovers from the signature.
    error RelayInvalidSignature();
    /// @notice The response commits to `actual`, but the request hashes to `expected`.
    error RelayRequestHashMismatch(bytes32 expected, bytes32 actual);
    /// @notice The response was signed by `signer`, not by the request's `supplier`.
    error RelayResponseSignerMismatch(address supplier, address signer);

    /// @notice EIP-712 domain separator for relays verified by `verifyingContract` on `chainId`.
    /// @param chainId Chain id of the domain.
    /// @param verifyingContract Contract of the domain.
    /// @return The separator to pass to the hashing functions.
    function domainSeparator(uint256 chainId, address verifyingContract) internal pure returns (bytes32) {
        return keccak256(abi.encode(DOMAIN_TYPEHASH, NAME_HASH, VERSION_HASH, chainId, verifyingContract));
    }

    /// @notice EIP-712 digest of a request: what the application or gateway signs.
    /// @param separator The domain separator (see `domainSeparator`).
    /// @param request The request.
    /// @return The typed-data digest.
    function hashRequest(bytes32 separator, RelayRequest memory request) internal pure returns (bytes32) {
        bytes32 structHash = keccak256(
            abi.encode(
                REQUEST_TYPEHASH,
                request.application,
                request.serviceId,
                request.session,
                request.supplier,
                request.requestDigest,
                request.maxTokens,
                request.nonce
            )
        );
        return MessageHashUtils.toTypedDataHash(separator, structHash);
    }

    /// @notice EIP-712 digest of a response: what the supplier signs.
    /// @param separator The domain separator (see `domainSeparator`).
    /// @param response The response.
    /// @return The typed-data digest.
    function hashResponse(bytes32 separator, RelayResponse memory response) internal pure returns (bytes32) {
        bytes32 structHash = keccak256(
            abi.encode(
                RESPONSE_TYPEHASH,
                response.requestHash,
                response.responseDigest,
                response.inputTokens,
                response.outputTokens
            )
        );
        return MessageHashUtils.toTypedDataHash(separator, structHash);
    }

    /// @notice The relay's mining hash: the digest of its request only, so a supplier cannot grind the
    ///         difficulty by re-signing or changing the response.
    /// @param separator The domain separator.
    /// @param request The relay's request.
    /// @return The relay hash (also the key of the relay in the supplier's tree).
    function relayHash(bytes32 separator, RelayRequest memory request) internal pure returns (bytes32) {
        return hashRequest(separator, request);
    }

    /// @notice Whether a relay hash meets the service's difficulty.
    /// @param hash The relay hash.
    /// @param target The service's target; lower is harder.
    /// @return True when `uint256(hash) < target`.
    function isRewardApplicable(bytes32 hash, uint256 target) internal pure returns (bool) {
        return uint256(hash) < target;
    }

    /// @notice Recovers the signer of `digest`, rejecting malformed and malleable signatures.
    /// @param digest The signed 32-byte digest.
    /// @param signature 65 bytes r || s || v with low s and v = 27 or 28.
    /// @return signer The recovered address (never zero).
    function recover(bytes32 digest, bytes memory signature) internal pure returns (address signer) {
        if (signature.length != 65) revert RelayInvalidSignatureLength(signature.length);
        bytes32 r;
        bytes32 s;
        uint8 v;
        assembly ("memory-safe") {
            r := mload(add(signature, 0x20))
            s := mload(add(signature, 0x40))
            v := byte(0, mload(add(signature, 0x60)))
        }
        if (uint256(s) > HALF_ORDER) revert RelayInvalidSignatureS(s);
        if (v != 27 && v != 28) revert RelayInvalidSignatureV(v);
        signer = ecrecover(digest, v, r, s);
        if (signer == address(0)) revert RelayInvalidSignature();
    }

    /// @notice Checks a relay's internal consistency in the same order as the TypeScript `verifyRelay`: the
    ///         response commits to this request, both signatures recover, the response signer is the supplier.
    ///         Delegation, session membership and difficulty are the caller's checks.
    /// @param separator The domain separator.
    /// @param relay The relay.
    /// @return hash The relay hash.
    /// @return requestSigner Who signed the request (the application or a gateway acting for it).
    function verify(bytes32 separator, Relay memory relay) internal pure returns (bytes32 hash, address requestSigner) {
        hash = hashRequest(separator, relay.request);
        if (relay.response.requestHash != hash) revert RelayRequestHashMismatch(hash, relay.response.requestHash);
        requestSigner = recover(hash, relay.requestSignature);
        address responseSigner = recover(hashResponse(separator, relay.response), relay.responseSignature);
        if (responseSigner != relay.request.supplier) {
            revert RelayResponseSignerMismatch(relay.request.supplier, responseSigner);
        }
    }

    /// @notice Compute units of one relay under `service`'s pricing.
    /// @param service The relay's service.
    /// @param maxTokens The request's output-token cap.
    /// @param inputTokens The response's input tokens.
    /// @param outputTokens The response's output tokens (billed up to `maxTokens`).
    /// @return The relay's weight.
    function relayWeight(Service memory service, uint32 maxTokens, uint32 inputTokens, uint32 outputTokens)
        internal
        pure
        returns (uint256)
    {
        if (service.cuMode == ComputeUnitMode.PerRelay) return service.cuPerRelay;
        uint256 billedOutput = outputTokens < maxTokens ? outputTokens : maxTokens;
        return uint256(inputTokens) * service.cuPerInputToken + billedOutput * service.cuPerOutputToken;
    }

    /// @notice Compute units of `relay` under `service`'s pricing.
    /// @param service The relay's service.
    /// @param relay The relay.
    /// @return The relay's weight.
    function relayWeight(Service memory service, Relay memory relay) internal pure returns (uint256) {
        return relayWeight(service, relay.request.maxTokens, relay.response.inputTokens, relay.response.outputTokens);
    }

    /// @notice Decodes the canonical relay encoding, rejecting anything else (trailing data, non-canonical
    ///         offsets, dirty padding, out-of-range fields) with `RelayMalformed`. Signatures are not checked.
    /// @param data abi.encode(request, requestSignature, response, responseSignature).
    /// @return relay The decoded relay.
    function decodeRelay(bytes memory data) internal pure returns (Relay memory relay) {
        _checkCanonical(data);
        (relay.request, relay.requestSignature, relay.response, relay.responseSignature) =
            abi.decode(data, (RelayRequest, bytes, RelayResponse, bytes));
    }

    /// @dev Mirrors decodeRelay in packages/core/src/relay/encoding.ts. abi.decode alone accepts trailing data and
    ///      non-canonical offsets, and reverts without a reason on dirty fields; checking first gives one clear error
    ///      and one accepted form per relay.
    function _checkCanonical(bytes memory data) private pure {
        if (data.length < HEAD_SIZE + 32) revert RelayMalformed();
        _checkWidth(data, 0, 160); // application
        _checkWidth(data, 2, 64); // session
        _checkWidth(data, 3, 160); // supplier
        _checkWidth(data, 5, 32); // maxTokens
        _checkWidth(data, 6, 64); // nonce
        _checkWidth(data, 10, 32); // inputTokens
        _checkWidth(data, 11, 32); // outputTokens
        if (_word(data, 7 * 32) != HEAD_SIZE) revert RelayMalformed();
        uint256 requestSignatureEnd = _checkBytes(data, HEAD_SIZE);
        if (_word(data, 12 * 32) != requestSignatureEnd) revert RelayMalformed();
        if (_checkBytes(data, requestSignatureEnd) != data.length) revert RelayMalformed();
    }

    /// @dev Checks the `bytes` tail at `offset` (length word, data, zero padding) and returns where it ends.
    function _checkBytes(bytes memory data, uint256 offset) private pure returns (uint256 end) {
        if (data.length < offset + 32) revert RelayMalformed();
        uint256 length = _word(data, offset);
        if (length > data.length) revert RelayMalformed(); // also rules out overflow below
        end = offset + 32 + ((length + 31) & ~uint256(31));
        if (end > data.length) revert RelayMalformed();
        uint256 used = length % 32;
        if (used != 0 && _word(data, end - 32) << (used * 8) != 0) revert RelayMalformed();
    }

    /// @dev Reverts unless head word `index` fits in `bits` bits.
    function _checkWidth(bytes memory data, uint256 index, uint256 bits) private pure {
        if (_word(data, index * 32) >> bits != 0) revert RelayMalformed();
    }

    /// @dev The 32-byte word at `offset` of `data`; callers keep `offset + 32 <= data.length`.
    function _word(bytes memory data, uint256 offset) private pure returns (uint256 w) {
        assembly ("memory-safe") {
            w := mload(add(add(data, 0x20), offset))
        }
    }
}
