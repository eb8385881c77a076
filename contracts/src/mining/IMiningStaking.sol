// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IServiceRegistry} from "../interfaces/IServiceRegistry.sol";
import {ISessionClock} from "../interfaces/ISessionClock.sol";

/// @title IMiningStaking
/// @notice What `RelayMining` needs from `Staking`: reads for claims and proofs, and the two settlement
///         hooks that only the contract named by `Staking.setSettlement` may call.
interface IMiningStaking {
    /// @return The service registry staking checks services against.
    function registry() external view returns (IServiceRegistry);

    /// @return The session clock staking counts sessions with.
    function clock() external view returns (ISessionClock);

    /// @return Receiver of the DAO share and of slashed stake.
    function dao() external view returns (address);

    /// @return DAO share of each settled claim, in basis points.
    function daoShareBps() external view returns (uint16);

    /// @return True when `application` uses `serviceId`.
    function usesService(address application, bytes32 serviceId) external view returns (bool);

    /// @return True when `gateway` could sign for `application` during `session`.
    function isDelegated(address application, address gateway, uint64 session) external view returns (bool);

    /// @return The escrow `application` holds, in payment token units.
    function applicationEscrow(address application) external view returns (uint256);

    /// @return The stake `supplier` holds, in stake token units.
    function supplierStake(address supplier) external view returns (uint256);

    /// @notice Pays a settled claim out of `application`'s escrow (settlement contract only).
    function payFromEscrow(
        address application,
        address supplier,
        address source,
        uint256 supplierAmount,
        uint256 sourceAmount,
        uint256 daoAmount
    ) external;

    /// @notice Moves up to `amount` of `supplier`'s stake to `to` (settlement contract only).
    /// @return slashed The amount taken.
    function slashSupplier(address supplier, uint256 amount, address to) external returns (uint256 slashed);
}
