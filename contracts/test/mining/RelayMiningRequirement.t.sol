// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ClaimStatus} from "../../src/mining/RelayClaims.sol";
import {RelayProofs} from "../../src/mining/RelayProofs.sol";
import {MiningFixture} from "./MiningFixture.sol";

/// @notice Which claims must be proven: the seed (recording, loss), the probability draw and the path.
contract RelayMiningRequirementTest is MiningFixture {
    uint32 internal constant HALF = 500_000;
    bytes32 internal constant ROOT = keccak256("root");

    function setUp() public override {
        super.setUp();
        vm.prank(gov);
        mining.setProofRequestProbabilityPpm(HALF);
    }

    function test_isProofRequired_followsTheSeedDraw() public {
        bytes32 key = _claimRoot(supplier);
        uint256 seedBlock = mining.getClaim(key).proofWindowOpen - 1;
        _toProofWindow(key);
        uint256 required;
        for (uint256 i; i < 32; ++i) {
            bytes32 seed = keccak256(abi.encode("seed", i));
            vm.setBlockhash(seedBlock, seed);
            bool expected = uint256(keccak256(abi.encode(seed, key))) % 1_000_000 < HALF;
            vm.assertEq(mining.isProofRequired(key), expected);
            vm.assertEq(mining.proofPath(key), sha256(abi.encode(seed, key)));
            if (expected) ++required;
        }
        // Both outcomes occur: the draw is not constant.
        vm.assertGt(required, 0);
        vm.assertLt(required, 32);
    }

    function test_isProofRequired_needsNoSeedAtProbabilityZeroOrOne() public {
        bytes32 key = _claimRoot(supplier);
        vm.startPrank(gov);
        mining.setProofRequestProbabilityPpm(0);
        vm.assertFalse(mining.isProofRequired(key));
        mining.setProofRequestProbabilityPpm(1_000_000);
        vm.assertTrue(mining.isProofRequired(key));
        vm.stopPrank();
    }

    function test_isProofRequired_revertsBeforeTheSeedBlockIsMined() public {
        bytes32 key = _claimRoot(supplier);
        uint256 seedBlock = mining.getClaim(key).proofWindowOpen - 1;
        vm.roll(seedBlock);
        vm.expectRevert(abi.encodeWithSelector(RelayProofs.ProofSeedNotYetAvailable.selector, seedBlock));
        mining.isProofRequired(key);
        vm.expectRevert(abi.encodeWithSelector(RelayProofs.ProofSeedNotYetAvailable.selector, seedBlock));
        mining.proofPath(key);
        vm.expectRevert(abi.encodeWithSelector(RelayProofs.ProofSeedNotYetAvailable.selector, seedBlock));
        mining.recordProofSeed(key);
    }

    function test_recordProofSeed_storesTheSeedOnceForEveryClaimOfTheWindow() public {
        bytes32 a = _claimRoot(supplier);
        bytes32 b = _claimRoot(supplier2);
        uint256 seedBlock = mining.getClaim(a).proofWindowOpen - 1;
        _toProofWindow(a);
        bytes32 seed = blockhash(seedBlock);
        vm.expectEmit(true, false, false, true, address(mining));
        emit RelayProofs.ProofSeedRecorded(seedBlock, seed);
        vm.assertEq(mining.recordProofSeed(a), seed);
        vm.assertEq(mining.recordedProofSeed(seedBlock), seed);
        // Long after the block hash is gone, the recorded seed still answers, for both claims.
        vm.roll(block.number + 1000);
        vm.assertEq(blockhash(seedBlock), bytes32(0));
        vm.assertEq(mining.recordProofSeed(b), seed);
        vm.assertEq(mining.proofPath(b), sha256(abi.encode(seed, b)));
    }

    function test_recordProofSeed_revertsOnceTheSeedIsLost() public {
        bytes32 key = _claimRoot(supplier);
        uint256 seedBlock = mining.getClaim(key).proofWindowOpen - 1;
        vm.roll(seedBlock + 257);
        vm.expectRevert(abi.encodeWithSelector(RelayProofs.ProofSeedLost.selector, seedBlock));
        mining.recordProofSeed(key);
        vm.expectRevert(abi.encodeWithSelector(RelayProofs.ProofSeedLost.selector, seedBlock));
        mining.proofPath(key);
        vm.assertTrue(mining.isProofRequired(key));
    }

    function test_recordProofSeed_isReadableThroughTheWholeProofWindow() public {
        vm.prank(gov);
        mining.setProofWindowBlocks(255);
        bytes32 key = _claimRoot(supplier);
        uint64 close = mining.getClaim(key).proofWindowClose;
        vm.roll(close); // the first block of settlement, 256 blocks after the seed block
        vm.assertEq(mining.recordProofSeed(key), blockhash(mining.getClaim(key).proofWindowOpen - 1));
    }

    function test_recordProofSeed_rejectsAnUnknownClaim() public {
        vm.expectRevert(abi.encodeWithSelector(bytes4(keccak256("UnknownClaim(bytes32)")), bytes32(0)));
        mining.recordProofSeed(bytes32(0));
    }

    function test_settle_voidsWhenTheSeedWasLost() public {
        bytes32 key = _claimRoot(supplier);
        uint256 seedBlock = mining.getClaim(key).proofWindowOpen - 1;
        // A seed that would not ask for a proof, but nobody records it in time.
        _toProofWindow(key);
        vm.setBlockhash(seedBlock, _seedWith(key, false));
        vm.assertFalse(mining.isProofRequired(key));
        vm.roll(seedBlock + 257);
        vm.assertTrue(mining.isProofRequired(key));
        vm.assertEq(mining.settle(key), 0);
        vm.assertEq(uint256(mining.getClaim(key).status), uint256(ClaimStatus.Voided));
    }

    function test_settle_usesTheRecordedSeedLongAfter() public {
        bytes32 key = _claimRoot(supplier);
        uint256 seedBlock = mining.getClaim(key).proofWindowOpen - 1;
        _toProofWindow(key);
        vm.setBlockhash(seedBlock, _seedWith(key, false));
        mining.recordProofSeed(key);
        vm.roll(seedBlock + 1000);
        vm.assertFalse(mining.isProofRequired(key));
        vm.assertEq(mining.settle(key), 3 * PRICE);
    }

    function test_settle_recordsAReadableSeedAndVoidsWhenDrawn() public {
        bytes32 key = _claimRoot(supplier);
        uint256 seedBlock = mining.getClaim(key).proofWindowOpen - 1;
        _toSettlement(key);
        bytes32 seed = _seedWith(key, true);
        vm.setBlockhash(seedBlock, seed);
        vm.assertEq(mining.settle(key), 0);
        vm.assertEq(mining.recordedProofSeed(seedBlock), seed);
        vm.assertEq(uint256(mining.getClaim(key).status), uint256(ClaimStatus.Voided));
    }

    /// @dev A seed whose draw for `key` is `required`.
    function _seedWith(bytes32 key, bool required) internal pure returns (bytes32 seed) {
        for (uint256 i;; ++i) {
            seed = keccak256(abi.encode("pick", i));
            if ((uint256(keccak256(abi.encode(seed, key))) % 1_000_000 < HALF) == required) return seed;
        }
    }

    function _claimRoot(address who) internal returns (bytes32 key) {
        (uint64 open,) = mining.claimWindow(S);
        if (block.number < open) vm.roll(open);
        vm.prank(who);
        key = mining.claim(application, SVC_A, S, ROOT, 3, 1);
    }
}
