// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {SmstVerifier} from "../../src/smst/SmstVerifier.sol";
import {Test} from "../utils/Test.sol";
import {SmstBuilder, SmstLeaf} from "./utils/SmstBuilder.sol";
import {vmExtra} from "./utils/VmExtra.sol";

/// @notice The test tree builder agrees with packages/smst: same roots and same closest proofs as the
///         TypeScript vectors, and its proofs verify on-chain.
contract SmstBuilderTest is Test {
    string internal constant VECTORS = "/../packages/smst/test/vectors/smst.json";

    function test_rootsAndProofsMatchTypeScriptVectors() public view {
        string memory json = vm.readFile(string.concat(vm.projectRoot(), VECTORS));
        // trees[2] is "ten": ten leaves, a weight near 2^62, one weight 0.
        vm.assertEq(vm.parseJsonString(json, ".trees[2].name"), "ten");
        SmstLeaf[] memory leaves = new SmstLeaf[](10);
        for (uint256 i; i < leaves.length; ++i) {
            string memory at = string.concat(".trees[2].leaves[", vm.toString(i), "]");
            leaves[i] = SmstLeaf(
                sha256(vm.parseJsonBytes(json, string.concat(at, ".key"))),
                sha256(vm.parseJsonBytes(json, string.concat(at, ".value"))),
                uint64(vm.parseJsonUint(json, string.concat(at, ".weight")))
            );
        }
        (bytes32 hash, uint64 sum, uint64 count) = SmstBuilder.root(leaves);
        vm.assertEq(hash, vm.parseJsonBytes32(json, ".trees[2].root.hash"));
        vm.assertEq(uint256(sum), vm.parseJsonUint(json, ".trees[2].root.sum"));
        vm.assertEq(uint256(count), 10);

        uint256 matched;
        for (uint256 i;; ++i) {
            string memory at = string.concat(".closest[", vm.toString(i), "]");
            if (!vmExtra.keyExistsJson(json, at)) break;
            if (keccak256(bytes(vm.parseJsonString(json, string.concat(at, ".tree")))) != keccak256("ten")) continue;
            if (!vm.parseJsonBool(json, string.concat(at, ".valid"))) continue;
            bytes32 path = vm.parseJsonBytes32(json, string.concat(at, ".path"));
            (bytes memory proof,) = SmstBuilder.closestProof(leaves, path);
            vm.assertEq(proof, vm.parseJsonBytes(json, string.concat(at, ".proof")));
            ++matched;
        }
        vm.assertGe(matched, 3);
    }

    function testFuzz_builtProofsVerify(bytes32 seed, bytes32 path, uint8 n) public view {
        n = uint8(bound(n, 1, 12));
        SmstLeaf[] memory leaves = new SmstLeaf[](n);
        for (uint64 i; i < n; ++i) {
            leaves[i] = SmstLeaf(sha256(abi.encode(seed, i)), keccak256(abi.encode(i)), i + 1);
        }
        (bytes32 hash, uint64 sum, uint64 count) = SmstBuilder.root(leaves);
        vm.assertEq(uint256(sum), uint256(n) * (n + 1) / 2);
        vm.assertEq(uint256(count), n);
        (bytes memory proof, uint256 index) = SmstBuilder.closestProof(leaves, path);
        (bool ok, SmstVerifier.ClosestLeaf memory leaf) = SmstVerifier.verifyClosestProof(hash, sum, count, path, proof);
        vm.assertTrue(ok);
        vm.assertEq(leaf.path, leaves[index].path);
        // No other leaf is closer to the path.
        for (uint256 i; i < n; ++i) {
            vm.assertGe(uint256(leaves[i].path ^ path), uint256(leaf.path ^ path));
        }
    }
}
