// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {SmstVerifier} from "../src/smst/SmstVerifier.sol";
import {Test} from "./utils/Test.sol";

/// @notice Fuzzes SmstVerifier against two-leaf trees built here with abi.encodePacked (an encoding
///         written independently of the library's assembly), and against garbage input.
contract SmstVerifierFuzzTest is Test {
    struct Tree {
        bytes32 rootHash;
        uint64 sum;
        uint64 count;
        bytes proofA;
        bytes proofB;
        bytes32 pathA;
        bytes32 pathB;
        uint256 split;
    }

    function testFuzz_TwoLeafTreeProvesTheCloserLeaf(
        bytes32 keyA,
        bytes32 keyB,
        bytes32 valueHashA,
        bytes32 valueHashB,
        uint64 weightA,
        uint64 weightB,
        bytes32 challenge
    ) public view {
        vm.assume(keyA != keyB);
        weightB = uint64(bound(weightB, 0, type(uint64).max - weightA));
        Tree memory t = _twoLeafTree(keyA, keyB, valueHashA, valueHashB, weightA, weightB);

        // The closer leaf is the one that agrees with the challenge where the two leaves part.
        bool aIsCloser = _bit(challenge, t.split) == _bit(t.pathA, t.split);
        (bool okA, SmstVerifier.ClosestLeaf memory leafA) =
            SmstVerifier.verifyClosestProof(t.rootHash, t.sum, t.count, challenge, t.proofA);
        (bool okB, SmstVerifier.ClosestLeaf memory leafB) =
            SmstVerifier.verifyClosestProof(t.rootHash, t.sum, t.count, challenge, t.proofB);
        vm.assertEq(okA, aIsCloser);
        vm.assertEq(okB, !aIsCloser);
        SmstVerifier.ClosestLeaf memory leaf = aIsCloser ? leafA : leafB;
        vm.assertEq(leaf.path, aIsCloser ? t.pathA : t.pathB);
        vm.assertEq(leaf.valueHash, aIsCloser ? valueHashA : valueHashB);
        vm.assertEq(uint256(leaf.weight), aIsCloser ? weightA : weightB);
        vm.assertEq(uint256(leaf.depth), t.split + 1);
    }

    function testFuzz_AnyBitFlipBreaksAValidProof(bytes32 keyA, bytes32 keyB, uint64 weight, uint256 bit) public view {
        vm.assume(keyA != keyB);
        weight = uint64(bound(weight, 0, type(uint64).max - 1));
        Tree memory t = _twoLeafTree(keyA, keyB, keccak256("a"), keccak256("b"), weight, 1);
        bytes32 challenge = t.pathA; // leaf A is trivially the closest to its own path
        (bool ok,) = SmstVerifier.verifyClosestProof(t.rootHash, t.sum, t.count, challenge, t.proofA);
        vm.assertTrue(ok);

        // Flip one bit of proof ‖ rootHash ‖ rootSum ‖ rootCount.
        bit = bound(bit, 0, t.proofA.length * 8 + 256 + 64 + 64 - 1);
        bytes memory proof = t.proofA;
        if (bit < proof.length * 8) {
            proof[bit / 8] = proof[bit / 8] ^ bytes1(uint8(0x80) >> (bit % 8));
        } else if ((bit -= proof.length * 8) < 256) {
            t.rootHash ^= bytes32(uint256(1) << bit);
        } else if ((bit -= 256) < 64) {
            t.sum ^= uint64(1) << bit;
        } else {
            t.count ^= uint64(1) << (bit - 64);
        }
        (ok,) = SmstVerifier.verifyClosestProof(t.rootHash, t.sum, t.count, challenge, proof);
        vm.assertFalse(ok);
    }

    function testFuzz_GarbageNeverVerifies(
        bytes calldata proof,
        bytes32 path,
        bytes32 rootHash,
        uint64 sum,
        uint64 count
    ) public view {
        (bool ok, SmstVerifier.ClosestLeaf memory leaf) =
            SmstVerifier.verifyClosestProof(rootHash, sum, count, path, proof);
        vm.assertFalse(ok);
        vm.assertEq(leaf.path, bytes32(0));
    }

    function test_SingleLeafTree() public view {
        bytes32 path = SmstVerifier.pathOf(abi.encodePacked(bytes32("relay")));
        bytes32 root = _leafHash(path, keccak256("digest"), 7);
        bytes memory proof = abi.encodePacked(path, keccak256("digest"), uint64(7), uint16(0), bytes32(0));
        (bool ok, SmstVerifier.ClosestLeaf memory leaf) = SmstVerifier.verifyClosestProof(root, 7, 1, bytes32(0), proof);
        vm.assertTrue(ok);
        vm.assertEq(leaf.path, path);
        (ok,) = SmstVerifier.verifyClosestProof(root, 7, 2, bytes32(0), proof);
        vm.assertFalse(ok);
    }

    function _twoLeafTree(
        bytes32 keyA,
        bytes32 keyB,
        bytes32 valueHashA,
        bytes32 valueHashB,
        uint64 weightA,
        uint64 weightB
    ) private pure returns (Tree memory t) {
        t.pathA = sha256(abi.encodePacked(keyA));
        t.pathB = sha256(abi.encodePacked(keyB));
        vm.assume(t.pathA != t.pathB);
        while (_bit(t.pathA, t.split) == _bit(t.pathB, t.split)) ++t.split;

        bytes32 hashA = _leafHash(t.pathA, valueHashA, weightA);
        bytes32 hashB = _leafHash(t.pathB, valueHashB, weightB);
        t.sum = weightA + weightB;
        t.count = 2;
        bytes memory digestA = abi.encodePacked(hashA, weightA, uint64(1));
        bytes memory digestB = abi.encodePacked(hashB, weightB, uint64(1));
        bytes32 node = _bit(t.pathA, t.split) == 0
            ? _innerHash(digestA, digestB, t.sum, t.count)
            : _innerHash(digestB, digestA, t.sum, t.count);
        // Above the split, a run of inner nodes with an empty side.
        for (uint256 d = t.split; d > 0;) {
            --d;
            bytes memory child = abi.encodePacked(node, t.sum, t.count);
            bytes memory empty = new bytes(48);
            node = _bit(t.pathA, d) == 0
                ? _innerHash(child, empty, t.sum, t.count)
                : _innerHash(empty, child, t.sum, t.count);
        }
        t.rootHash = node;

        bytes32 bitmask = bytes32(uint256(1) << (255 - t.split));
        uint16 depth = uint16(t.split + 1);
        t.proofA = abi.encodePacked(t.pathA, valueHashA, weightA, depth, bitmask, digestB);
        t.proofB = abi.encodePacked(t.pathB, valueHashB, weightB, depth, bitmask, digestA);
    }

    function _leafHash(bytes32 path, bytes32 valueHash, uint64 weight) private pure returns (bytes32) {
        return sha256(abi.encodePacked(bytes1(0x00), path, valueHash, weight, uint64(1)));
    }

    function _innerHash(bytes memory left, bytes memory right, uint64 sum, uint64 count)
        private
        pure
        returns (bytes32)
    {
        return sha256(abi.encodePacked(bytes1(0x01), left, right, sum, count));
    }

    function _bit(bytes32 path, uint256 depth) private pure returns (uint256) {
        return (uint256(path) >> (255 - depth)) & 1;
    }
}
