// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ApplicationStaking} from "./ApplicationStaking.sol";
import {StakingParams} from "./StakingParams.sol";
import {SupplierStaking} from "./SupplierStaking.sol";

/// @title Staking
/// @notice Holds every stake of the protocol: supplier and gateway stakes in the stake token,
///         application escrows in the payment token (which may be the same token), plus the
///         per-service supplier entries and the application→gateway delegations.
/// @dev Changes take effect at the next session boundary of `clock`; withdrawals wait
///      `unbondingSessions` full sessions after the session of the unstake. The concerns live in
///      `StakingParams`, `SupplierStaking`, `GatewayStaking` and `ApplicationStaking`.
contract Staking is SupplierStaking, ApplicationStaking {
    /// @param governance_ Address allowed to change parameters.
    /// @param stakeToken_ ERC-20 staked by suppliers and gateways.
    /// @param paymentToken_ ERC-20 escrowed by applications (may equal `stakeToken_`).
    /// @param registry_ The `ServiceRegistry`.
    /// @param clock_ The `SessionClock`.
    /// @param minSupplierStake_ Minimum supplier stake (<= 2^128).
    /// @param minGatewayStake_ Minimum gateway stake (<= 2^128).
    /// @param minApplicationStake_ Minimum application escrow (<= 2^128).
    /// @param unbondingSessions_ Unbonding period in sessions, in [1, 10_000].
    /// @param dao_ Receiver of the DAO share, non-zero.
    /// @param daoShareBps_ DAO share of each settled claim, <= 5000.
    constructor(
        address governance_,
        address stakeToken_,
        address paymentToken_,
        address registry_,
        address clock_,
        uint256 minSupplierStake_,
        uint256 minGatewayStake_,
        uint256 minApplicationStake_,
        uint32 unbondingSessions_,
        address dao_,
        uint16 daoShareBps_
    )
        StakingParams(
            governance_,
            stakeToken_,
            paymentToken_,
            registry_,
            clock_,
            minSupplierStake_,
            minGatewayStake_,
            minApplicationStake_,
            unbondingSessions_,
            dao_,
            daoShareBps_
        )
    {}
}
