// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @notice Cheatcodes the mining tests use that test/utils/Vm.sol does not declare.
interface VmExtra {
    function keyExistsJson(string calldata json, string calldata key) external view returns (bool);
    function assertApproxEqAbs(uint256 left, uint256 right, uint256 maxDelta) external pure;
    function assertApproxEqRel(uint256 left, uint256 right, uint256 maxPercentDelta) external pure;
}

/// @dev The cheatcode address, seen through `VmExtra`.
VmExtra constant vmExtra = VmExtra(address(uint160(uint256(keccak256("hevm cheat code")))));
