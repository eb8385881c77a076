// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Governed} from "../Governed.sol";
import {IServiceRegistry} from "../interfaces/IServiceRegistry.sol";
import {ISessionClock} from "../interfaces/ISessionClock.sol";
import {IMiningSessions} from "./IMiningSessions.sol";
import {IMiningStaking} from "./IMiningStaking.sol";
import {MiningMath} from "./MiningMath.sol";

/// @notice The governance parameters of relay mining, as passed to the `RelayMining` constructor.
struct MiningParameters {
    uint64 claimWindowOpenOffsetBlocks; // grace after a session's last block before claims open
    uint64 claimWindowBlocks; // length of the claim window
    uint64 proofWindowBlocks; // length of the proof window, <= 255 so the proof seed stays readable
    uint256 proofRequirementThreshold; // scaled compute units from which a proof is always required
    uint32 proofRequestProbabilityPpm; // chance that a smaller claim must be proven, in ppm
    uint16 slashFractionBps; // share of the supplier's stake slashed when a required proof is missing
    uint256 paymentPerComputeUnit; // payment-token base units per (scaled) compute unit
    uint64 targetRelaysPerSession; // applicable relays per (service, session) the difficulty aims at
    uint16 difficultyEmaAlphaBps; // weight of the newest session in the relays-per-session EMA
    uint256 initialTarget; // target of a service until its first difficulty update
}

