// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @notice A run of sessions that share one length and one supplier count. A parameter change
///         opens a new epoch at the next session boundary, so past sessions stay reproducible.
struct Epoch {
    uint64 startBlock; // first block of `startSession`
    uint64 startSession; // first session number of this epoch
    uint32 blocksPerSession;
    uint16 suppliersPerSession;
}

/// @title ISessionClock
/// @notice Session numbering, per-session parameters and per-session seeds.
interface ISessionClock {
    /// @return The session that contains the current block.
    function currentSession() external view returns (uint64);

    /// @return The session that contains `blockNumber` (must be >= the genesis block).
    function sessionOf(uint256 blockNumber) external view returns (uint64);

    /// @return The first block of `session`.
    function sessionStartBlock(uint64 session) external view returns (uint64);

    /// @return The epoch that `session` belongs to.
    function epochOf(uint64 session) external view returns (Epoch memory);

    /// @return The recorded seed of `session`, or zero when none was recorded.
    function sessionSeed(uint64 session) external view returns (bytes32);
}
