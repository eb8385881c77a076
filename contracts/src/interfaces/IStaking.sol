// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @notice One period during which `supplier` served a service: sessions [fromSession, untilSession).
/// @dev Entries are append-only, so the supplier set of any past session can be recomputed.
struct SupplierEntry {
    address supplier;
    uint64 fromSession;
    uint64 untilSession; // type(uint64).max while still active
}

/// @title IStaking
/// @notice What the session draw (and later claims/settlement) need from staking.
interface IStaking {
    /// @return Every supplier entry ever recorded for `serviceId`, in insertion order.
    function getServiceSupplierEntries(bytes32 serviceId) external view returns (SupplierEntry[] memory);

    /// @return True when `gateway` was delegated to by `application` during `session`.
    function isDelegated(address application, address gateway, uint64 session) external view returns (bool);
}
