// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {MiningParameters, MiningParams} from "./MiningParams.sol";
import {RelayDifficulty} from "./RelayDifficulty.sol";
import {RelaySettlement} from "./RelaySettlement.sol";

/// @title RelayMining
/// @notice Relay Mining (POKT, arXiv 2305.10672) for Decai: per-service difficulty, claims of sparse Merkle
///         sum tree roots, probabilistic closest proofs, and settlement out of application escrows.
/// @dev Life of a claim for session S (all bounds in blocks, windows half-open):
///      1. claim window [end(S) + 1 + claimWindowOpenOffsetBlocks, + claimWindowBlocks): `claim`;
///      2. proof window [claim close, + proofWindowBlocks): `recordProofSeed`, `submitProof` when
///         `isProofRequired`;
///      3. from the proof window's close: `settle` (anyone), and `updateDifficulty` for S (anyone).
///      Relays are signed for the EIP-712 domain whose verifyingContract is this contract. Governance must
///      name this contract in `Staking.setSettlement` before claims can be settled, and keep Staking's
///      `unbondingSessions` longer than `pendingSessions`, so stakes and escrows stay liable until settled.
///      The concerns live in `MiningParams`, `RelayDifficulty`, `RelayClaims`, `RelayProofs` and
///      `RelaySettlement`; the arithmetic in `MiningMath`.
contract RelayMining is RelaySettlement {
    /// @param governance_ Address allowed to change the parameters.
    /// @param staking_ The `Staking` contract (its registry and clock are used).
    /// @param sessions_ The `Sessions` contract over the same staking and clock.
    /// @param params Initial parameters; bounds in `MiningParams` and `RelayDifficulty`.
    constructor(address governance_, address staking_, address sessions_, MiningParameters memory params)
        MiningParams(governance_, staking_, sessions_, params)
        RelayDifficulty(params.initialTarget)
    {}
}
