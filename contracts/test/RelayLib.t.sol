// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Test} from "./utils/Test.sol";
import {Relay, RelayLib, RelayRequest, RelayResponse} from "../src/relay/RelayLib.sol";
import {ComputeUnitMode, Service} from "../src/interfaces/IServiceRegistry.sol";

/// @notice Exposes RelayLib's internal functions externally so tests can catch their reverts.
contract RelayLibHarness {
    /// @notice RelayLib.decodeRelay.
    function decodeRelay(bytes calldata data) external pure returns (Relay memory) {
        return RelayLib.decodeRelay(data);
    }

    /// @notice RelayLib.verify on an encoded relay.
    function verify(bytes32 separator, bytes calldata data) external pure returns (bytes32, address) {
        return RelayLib.verify(separator, RelayLib.decodeRelay(data));
    }

    /// @notice RelayLib.verify on a decoded relay.
    function verifyRelay(bytes32 separator, Relay calldata relay) external pure returns (bytes32, address) {
        return RelayLib.verify(separator, relay);
    }

    /// @notice RelayLib.recover.
    function recover(bytes32 digest, bytes calldata signature) external pure returns (address) {
        return RelayLib.recover(digest, signature);
    }
}

contract RelayLibTest is Test {
    uint256 internal constant ORDER = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141;
    uint256 internal constant APP_KEY = 0xA11CE;
    uint256 internal constant SUPPLIER_KEY = 0xB0B;

    RelayLibHarness internal harness;
    bytes32 internal separator;

    function setUp() public {
        harness = new RelayLibHarness();
        separator = RelayLib.domainSeparator(31337, address(0xDECA1));
    }

    function _sign(uint256 key, bytes32 digest) internal pure returns (bytes memory) {
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(key, digest);
        return abi.encodePacked(r, s, v);
    }

    function _request(uint64 nonce) internal pure returns (RelayRequest memory) {
        return RelayRequest({
            application: vm.addr(APP_KEY),
            serviceId: keccak256("tiny-llama"),
            session: 7,
            supplier: vm.addr(SUPPLIER_KEY),
            requestDigest: sha256("POST\x00/v1/chat/completions\x00{}"),
            maxTokens: 100,
            nonce: nonce
        });
    }

    function _relay(uint64 nonce) internal view returns (Relay memory relay) {
        relay.request = _request(nonce);
        bytes32 requestHash = RelayLib.hashRequest(separator, relay.request);
        relay.requestSignature = _sign(APP_KEY, requestHash);
        relay.response = RelayResponse({
            requestHash: requestHash, responseDigest: sha256("data: hi\n\n"), inputTokens: 12, outputTokens: 150
        });
        relay.responseSignature = _sign(SUPPLIER_KEY, RelayLib.hashResponse(separator, relay.response));
    }

    function _service(ComputeUnitMode mode, uint64 perRelay, uint64 perIn, uint64 perOut)
        internal
        pure
        returns (Service memory)
    {
        return Service({
            source: address(1),
            modelName: "m",
            weightsDigest: bytes32(0),
            sourceShareBps: 0,
            cuMode: mode,
            cuPerRelay: perRelay,
            cuPerInputToken: perIn,
            cuPerOutputToken: perOut
        });
    }

    function test_typeHashes_matchTheirTypeStrings() public pure {
        vm.assertEq(
            RelayLib.REQUEST_TYPEHASH,
            keccak256(
                "RelayRequest(address application,bytes32 serviceId,uint64 session,address supplier,bytes32 requestDigest,uint32 maxTokens,uint64 nonce)"
            )
        );
        vm.assertEq(
            RelayLib.RESPONSE_TYPEHASH,
            keccak256(
                "RelayResponse(bytes32 requestHash,bytes32 responseDigest,uint32 inputTokens,uint32 outputTokens)"
            )
        );
    }

    function test_domainSeparator_dependsOnChainAndContract() public pure {
        bytes32 base = RelayLib.domainSeparator(1, address(2));
        vm.assertNotEq(base, RelayLib.domainSeparator(2, address(2)));
        vm.assertNotEq(base, RelayLib.domainSeparator(1, address(3)));
    }

    function testFuzz_recover_returnsTheSigner(uint256 key, bytes32 digest) public view {
        key = bound(key, 1, ORDER - 1);
        vm.assertEq(harness.recover(digest, _sign(key, digest)), vm.addr(key));
    }

    function testFuzz_recover_rejectsTheHighSTwin(uint256 key, bytes32 digest) public {
        key = bound(key, 1, ORDER - 1);
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(key, digest);
        bytes32 highS = bytes32(ORDER - uint256(s));
        uint8 flippedV = v == 27 ? 28 : 27;
        // The twin is a real signature of the same key: plain ecrecover accepts it.
        vm.assertEq(ecrecover(digest, flippedV, r, highS), vm.addr(key));
        vm.expectRevert(abi.encodeWithSelector(RelayLib.RelayInvalidSignatureS.selector, highS));
        harness.recover(digest, abi.encodePacked(r, highS, flippedV));
    }

    function test_recover_rejectsBadV() public {
        bytes32 digest = keccak256("d");
        (, bytes32 r, bytes32 s) = vm.sign(APP_KEY, digest);
        uint8[3] memory bad = [uint8(0), 1, 29];
        for (uint256 i; i < bad.length; ++i) {
            vm.expectRevert(abi.encodeWithSelector(RelayLib.RelayInvalidSignatureV.selector, bad[i]));
            harness.recover(digest, abi.encodePacked(r, s, bad[i]));
        }
    }

    function test_recover_rejectsWrongLengths() public {
        bytes memory signature = _sign(APP_KEY, keccak256("d"));
        vm.expectRevert(abi.encodeWithSelector(RelayLib.RelayInvalidSignatureLength.selector, 66));
        harness.recover(keccak256("d"), abi.encodePacked(signature, bytes1(0)));
        vm.expectRevert(abi.encodeWithSelector(RelayLib.RelayInvalidSignatureLength.selector, 0));
        harness.recover(keccak256("d"), "");
    }

    function test_recover_rejectsUnrecoverable() public {
        vm.expectRevert(RelayLib.RelayInvalidSignature.selector);
        harness.recover(keccak256("d"), abi.encodePacked(bytes32(0), bytes32(uint256(1)), uint8(27)));
    }

    function test_verify_acceptsAWellSignedRelay() public view {
        Relay memory relay = _relay(1);
        (bytes32 hash, address requestSigner) = harness.verifyRelay(separator, relay);
        vm.assertEq(hash, RelayLib.relayHash(separator, relay.request));
        vm.assertEq(requestSigner, vm.addr(APP_KEY));
    }

    function test_verify_rejectsAResponseOfAnotherRequest() public {
        Relay memory relay = _relay(1);
        Relay memory other = _relay(2);
        relay.response = other.response;
        relay.responseSignature = other.responseSignature;
        vm.expectRevert(
            abi.encodeWithSelector(
                RelayLib.RelayRequestHashMismatch.selector,
                RelayLib.hashRequest(separator, relay.request),
                other.response.requestHash
            )
        );
        harness.verifyRelay(separator, relay);
    }

    function test_verify_rejectsAResponseSignedByAnotherKey() public {
        Relay memory relay = _relay(1);
        relay.responseSignature = _sign(APP_KEY, RelayLib.hashResponse(separator, relay.response));
        vm.expectRevert(
            abi.encodeWithSelector(
                RelayLib.RelayResponseSignerMismatch.selector, vm.addr(SUPPLIER_KEY), vm.addr(APP_KEY)
            )
        );
        harness.verifyRelay(separator, relay);
    }

    function test_verify_rejectsAnEditedTokenCount() public {
        Relay memory relay = _relay(1);
        relay.response.outputTokens += 1;
        vm.expectRevert(); // the recovered signer is some unrelated address
        harness.verifyRelay(separator, relay);
    }

    function test_relayHash_ignoresTheResponse() public view {
        Relay memory a = _relay(1);
        Relay memory b = _relay(1);
        b.response.outputTokens = 1;
        vm.assertEq(RelayLib.relayHash(separator, a.request), RelayLib.relayHash(separator, b.request));
        vm.assertNotEq(RelayLib.relayHash(separator, a.request), RelayLib.relayHash(separator, _request(2)));
    }

    function testFuzz_decodeRelay_roundTrips(
        RelayRequest memory request,
        bytes memory requestSignature,
        RelayResponse memory response,
        bytes memory responseSignature
    ) public view {
        bytes memory data = abi.encode(request, requestSignature, response, responseSignature);
        Relay memory relay = harness.decodeRelay(data);
        vm.assertEq(abi.encode(relay.request, relay.requestSignature, relay.response, relay.responseSignature), data);
    }

    function testFuzz_decodeRelay_rejectsTrailingData(bytes memory tail) public {
        vm.assume(tail.length > 0);
        Relay memory relay = _relay(1);
        bytes memory data = abi.encode(relay.request, relay.requestSignature, relay.response, relay.responseSignature);
        vm.expectRevert(RelayLib.RelayMalformed.selector);
        harness.decodeRelay(bytes.concat(data, tail));
    }

    function test_decodeRelay_rejectsTruncatedData() public {
        Relay memory relay = _relay(1);
        bytes memory data = abi.encode(relay.request, relay.requestSignature, relay.response, relay.responseSignature);
        for (uint256 cut = 1; cut <= data.length; cut += 31) {
            bytes memory truncated = new bytes(data.length - cut);
            for (uint256 i; i < truncated.length; ++i) {
                truncated[i] = data[i];
            }
            vm.expectRevert(RelayLib.RelayMalformed.selector);
            harness.decodeRelay(truncated);
        }
    }

    function testFuzz_relayWeight_perRelayIgnoresTokens(uint64 perRelay, uint32 maxTokens, uint32 input, uint32 output)
        public
        pure
    {
        Service memory service = _service(ComputeUnitMode.PerRelay, perRelay, 5, 7);
        vm.assertEq(RelayLib.relayWeight(service, maxTokens, input, output), perRelay);
    }

    function testFuzz_relayWeight_perTokenCapsOutput(
        uint64 perIn,
        uint64 perOut,
        uint32 maxTokens,
        uint32 input,
        uint32 output
    ) public pure {
        Service memory service = _service(ComputeUnitMode.PerToken, 1000, perIn, perOut);
        uint256 billed = output < maxTokens ? output : maxTokens;
        vm.assertEq(RelayLib.relayWeight(service, maxTokens, input, output), uint256(input) * perIn + billed * perOut);
        // Raising the output past the cap never raises the weight.
        vm.assertLe(
            RelayLib.relayWeight(service, maxTokens, input, output),
            RelayLib.relayWeight(service, maxTokens, input, type(uint32).max)
        );
    }

    function test_relayWeight_perTokenExample() public pure {
        Service memory service = _service(ComputeUnitMode.PerToken, 0, 1, 3);
        vm.assertEq(RelayLib.relayWeight(service, 100, 20, 150), 20 + 100 * 3);
        vm.assertEq(RelayLib.relayWeight(service, 100, 20, 50), 20 + 50 * 3);
    }

    function test_isRewardApplicable_isStrict() public pure {
        vm.assertTrue(RelayLib.isRewardApplicable(bytes32(uint256(9)), 10));
        vm.assertFalse(RelayLib.isRewardApplicable(bytes32(uint256(10)), 10));
        vm.assertFalse(RelayLib.isRewardApplicable(bytes32(0), 0));
    }
}
