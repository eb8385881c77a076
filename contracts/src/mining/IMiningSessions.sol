// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title IMiningSessions
/// @notice What `RelayMining` needs from `Sessions`: the membership check of a claim's supplier.
interface IMiningSessions {
    /// @return The staking contract the draw reads supplier entries from.
    function staking() external view returns (address);

    /// @return The clock the draw reads seeds from.
    function clock() external view returns (address);

    /// @return Whether `supplier` is drawn for (`application`, `serviceId`, `session`).
    function isSessionSupplier(address application, bytes32 serviceId, uint64 session, address supplier)
        external
        view
        returns (bool);
}
