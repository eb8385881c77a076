// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ClaimStatus} from "../../src/mining/RelayClaims.sol";
import {RelayProofs} from "../../src/mining/RelayProofs.sol";
import {RelayLib, RelayRequest, RelayResponse} from "../../src/relay/RelayLib.sol";
import {MiningFixture} from "./MiningFixture.sol";
import {SmstBuilder, SmstLeaf} from "./utils/SmstBuilder.sol";

/// @notice `submitProof`: the accepted proofs and one test per rejection.
contract RelayMiningProofsTest is MiningFixture {
    // ------------------------------------------------------------------ accepted

    function test_submitProof_acceptsTheApplicationsRelay() public {
        (bytes32 key, bytes memory relay, SmstLeaf[] memory leaves) = _claimOne(1);
        _toProofWindow(key);
        (bytes memory proof,) = _proofFor(key, leaves);
        (, bytes32 hash) = _relay(1);
        vm.expectEmit(true, false, false, true, address(mining));
        emit RelayProofs.ProofSubmitted(key, hash, application);
        mining.submitProof(key, proof, relay);
        vm.assertEq(uint256(_claimOf(key).status), uint256(ClaimStatus.Proven));
    }

    function test_submitProof_acceptsADelegatedGatewaysRelay() public {
        (bytes memory relay, bytes32 hash) = _sign(_request(SVC_A, S, supplier, 7), GATEWAY_KEY, SUPPLIER_KEY, 1, 1);
        SmstLeaf[] memory leaves = _single(relay, hash, 1);
        bytes32 key = _claim(supplier, SVC_A, S, leaves);
        _toProofWindow(key);
        (bytes memory proof,) = _proofFor(key, leaves);
        vm.expectEmit(true, false, false, true, address(mining));
        emit RelayProofs.ProofSubmitted(key, hash, gateway);
        mining.submitProof(key, proof, relay);
    }

    /// @dev The proof is the closest leaf of a many-leaf tree of per-token relays, weighed by the service.
    function test_submitProof_acceptsTheClosestLeafOfABiggerTree() public {
        uint256 n = 8;
        SmstLeaf[] memory leaves = new SmstLeaf[](n);
        bytes[] memory relays = new bytes[](n);
        for (uint256 i; i < n; ++i) {
            // casting to 'uint64' / 'uint32' is safe because i < 8
            // forge-lint: disable-next-line(unsafe-typecast)
            RelayRequest memory request = _request(SVC_B, S, supplier, uint64(100 + i));
            bytes32 hash;
            // forge-lint: disable-next-line(unsafe-typecast)
            (relays[i], hash) = _sign(request, APP_KEY, SUPPLIER_KEY, uint32(10 + i), 500);
            // SVC_B: 1 CU per input token, 3 per output token, output capped by maxTokens = 100.
            // forge-lint: disable-next-line(unsafe-typecast)
            leaves[i] = SmstBuilder.relayLeaf(hash, relays[i], uint64(10 + i + 300));
        }
        bytes32 key = _claim(supplier, SVC_B, S, leaves);
        _toProofWindow(key);
        (bytes memory proof, uint256 index) = _proofFor(key, leaves);
        mining.submitProof(key, proof, relays[index]);
        vm.assertEq(uint256(_claimOf(key).status), uint256(ClaimStatus.Proven));
    }

    function test_submitProof_recordsTheSeed() public {
        (bytes32 key, bytes memory relay, SmstLeaf[] memory leaves) = _claimOne(1);
        _toProofWindow(key);
        uint256 seedBlock = _claimOf(key).proofWindowOpen - 1;
        vm.assertEq(mining.recordedProofSeed(seedBlock), bytes32(0));
        (bytes memory proof,) = _proofFor(key, leaves);
        mining.submitProof(key, proof, relay);
        vm.assertEq(mining.recordedProofSeed(seedBlock), blockhash(seedBlock));
        vm.assertEq(mining.proofPath(key), sha256(abi.encode(blockhash(seedBlock), key)));
    }

    // ------------------------------------------------------------------ window and state

    function test_submitProof_rejectsBeforeTheProofWindow() public {
        (bytes32 key, bytes memory relay,) = _claimOne(1);
        uint64 open = _claimOf(key).proofWindowOpen;
        vm.roll(open - 1);
        vm.expectRevert(
            abi.encodeWithSelector(RelayProofs.ProofOutsideWindow.selector, open - 1, open, open + PROOF_BLOCKS)
        );
        mining.submitProof(key, "", relay);
    }

    function test_submitProof_rejectsAfterTheProofWindow() public {
        (bytes32 key, bytes memory relay, SmstLeaf[] memory leaves) = _claimOne(1);
        _toProofWindow(key);
        (bytes memory proof,) = _proofFor(key, leaves);
        uint64 close = _claimOf(key).proofWindowClose;
        vm.roll(close);
        vm.expectRevert(
            abi.encodeWithSelector(RelayProofs.ProofOutsideWindow.selector, close, close - PROOF_BLOCKS, close)
        );
        mining.submitProof(key, proof, relay);
    }

    function test_submitProof_rejectsASecondProof() public {
        (bytes32 key, bytes memory relay, SmstLeaf[] memory leaves) = _claimOne(1);
        _toProofWindow(key);
        (bytes memory proof,) = _proofFor(key, leaves);
        mining.submitProof(key, proof, relay);
        vm.expectRevert(abi.encodeWithSelector(RelayProofs.ProofAlreadySubmitted.selector, key));
        mining.submitProof(key, proof, relay);
    }

    function test_submitProof_rejectsAnUnknownClaim() public {
        bytes32 key = mining.claimKey(supplier, application, SVC_A, S);
        vm.expectRevert(abi.encodeWithSelector(bytes4(keccak256("UnknownClaim(bytes32)")), key));
        mining.submitProof(key, "", "");
    }

    // ------------------------------------------------------------------ the proof

    function test_submitProof_rejectsTheProofOfAnotherPath() public {
        (bytes memory relayA, bytes32 hashA) = _relay(1);
        (bytes memory relayB, bytes32 hashB) = _relay(2);
        SmstLeaf[] memory leaves = new SmstLeaf[](2);
        leaves[0] = SmstBuilder.relayLeaf(hashA, relayA, 1);
        leaves[1] = SmstBuilder.relayLeaf(hashB, relayB, 1);
        bytes32 key = _claim(supplier, SVC_A, S, leaves);
        _toProofWindow(key);
        bytes32 path = mining.proofPath(key);
        (, uint256 closest) = SmstBuilder.closestProof(leaves, path);
        // A valid membership proof of the other leaf is not a closest proof for the path.
        uint256 other = 1 - closest;
        (bytes memory otherProof,) = SmstBuilder.closestProof(leaves, leaves[other].path);
        vm.expectRevert(abi.encodeWithSelector(RelayProofs.InvalidClosestProof.selector, key, path));
        mining.submitProof(key, otherProof, other == 0 ? relayA : relayB);
    }

    function test_submitProof_rejectsATamperedLeaf() public {
        (bytes32 key, bytes memory relay, SmstLeaf[] memory leaves) = _claimOne(1);
        _toProofWindow(key);
        (bytes memory proof,) = _proofFor(key, leaves);
        proof[40] ^= 0x01; // inside the leaf's value hash
        vm.expectRevert(abi.encodeWithSelector(RelayProofs.InvalidClosestProof.selector, key, mining.proofPath(key)));
        mining.submitProof(key, proof, relay);
    }

    function test_submitProof_rejectsALeafThatIsNotTheRelaysPath() public {
        (bytes memory relay, bytes32 hash) = _relay(1);
        SmstLeaf[] memory leaves = _single(relay, hash, 1);
        leaves[0].path = sha256(abi.encodePacked(hash, "x")); // committed under another key
        bytes32 key = _claim(supplier, SVC_A, S, leaves);
        _toProofWindow(key);
        (bytes memory proof,) = _proofFor(key, leaves);
        vm.expectRevert(
            abi.encodeWithSelector(
                RelayProofs.LeafPathMismatch.selector, leaves[0].path, sha256(abi.encodePacked(hash))
            )
        );
        mining.submitProof(key, proof, relay);
    }

    function test_submitProof_rejectsALeafThatIsNotTheRelaysValue() public {
        (bytes memory relay, bytes32 hash) = _relay(1);
        SmstLeaf[] memory leaves = _single(relay, hash, 1);
        leaves[0].valueHash = sha256("something else");
        bytes32 key = _claim(supplier, SVC_A, S, leaves);
        _toProofWindow(key);
        (bytes memory proof,) = _proofFor(key, leaves);
        vm.expectRevert(
            abi.encodeWithSelector(RelayProofs.LeafValueMismatch.selector, leaves[0].valueHash, sha256(relay))
        );
        mining.submitProof(key, proof, relay);
    }

    function test_submitProof_rejectsALeafWeightOtherThanTheRelays() public {
        (bytes memory relay, bytes32 hash) = _relay(1);
        bytes32 key = _claim(supplier, SVC_A, S, _single(relay, hash, 5)); // SVC_A weighs 1 per relay
        _toProofWindow(key);
        (bytes memory proof,) = _proofFor(key, _single(relay, hash, 5));
        vm.expectRevert(abi.encodeWithSelector(RelayProofs.LeafWeightMismatch.selector, 5, 1));
        mining.submitProof(key, proof, relay);
    }

    function test_submitProof_rejectsAMalformedRelay() public {
        (bytes memory relay, bytes32 hash) = _relay(1);
        bytes memory trailing = abi.encodePacked(relay, bytes32(0));
        SmstLeaf[] memory leaves = _single(trailing, hash, 1);
        bytes32 key = _claim(supplier, SVC_A, S, leaves);
        _toProofWindow(key);
        (bytes memory proof,) = _proofFor(key, leaves);
        vm.expectRevert(RelayLib.RelayMalformed.selector);
        mining.submitProof(key, proof, trailing);
    }

    // ------------------------------------------------------------------ the relay's signatures

    function test_submitProof_rejectsAForgedRequestSignature() public {
        (bytes memory relay, bytes32 hash) = _sign(_request(SVC_A, S, supplier, 1), STRANGER_KEY, SUPPLIER_KEY, 1, 1);
        bytes32 key = _claimAndOpen(relay, hash);
        (bytes memory proof,) = _proofFor(key, _single(relay, hash, 1));
        vm.expectRevert(abi.encodeWithSelector(RelayProofs.UnauthorizedRelaySigner.selector, stranger, application, S));
        mining.submitProof(key, proof, relay);
    }

    function test_submitProof_rejectsAForgedResponseSignature() public {
        (bytes memory relay, bytes32 hash) = _sign(_request(SVC_A, S, supplier, 1), APP_KEY, STRANGER_KEY, 1, 1);
        bytes32 key = _claimAndOpen(relay, hash);
        (bytes memory proof,) = _proofFor(key, _single(relay, hash, 1));
        vm.expectRevert(abi.encodeWithSelector(RelayLib.RelayResponseSignerMismatch.selector, supplier, stranger));
        mining.submitProof(key, proof, relay);
    }

    function test_submitProof_rejectsAResponseThatCommitsToAnotherRequest() public {
        // Re-encode the relay with the response of another request (signed by the supplier all the same).
        (bytes memory relay, bytes32 hash) = _relay(1);
        (bytes memory otherRelay, bytes32 otherHash) = _relay(2);
        (RelayRequest memory request, bytes memory requestSig,,) =
            abi.decode(relay, (RelayRequest, bytes, RelayResponse, bytes));
        (,, RelayResponse memory response, bytes memory responseSig) =
            abi.decode(otherRelay, (RelayRequest, bytes, RelayResponse, bytes));
        bytes memory mixed = abi.encode(request, requestSig, response, responseSig);
        bytes32 key = _claimAndOpen(mixed, hash);
        (bytes memory proof,) = _proofFor(key, _single(mixed, hash, 1));
        vm.expectRevert(abi.encodeWithSelector(RelayLib.RelayRequestHashMismatch.selector, hash, otherHash));
        mining.submitProof(key, proof, mixed);
    }

    function test_submitProof_rejectsAnUndelegatedGateway() public {
        // The gateway's delegation ends after the current session: its relays of the next one are not the app's.
        _undelegate(application, gateway);
        uint64 next = S + 1;
        _enterSession(next);
        (bytes memory relay, bytes32 hash) = _sign(_request(SVC_A, next, supplier, 1), GATEWAY_KEY, SUPPLIER_KEY, 1, 1);
        SmstLeaf[] memory leaves = _single(relay, hash, 1);
        bytes32 key = _claim(supplier, SVC_A, next, leaves);
        _toProofWindow(key);
        (bytes memory proof,) = _proofFor(key, leaves);
        vm.expectRevert(
            abi.encodeWithSelector(RelayProofs.UnauthorizedRelaySigner.selector, gateway, application, next)
        );
        mining.submitProof(key, proof, relay);
    }

    // ------------------------------------------------------------------ the relay's header

    function test_submitProof_rejectsARelayOfAnotherSession() public {
        _expectHeaderMismatch(
            _request(SVC_A, S - 1, supplier, 1),
            abi.encodeWithSelector(RelayProofs.RelaySessionMismatch.selector, S, S - 1)
        );
    }

    function test_submitProof_rejectsARelayOfAnotherService() public {
        _expectHeaderMismatch(
            _request(SVC_B, S, supplier, 1),
            abi.encodeWithSelector(RelayProofs.RelayServiceMismatch.selector, SVC_A, SVC_B)
        );
    }

    function test_submitProof_rejectsARelayForAnotherSupplier() public {
        _expectHeaderMismatch(
            _request(SVC_A, S, supplier2, 1),
            abi.encodeWithSelector(RelayProofs.RelaySupplierMismatch.selector, supplier, supplier2)
        );
    }

    function test_submitProof_rejectsARelayOfAnotherApplication() public {
        RelayRequest memory request = _request(SVC_A, S, supplier, 1);
        request.application = stranger;
        _expectHeaderMismatch(
            request, abi.encodeWithSelector(RelayProofs.RelayApplicationMismatch.selector, application, stranger)
        );
    }

    // ------------------------------------------------------------------ difficulty

    function test_submitProof_rejectsARelayAboveTheTarget() public {
        // From session S + 1 on, only relays whose hash has a leading zero bit are applicable.
        uint256 target = MAX >> 1;
        vm.prank(gov);
        mining.setInitialTarget(target);
        uint64 next = S + 1;
        _enterSession(next);
        vm.assertEq(mining.targetAt(SVC_A, S), MAX);
        vm.assertEq(mining.targetAt(SVC_A, next), target);
        (bytes memory relay, bytes32 hash, bytes memory applicable, bytes32 applicableHash) =
            _aboveAndBelow(next, target);

        SmstLeaf[] memory leaves = _single(relay, hash, 1);
        bytes32 key = _claim(supplier, SVC_A, next, leaves);
        SmstLeaf[] memory good = _single(applicable, applicableHash, 1);
        bytes32 goodKey = _claim(supplier2, SVC_A, next, good);
        _toProofWindow(key);
        (bytes memory proof,) = _proofFor(key, leaves);
        vm.expectRevert(abi.encodeWithSelector(RelayProofs.RelayAboveTarget.selector, hash, target));
        mining.submitProof(key, proof, relay);
        // The applicable relay of the same session proves fine.
        (proof,) = _proofFor(goodKey, good);
        mining.submitProof(goodKey, proof, applicable);
    }

    // ------------------------------------------------------------------ helpers

    /// @dev A relay of `session` (supplier for the first, supplier2 for the second) above and one below `target`.
    function _aboveAndBelow(uint64 session, uint256 target)
        internal
        view
        returns (bytes memory above, bytes32 aboveHash, bytes memory below, bytes32 belowHash)
    {
        for (uint64 nonce; aboveHash == 0 || belowHash == 0; ++nonce) {
            (bytes memory r, bytes32 h) = _sign(_request(SVC_A, session, supplier, nonce), APP_KEY, SUPPLIER_KEY, 1, 1);
            if (uint256(h) >= target && aboveHash == 0) (above, aboveHash) = (r, h);
            (r, h) = _sign(_request(SVC_A, session, supplier2, nonce), APP_KEY, SUPPLIER2_KEY, 1, 1);
            if (uint256(h) < target && belowHash == 0) (below, belowHash) = (r, h);
        }
    }

    function _expectHeaderMismatch(RelayRequest memory request, bytes memory err) internal {
        uint256 responseKey = request.supplier == supplier2 ? SUPPLIER2_KEY : SUPPLIER_KEY;
        (bytes memory relay, bytes32 hash) = _sign(request, APP_KEY, responseKey, 1, 1);
        bytes32 key = _claimAndOpen(relay, hash);
        (bytes memory proof,) = _proofFor(key, _single(relay, hash, 1));
        vm.expectRevert(err);
        mining.submitProof(key, proof, relay);
    }

    /// @dev Claims (supplier, SVC_A, S) with a one-leaf tree of `relay` and moves to the proof window.
    function _claimAndOpen(bytes memory relay, bytes32 hash) internal returns (bytes32 key) {
        key = _claim(supplier, SVC_A, S, _single(relay, hash, 1));
        _toProofWindow(key);
    }
}
