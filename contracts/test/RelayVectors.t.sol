// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Test} from "./utils/Test.sol";
import {RelayLibHarness} from "./RelayLib.t.sol";
import {Relay, RelayLib} from "../src/relay/RelayLib.sol";
import {ComputeUnitMode, Service} from "../src/interfaces/IServiceRegistry.sol";

/// @notice Checks RelayLib against the vectors the TypeScript side writes
///         (packages/core/scripts/make-relay-vectors.ts -> packages/core/test/vectors/relays.json).
contract RelayVectorsTest is Test {
    RelayLibHarness internal harness;

    function setUp() public {
        harness = new RelayLibHarness();
    }

    function _json() internal view returns (string memory) {
        return vm.readFile(string.concat(vm.projectRoot(), "/../packages/core/test/vectors/relays.json"));
    }

    function _key(uint256 i, string memory field) internal pure returns (string memory) {
        return string.concat(".vectors[", vm.toString(i), "].", field);
    }

    function _name(string memory json, uint256 i) internal pure returns (string memory) {
        return vm.parseJsonString(json, _key(i, "name"));
    }

    function _separator(string memory json, uint256 i) internal pure returns (bytes32) {
        return RelayLib.domainSeparator(
            vm.parseJsonUint(json, _key(i, "chainId")), vm.parseJsonAddress(json, _key(i, "verifyingContract"))
        );
    }

    function _relay(string memory json, uint256 i) internal view returns (Relay memory) {
        return harness.decodeRelay(vm.parseJsonBytes(json, _key(i, "encoded")));
    }

    /// @dev The selector of the RelayLib error the TypeScript side names `name`.
    function _selector(string memory name) internal pure returns (bytes4) {
        bytes32 h = keccak256(bytes(name));
        if (h == keccak256("RelayMalformed")) return RelayLib.RelayMalformed.selector;
        if (h == keccak256("RelayInvalidSignatureLength")) return RelayLib.RelayInvalidSignatureLength.selector;
        if (h == keccak256("RelayInvalidSignatureS")) return RelayLib.RelayInvalidSignatureS.selector;
        if (h == keccak256("RelayInvalidSignatureV")) return RelayLib.RelayInvalidSignatureV.selector;
        if (h == keccak256("RelayInvalidSignature")) return RelayLib.RelayInvalidSignature.selector;
        if (h == keccak256("RelayRequestHashMismatch")) return RelayLib.RelayRequestHashMismatch.selector;
        if (h == keccak256("RelayResponseSignerMismatch")) return RelayLib.RelayResponseSignerMismatch.selector;
        revert(string.concat("unknown error name in vectors: ", name));
    }

    function _assertRevertedWith(bytes memory reason, string memory expected, string memory context) internal pure {
        vm.assertTrue(reason.length >= 4, string.concat(context, ": reverted without an error"));
        vm.assertTrue(bytes4(reason) == _selector(expected), string.concat(context, ": expected ", expected));
    }

    function _assertEqBool(bool left, bool right, string memory context) internal pure {
        vm.assertTrue(left == right, context);
    }

    function test_vectors_coverEveryOutcome() public view {
        string memory json = _json();
        uint256 count = vm.parseJsonUint(json, ".count");
        vm.assertGe(count, 60);
        uint256 valid;
        uint256 malformed;
        for (uint256 i; i < count; ++i) {
            if (vm.parseJsonBool(json, _key(i, "valid"))) ++valid;
            if (!vm.parseJsonBool(json, _key(i, "decodable"))) ++malformed;
        }
        vm.assertGe(valid, 50);
        vm.assertGe(malformed, 5);
    }

    function test_vectors_typeHashes() public view {
        string memory json = _json();
        vm.assertEq(RelayLib.REQUEST_TYPEHASH, vm.parseJsonBytes32(json, ".requestTypeHash"));
        vm.assertEq(RelayLib.RESPONSE_TYPEHASH, vm.parseJsonBytes32(json, ".responseTypeHash"));
    }

    function test_vectors_decode() public view {
        string memory json = _json();
        uint256 count = vm.parseJsonUint(json, ".count");
        for (uint256 i; i < count; ++i) {
            string memory name = _name(json, i);
            bytes memory encoded = vm.parseJsonBytes(json, _key(i, "encoded"));
            if (!vm.parseJsonBool(json, _key(i, "decodable"))) {
                try harness.decodeRelay(encoded) {
                    revert(string.concat(name, ": malformed bytes decoded"));
                } catch (bytes memory reason) {
                    _assertRevertedWith(reason, "RelayMalformed", name);
                }
                continue;
            }
            Relay memory r = harness.decodeRelay(encoded);
            vm.assertEq(r.request.application, vm.parseJsonAddress(json, _key(i, "relay.application")), name);
            vm.assertEq(r.request.serviceId, vm.parseJsonBytes32(json, _key(i, "relay.serviceId")), name);
            vm.assertEq(r.request.session, vm.parseJsonUint(json, _key(i, "relay.session")), name);
            vm.assertEq(r.request.supplier, vm.parseJsonAddress(json, _key(i, "relay.supplier")), name);
            vm.assertEq(r.request.requestDigest, vm.parseJsonBytes32(json, _key(i, "relay.requestDigest")), name);
            vm.assertEq(r.request.maxTokens, vm.parseJsonUint(json, _key(i, "relay.maxTokens")), name);
            vm.assertEq(r.request.nonce, vm.parseJsonUint(json, _key(i, "relay.nonce")), name);
            vm.assertEq(r.requestSignature, vm.parseJsonBytes(json, _key(i, "relay.requestSignature")));
            vm.assertEq(r.response.requestHash, vm.parseJsonBytes32(json, _key(i, "relay.requestHash")), name);
            vm.assertEq(r.response.responseDigest, vm.parseJsonBytes32(json, _key(i, "relay.responseDigest")), name);
            vm.assertEq(r.response.inputTokens, vm.parseJsonUint(json, _key(i, "relay.inputTokens")), name);
            vm.assertEq(r.response.outputTokens, vm.parseJsonUint(json, _key(i, "relay.outputTokens")), name);
            vm.assertEq(r.responseSignature, vm.parseJsonBytes(json, _key(i, "relay.responseSignature")));
        }
    }

    function test_vectors_hashes() public view {
        string memory json = _json();
        uint256 count = vm.parseJsonUint(json, ".count");
        for (uint256 i; i < count; ++i) {
            if (!vm.parseJsonBool(json, _key(i, "decodable"))) continue;
            string memory name = _name(json, i);
            bytes32 separator = _separator(json, i);
            vm.assertEq(separator, vm.parseJsonBytes32(json, _key(i, "domainSeparator")), name);
            Relay memory r = _relay(json, i);
            vm.assertEq(RelayLib.relayHash(separator, r.request), vm.parseJsonBytes32(json, _key(i, "relayHash")), name);
            vm.assertEq(
                RelayLib.hashResponse(separator, r.response), vm.parseJsonBytes32(json, _key(i, "responseHash")), name
            );
        }
    }

    function test_vectors_signers() public view {
        string memory json = _json();
        uint256 count = vm.parseJsonUint(json, ".count");
        for (uint256 i; i < count; ++i) {
            if (!vm.parseJsonBool(json, _key(i, "decodable"))) continue;
            string memory name = _name(json, i);
            Relay memory r = _relay(json, i);
            _checkSigner(json, i, vm.parseJsonBytes32(json, _key(i, "relayHash")), r.requestSignature, "request");
            _checkSigner(json, i, vm.parseJsonBytes32(json, _key(i, "responseHash")), r.responseSignature, "response");
            if (vm.parseJsonBool(json, _key(i, "signedByApplication"))) {
                vm.assertEq(
                    harness.recover(RelayLib.relayHash(_separator(json, i), r.request), r.requestSignature),
                    r.request.application,
                    name
                );
            }
        }
    }

    function _checkSigner(string memory json, uint256 i, bytes32 digest, bytes memory signature, string memory part)
        internal
        view
    {
        string memory context = string.concat(_name(json, i), " ", part);
        string memory expectedError = vm.parseJsonString(json, _key(i, string.concat(part, "SignerError")));
        try harness.recover(digest, signature) returns (address signer) {
            vm.assertEq(bytes(expectedError).length, 0, string.concat(context, ": expected ", expectedError));
            vm.assertEq(signer, vm.parseJsonAddress(json, _key(i, string.concat(part, "Signer"))), context);
        } catch (bytes memory reason) {
            _assertRevertedWith(reason, expectedError, context);
        }
    }

    function test_vectors_weightAndDifficulty() public view {
        string memory json = _json();
        uint256 count = vm.parseJsonUint(json, ".count");
        for (uint256 i; i < count; ++i) {
            if (!vm.parseJsonBool(json, _key(i, "decodable"))) continue;
            string memory name = _name(json, i);
            Service memory service = Service({
                source: address(0),
                modelName: "",
                weightsDigest: bytes32(0),
                sourceShareBps: 0,
                cuMode: ComputeUnitMode(vm.parseJsonUint(json, _key(i, "service.cuMode"))),
                cuPerRelay: uint64(vm.parseJsonUint(json, _key(i, "service.cuPerRelay"))),
                cuPerInputToken: uint64(vm.parseJsonUint(json, _key(i, "service.cuPerInputToken"))),
                cuPerOutputToken: uint64(vm.parseJsonUint(json, _key(i, "service.cuPerOutputToken")))
            });
            vm.assertEq(RelayLib.relayWeight(service, _relay(json, i)), vm.parseJsonUint(json, _key(i, "weight")), name);
            _assertEqBool(
                RelayLib.isRewardApplicable(
                    vm.parseJsonBytes32(json, _key(i, "relayHash")), vm.parseJsonUint(json, _key(i, "target"))
                ),
                vm.parseJsonBool(json, _key(i, "rewardApplicable")),
                name
            );
        }
    }

    function test_vectors_verify() public view {
        string memory json = _json();
        uint256 count = vm.parseJsonUint(json, ".count");
        for (uint256 i; i < count; ++i) {
            string memory name = _name(json, i);
            bytes memory encoded = vm.parseJsonBytes(json, _key(i, "encoded"));
            try harness.verify(_separator(json, i), encoded) returns (bytes32 hash, address requestSigner) {
                vm.assertTrue(vm.parseJsonBool(json, _key(i, "valid")), string.concat(name, ": invalid relay verified"));
                vm.assertEq(hash, vm.parseJsonBytes32(json, _key(i, "relayHash")), name);
                vm.assertEq(requestSigner, vm.parseJsonAddress(json, _key(i, "requestSigner")), name);
            } catch (bytes memory reason) {
                vm.assertFalse(vm.parseJsonBool(json, _key(i, "valid")), string.concat(name, ": valid relay rejected"));
                _assertRevertedWith(reason, vm.parseJsonString(json, _key(i, "error")), name);
            }
        }
    }
}
