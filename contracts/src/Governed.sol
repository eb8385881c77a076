// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title Governed
/// @notice Single governance address with a two-step hand-over, shared by every Decai contract
///         that owns protocol parameters.
abstract contract Governed {
    /// @notice The address allowed to change protocol parameters.
    address public governance;
    /// @notice The address proposed as the next governance, until it accepts.
    address public pendingGovernance;

    /// @notice Emitted when `next` is proposed as governance by the current governance.
    event GovernanceProposed(address indexed current, address indexed next);
    /// @notice Emitted when governance changes hands.
    event GovernanceTransferred(address indexed previous, address indexed next);

    /// @notice The caller is not the governance address.
    error NotGovernance(address caller);
    /// @notice The caller is not the pending governance address.
    error NotPendingGovernance(address caller);
    /// @notice An address parameter was the zero address.
    error ZeroAddress();

    modifier onlyGovernance() {
        if (msg.sender != governance) revert NotGovernance(msg.sender);
        _;
    }

    constructor(address governance_) {
        if (governance_ == address(0)) revert ZeroAddress();
        governance = governance_;
        emit GovernanceTransferred(address(0), governance_);
    }

    /// @notice Proposes `next` as governance; it takes over once it calls `acceptGovernance`.
    /// @dev Two steps so that a typo cannot hand the protocol to an address nobody controls.
    /// @param next The proposed governance address (zero cancels a pending proposal).
    function proposeGovernance(address next) external onlyGovernance {
        pendingGovernance = next;
        emit GovernanceProposed(governance, next);
    }

    /// @notice Completes a governance hand-over; callable only by the pending governance.
    function acceptGovernance() external {
        if (msg.sender != pendingGovernance || msg.sender == address(0)) revert NotPendingGovernance(msg.sender);
        emit GovernanceTransferred(governance, msg.sender);
        governance = msg.sender;
        pendingGovernance = address(0);
    }
}
