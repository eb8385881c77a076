// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {StakingParams} from "./StakingParams.sol";

/// @title GatewayStaking
/// @notice Gateway stakes. A staked gateway that is not unbonding may receive delegations.
abstract contract GatewayStaking is StakingParams {
    using SafeERC20 for IERC20;

    struct GatewayInfo {
        uint256 stake;
        uint64 fromSession; // first session in which the gateway counts as staked
        uint64 withdrawableFromSession; // 0 while not unbonding
    }

    mapping(address gateway => GatewayInfo) private _gateways;

    /// @notice Emitted on a new stake or a top-up; `total` is the stake after it.
    event GatewayStaked(address indexed gateway, uint256 amount, uint256 total);
    /// @notice Emitted when `gateway` starts unbonding; it can withdraw from `withdrawableFromSession`.
    event GatewayUnstaked(address indexed gateway, uint64 withdrawableFromSession);
    /// @notice Emitted when `gateway` takes back its whole stake.
    event GatewayWithdrawn(address indexed gateway, uint256 amount);

    /// @notice Stakes `amount` stake tokens as a gateway, or tops up an existing stake.
    /// @dev The caller must have approved `amount`; the resulting stake must reach `minGatewayStake`.
    ///      A new gateway counts from the next session. Rejected while unbonding.
    /// @param amount Stake tokens to add, positive.
    function stakeGateway(uint256 amount) external {
        if (amount == 0) revert ZeroAmount();
        GatewayInfo storage g = _gateways[msg.sender];
        if (g.withdrawableFromSession != 0) revert Unbonding(msg.sender, g.withdrawableFromSession);
        uint256 total = g.stake + amount;
        if (total < minGatewayStake) revert InsufficientStake(total, minGatewayStake);
        if (g.stake == 0) g.fromSession = _currentSession() + 1;
        g.stake = total;
        totalGatewayStake += amount;
        emit GatewayStaked(msg.sender, amount, total);
        stakeToken.safeTransferFrom(msg.sender, address(this), amount);
    }

    /// @notice Starts unbonding the caller's gateway stake; it can no longer receive new delegations.
    /// @dev Existing delegations stay recorded; applications end them with `undelegateFromGateway`.
    function unstakeGateway() external {
        GatewayInfo storage g = _gateways[msg.sender];
        if (g.stake == 0) revert NotStaked(msg.sender);
        if (g.withdrawableFromSession != 0) revert Unbonding(msg.sender, g.withdrawableFromSession);
        uint64 withdrawable = _withdrawableFrom(_currentSession());
        g.withdrawableFromSession = withdrawable;
        emit GatewayUnstaked(msg.sender, withdrawable);
    }

    /// @notice Transfers the caller's whole gateway stake back once unbonding has elapsed.
    function withdrawGateway() external {
        GatewayInfo storage g = _gateways[msg.sender];
        if (g.stake == 0) revert NotStaked(msg.sender);
        if (g.withdrawableFromSession == 0) revert NotUnbonding(msg.sender);
        if (_currentSession() < g.withdrawableFromSession) revert Unbonding(msg.sender, g.withdrawableFromSession);
        uint256 amount = g.stake;
        delete _gateways[msg.sender];
        totalGatewayStake -= amount;
        emit GatewayWithdrawn(msg.sender, amount);
        stakeToken.safeTransfer(msg.sender, amount);
    }

    /// @notice A gateway's record.
    /// @return stake Stake tokens held for `gateway`.
    /// @return fromSession First session in which it counts as staked (0 when never staked).
    /// @return withdrawableFromSession First session it may withdraw in; 0 when not unbonding.
    function getGateway(address gateway)
        external
        view
        returns (uint256 stake, uint64 fromSession, uint64 withdrawableFromSession)
    {
        GatewayInfo storage g = _gateways[gateway];
        return (g.stake, g.fromSession, g.withdrawableFromSession);
    }

    /// @dev True when `gateway` is staked and not unbonding.
    function _isActiveGateway(address gateway) internal view returns (bool) {
        GatewayInfo storage g = _gateways[gateway];
        return g.stake != 0 && g.withdrawableFromSession == 0;
    }
}