/// @title MiningParams
/// @notice Collaborators, governance parameters (bounded setters, one event per change) and the claim
///         and proof windows of relay mining.
/// @dev Window parameters apply at once to sessions not yet claimed; a claim stores its own proof window
///      when it is made, so a change never moves the deadlines of a claim already on-chain.
abstract contract MiningParams is Governed {
    /// @notice Upper bound of the claim window offset and length, in blocks.
    uint64 public constant MAX_WINDOW_BLOCKS = 1_000_000;
    /// @notice Upper bound of the proof window: the proof seed's blockhash must stay readable (256 blocks).
    uint64 public constant MAX_PROOF_WINDOW_BLOCKS = 255;
    /// @notice Upper bound of `paymentPerComputeUnit`; keeps `rootSum * paymentPerComputeUnit` below 2^192.
    uint256 public constant MAX_PAYMENT_PER_COMPUTE_UNIT = 2 ** 128;

    /// @notice Where stakes, escrows, delegations and the settlement hooks live.
    IMiningStaking public immutable staking;
    /// @notice The supplier draw.
    IMiningSessions public immutable sessions;
    /// @notice The service registry (read from `staking`).
    IServiceRegistry public immutable registry;
    /// @notice The session clock (read from `staking`).
    ISessionClock public immutable clock;

    /// @notice Blocks between a session's last block and the first block of its claim window.
    uint64 public claimWindowOpenOffsetBlocks;
    /// @notice Length of the claim window, in blocks.
    uint64 public claimWindowBlocks;
    /// @notice Length of the proof window, in blocks.
    uint64 public proofWindowBlocks;
    /// @notice Chance (ppm) that a claim below the threshold must be proven.
    uint32 public proofRequestProbabilityPpm;
    /// @notice Share of the stake slashed when a required proof is missing, in basis points.
    uint16 public slashFractionBps;
    /// @notice Weight of the newest session in the difficulty EMA, in basis points.
    uint16 public difficultyEmaAlphaBps;
    /// @notice Applicable relays per (service, session) that the difficulty aims at.
    uint64 public targetRelaysPerSession;
    /// @notice Claims whose scaled sum reaches this many compute units must always be proven.
    uint256 public proofRequirementThreshold;
    /// @notice Payment-token base units per scaled compute unit.
    uint256 public paymentPerComputeUnit;

    /// @notice Emitted when a numeric parameter changes (and once per parameter at deployment).
    event ParameterUpdated(bytes32 indexed name, uint256 value);

    /// @notice `value` is outside [`min`, `max`] for parameter `name`.
    error ParameterOutOfBounds(bytes32 name, uint256 value, uint256 min, uint256 max);
    /// @notice `sessions` reads another staking contract or clock than `staking`; deploy them together.
    error MismatchedDeployment();

    /// @param governance_ Address allowed to change the parameters.
    /// @param staking_ The `Staking` contract; its registry and clock are used.
    /// @param sessions_ The `Sessions` contract over the same staking and clock.
    /// @param params Initial parameters (see `MiningParameters`).
    constructor(address governance_, address staking_, address sessions_, MiningParameters memory params)
        Governed(governance_)
    {
        if (staking_ == address(0) || sessions_ == address(0)) revert ZeroAddress();
        staking = IMiningStaking(staking_);
        sessions = IMiningSessions(sessions_);
        registry = IMiningStaking(staking_).registry();
        clock = IMiningStaking(staking_).clock();
        if (sessions.staking() != staking_ || sessions.clock() != address(clock)) revert MismatchedDeployment();
        _setClaimWindowOpenOffsetBlocks(params.claimWindowOpenOffsetBlocks);
        _setClaimWindowBlocks(params.claimWindowBlocks);
        _setProofWindowBlocks(params.proofWindowBlocks);
        _setProofRequirementThreshold(params.proofRequirementThreshold);
        _setProofRequestProbabilityPpm(params.proofRequestProbabilityPpm);
        _setSlashFractionBps(params.slashFractionBps);
        _setPaymentPerComputeUnit(params.paymentPerComputeUnit);
        _setTargetRelaysPerSession(params.targetRelaysPerSession);
        _setDifficultyEmaAlphaBps(params.difficultyEmaAlphaBps);
    }

    // ---------------------------------------------------------------- governance

    /// @notice Sets the grace between a session's end and its claim window.
    /// @param value Blocks, at most `MAX_WINDOW_BLOCKS`.
    function setClaimWindowOpenOffsetBlocks(uint64 value) external onlyGovernance {
        _setClaimWindowOpenOffsetBlocks(value);
    }

    /// @notice Sets the length of the claim window.
    /// @param value Blocks, in [1, `MAX_WINDOW_BLOCKS`].
    function setClaimWindowBlocks(uint64 value) external onlyGovernance {
        _setClaimWindowBlocks(value);
    }

    /// @notice Sets the length of the proof window of claims made from now on.
    /// @param value Blocks, in [1, `MAX_PROOF_WINDOW_BLOCKS`].
    function setProofWindowBlocks(uint64 value) external onlyGovernance {
        _setProofWindowBlocks(value);
    }

    /// @notice Sets the scaled compute units from which a claim must always be proven.
    /// @param value Any amount (0 requires a proof of every claim).
    function setProofRequirementThreshold(uint256 value) external onlyGovernance {
        _setProofRequirementThreshold(value);
    }

    /// @notice Sets the chance that a claim below the threshold must be proven.
    /// @param value Parts per million, at most 1_000_000.
    function setProofRequestProbabilityPpm(uint32 value) external onlyGovernance {
        _setProofRequestProbabilityPpm(value);
    }

    /// @notice Sets the share of the stake slashed when a required proof is missing.
    /// @param value Basis points, at most 10_000.
    function setSlashFractionBps(uint16 value) external onlyGovernance {
        _setSlashFractionBps(value);
    }

    /// @notice Sets the price of one scaled compute unit for claims settled from now on.
    /// @param value Payment-token base units, at most `MAX_PAYMENT_PER_COMPUTE_UNIT`.
    function setPaymentPerComputeUnit(uint256 value) external onlyGovernance {
        _setPaymentPerComputeUnit(value);
    }

    /// @notice Sets the applicable relays per (service, session) that difficulty updates aim at.
    /// @param value Relays, positive.
    function setTargetRelaysPerSession(uint64 value) external onlyGovernance {
        _setTargetRelaysPerSession(value);
    }

    /// @notice Sets the weight of the newest session in the difficulty EMA.
    /// @param value Basis points, in [1, 10_000].
    function setDifficultyEmaAlphaBps(uint16 value) external onlyGovernance {
        _setDifficultyEmaAlphaBps(value);
    }

    // ---------------------------------------------------------------- windows

    /// @notice The claim window of `session` under the current parameters: blocks [open, close).
    /// @dev open = sessionEndBlock(session) + 1 + claimWindowOpenOffsetBlocks; close = open + claimWindowBlocks.
    ///      Its last block, close - 1, is the proof seed block of claims made in it.
    /// @param session A session number.
    /// @return open First block in which the session can be claimed.
    /// @return close First block in which it no longer can (the proof window opens).
    function claimWindow(uint64 session) public view returns (uint64 open, uint64 close) {
        open = clock.sessionStartBlock(session + 1) + claimWindowOpenOffsetBlocks;
        close = open + claimWindowBlocks;
    }

    /// @notice The proof window of `session` under the current parameters: blocks [open, close).
    /// @dev A claim keeps the proof window it got when it was made (`getClaim`); use that one for a claim.
    /// @param session A session number.
    /// @return open First block in which proofs are accepted (the claim window's close).
    /// @return close First block in which they no longer are; claims can be settled from it.
    function proofWindow(uint64 session) public view returns (uint64 open, uint64 close) {
        (, open) = claimWindow(session);
        close = open + proofWindowBlocks;
    }

    /// @notice Sessions whose claims may be unpaid at once, as `ceil(window / blocksPerSession(session)) + 1`
    ///         with window = claim window offset + claim window + proof window.
    /// @param session The session whose length divides.
    /// @return The number of pending sessions (at least 2).
    function pendingSessions(uint64 session) public view returns (uint256) {
        uint256 window = uint256(claimWindowOpenOffsetBlocks) + claimWindowBlocks + proofWindowBlocks;
        return MiningMath.pendingSessions(window, clock.epochOf(session).blocksPerSession);
    }

    // ---------------------------------------------------------------- setters

    function _setClaimWindowOpenOffsetBlocks(uint64 value) private {
        _checkBounds("claimWindowOpenOffsetBlocks", value, 0, MAX_WINDOW_BLOCKS);
        claimWindowOpenOffsetBlocks = value;
        emit ParameterUpdated("claimWindowOpenOffsetBlocks", value);
    }

    function _setClaimWindowBlocks(uint64 value) private {
        _checkBounds("claimWindowBlocks", value, 1, MAX_WINDOW_BLOCKS);
        claimWindowBlocks = value;
        emit ParameterUpdated("claimWindowBlocks", value);
    }

    function _setProofWindowBlocks(uint64 value) private {
        _checkBounds("proofWindowBlocks", value, 1, MAX_PROOF_WINDOW_BLOCKS);
        proofWindowBlocks = value;
        emit ParameterUpdated("proofWindowBlocks", value);
    }

    function _setProofRequirementThreshold(uint256 value) private {
        proofRequirementThreshold = value;
        emit ParameterUpdated("proofRequirementThreshold", value);
    }

    function _setProofRequestProbabilityPpm(uint32 value) private {
        _checkBounds("proofRequestProbabilityPpm", value, 0, MiningMath.PPM);
        proofRequestProbabilityPpm = value;
        emit ParameterUpdated("proofRequestProbabilityPpm", value);
    }

    function _setSlashFractionBps(uint16 value) private {
        _checkBounds("slashFractionBps", value, 0, MiningMath.BPS);
        slashFractionBps = value;
        emit ParameterUpdated("slashFractionBps", value);
    }

    function _setPaymentPerComputeUnit(uint256 value) private {
        _checkBounds("paymentPerComputeUnit", value, 0, MAX_PAYMENT_PER_COMPUTE_UNIT);
        paymentPerComputeUnit = value;
        emit ParameterUpdated("paymentPerComputeUnit", value);
    }

    function _setTargetRelaysPerSession(uint64 value) private {
        _checkBounds("targetRelaysPerSession", value, 1, type(uint64).max);
        targetRelaysPerSession = value;
        emit ParameterUpdated("targetRelaysPerSession", value);
    }

    function _setDifficultyEmaAlphaBps(uint16 value) private {
        _checkBounds("difficultyEmaAlphaBps", value, 1, MiningMath.BPS);
        difficultyEmaAlphaBps = value;
        emit ParameterUpdated("difficultyEmaAlphaBps", value);
    }

    /// @dev Reverts `ParameterOutOfBounds` unless `min <= value <= max`.
    function _checkBounds(bytes32 name, uint256 value, uint256 min, uint256 max) internal pure {
        if (value < min || value > max) revert ParameterOutOfBounds(name, value, min, max);
    }
}
