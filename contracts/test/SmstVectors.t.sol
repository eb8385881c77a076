// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {SmstVerifier} from "../src/smst/SmstVerifier.sol";
import {Test} from "./utils/Test.sol";

/// @dev The one cheatcode these tests use that utils/Vm.sol does not declare.
interface VmJsonKeys {
    function keyExistsJson(string calldata json, string calldata key) external view returns (bool);
}

/// @notice Checks SmstVerifier against the vectors that packages/smst writes (test/vectors/smst.json):
///         valid closest proofs verify and yield their leaf, tampered ones fail.
contract SmstVectorsTest is Test {
    string internal constant VECTORS = "/../packages/smst/test/vectors/smst.json";
    VmJsonKeys internal constant vmJson = VmJsonKeys(address(vm));

    function test_ClosestProofVectors() public view {
        string memory json = vm.readFile(string.concat(vm.projectRoot(), VECTORS));
        uint256 valid;
        uint256 invalid;
        for (uint256 i;; ++i) {
            string memory at = string.concat(".closest[", vm.toString(i), "]");
            if (!vmJson.keyExistsJson(json, at)) break;
            bool expected = _bool(json, string.concat(at, ".valid"));
            (bool ok, SmstVerifier.ClosestLeaf memory leaf) = SmstVerifier.verifyClosestProof(
                _bytes32(json, string.concat(at, ".rootHash")),
                uint64(_uint(json, string.concat(at, ".rootSum"))),
                uint64(_uint(json, string.concat(at, ".rootCount"))),
                _bytes32(json, string.concat(at, ".path")),
                _bytes(json, string.concat(at, ".proof"))
            );
            string memory note = _string(json, string.concat(at, ".note"));
            vm.assertEq(ok, expected);
            if (expected) {
                ++valid;
                vm.assertEq(leaf.path, _bytes32(json, string.concat(at, ".leafPath")), note);
                vm.assertEq(leaf.valueHash, _bytes32(json, string.concat(at, ".valueHash")), note);
                vm.assertEq(uint256(leaf.weight), _uint(json, string.concat(at, ".weight")), note);
                vm.assertEq(uint256(leaf.depth), _uint(json, string.concat(at, ".depth")), note);
            } else {
                ++invalid;
                vm.assertEq(leaf.path, bytes32(0), note);
                vm.assertEq(uint256(leaf.weight), 0, note);
            }
        }
        // Guards against a vectors file that silently lost its cases.
        vm.assertGe(valid, 20);
        vm.assertGe(invalid, 15);
    }

    function test_RootEncodingVectors() public view {
        string memory json = vm.readFile(string.concat(vm.projectRoot(), VECTORS));
        uint256 trees;
        for (uint256 i;; ++i) {
            string memory at = string.concat(".trees[", vm.toString(i), "].root");
            if (!vmJson.keyExistsJson(json, at)) break;
            bytes memory packed = abi.encodePacked(
                _bytes32(json, string.concat(at, ".hash")),
                uint64(_uint(json, string.concat(at, ".sum"))),
                uint64(_uint(json, string.concat(at, ".count")))
            );
            vm.assertEq(packed, _bytes(json, string.concat(at, ".encoded")));
            ++trees;
        }
        vm.assertEq(trees, 4);
    }

    function test_SingleLeafRootMatchesVectors() public view {
        // The "one" tree's root is its leaf digest: recompute it here with abi.encodePacked.
        string memory json = vm.readFile(string.concat(vm.projectRoot(), VECTORS));
        bytes memory key = _bytes(json, ".trees[1].leaves[0].key");
        bytes memory value = _bytes(json, ".trees[1].leaves[0].value");
        uint64 weight = uint64(_uint(json, ".trees[1].leaves[0].weight"));
        bytes32 leaf =
            sha256(abi.encodePacked(bytes1(0x00), SmstVerifier.pathOf(key), sha256(value), weight, uint64(1)));
        vm.assertEq(leaf, _bytes32(json, ".trees[1].root.hash"));
    }

    // Each cheatcode call copies the whole JSON into memory, and Solidity never frees memory: these
    // helpers put the free memory pointer back so that reading many fields stays linear.

    function _uint(string memory json, string memory key) private pure returns (uint256 value) {
        uint256 mark = _mark();
        value = vm.parseJsonUint(json, key);
        _release(mark);
    }

    function _bool(string memory json, string memory key) private pure returns (bool value) {
        uint256 mark = _mark();
        value = vm.parseJsonBool(json, key);
        _release(mark);
    }

    function _bytes32(string memory json, string memory key) private pure returns (bytes32 value) {
        uint256 mark = _mark();
        value = vm.parseJsonBytes32(json, key);
        _release(mark);
    }

    function _bytes(string memory json, string memory key) private pure returns (bytes memory) {
        return _bytes(json, key, false);
    }

    /// @dev Parses hex bytes (or a string), then moves the result down to the mark so the JSON copy is freed.
    function _bytes(string memory json, string memory key, bool text) private pure returns (bytes memory value) {
        uint256 mark = _mark();
        bytes memory parsed = text ? bytes(vm.parseJsonString(json, key)) : vm.parseJsonBytes(json, key);
        assembly ("memory-safe") {
            let size := add(mload(parsed), 0x20)
            mcopy(mark, parsed, size)
            value := mark
            mstore(0x40, add(mark, and(add(size, 31), not(31))))
        }
    }

    function _string(string memory json, string memory key) private pure returns (string memory) {
        return string(_bytes(json, key, true));
    }

    function _mark() private pure returns (uint256 mark) {
        assembly ("memory-safe") {
            mark := mload(0x40)
        }
    }

    function _release(uint256 mark) private pure {
        assembly ("memory-safe") {
            mstore(0x40, mark)
        }
    }
}
