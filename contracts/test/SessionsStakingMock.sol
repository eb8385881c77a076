// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IStaking, SupplierEntry} from "../src/interfaces/IStaking.sol";

/// @notice Supplier entries set directly by tests, to exercise the session draw without staking tokens.
contract SessionsStakingMock is IStaking {
    mapping(bytes32 serviceId => SupplierEntry[]) private _entries;

    function push(bytes32 serviceId, address supplier, uint64 fromSession, uint64 untilSession) external {
        _entries[serviceId].push(SupplierEntry(supplier, fromSession, untilSession));
    }

    function getServiceSupplierEntries(bytes32 serviceId) external view returns (SupplierEntry[] memory) {
        return _entries[serviceId];
    }

    function isDelegated(address, address, uint64) external pure returns (bool) {
        return false;
    }
}
