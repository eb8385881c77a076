// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {Governed} from "./Governed.sol";
import {Epoch, ISessionClock} from "./interfaces/ISessionClock.sol";

/// @title SessionClock
/// @notice Cuts time into sessions of `blocksPerSession` blocks, starting with session 0 at the
///         deployment block (the genesis). Governance may change the session length and the number
///         of suppliers per session; a change takes effect at the next session boundary and opens a
///         new epoch, so the numbering and the parameters of every past session never change.
/// @dev Seeds: each session's supplier draw uses a seed that anyone records with
///      `recordSessionSeed()` while that session is current. The seed is the hash of the block just
///      before the session starts when it is still within the 256 blocks the EVM exposes, and
///      otherwise a hash chained from the last recorded seed. Because a seed can only be recorded for
///      the current session and never overwritten, a recorded seed is final: the supplier set of every
///      past session stays reproducible forever, on-chain and off-chain.
contract SessionClock is Governed, ISessionClock {
    using SafeCast for uint256;

    /// @notice Bounds of `blocksPerSession`.
    uint32 public constant MIN_BLOCKS_PER_SESSION = 2;
    uint32 public constant MAX_BLOCKS_PER_SESSION = 1_000_000;
    /// @notice Bounds of `suppliersPerSession`.
    uint16 public constant MIN_SUPPLIERS_PER_SESSION = 1;
    uint16 public constant MAX_SUPPLIERS_PER_SESSION = 100;
    /// @notice The value `lastRecordedSeed` starts from, before any seed is recorded.
    bytes32 public constant GENESIS_SEED = keccak256("decai.genesis");

    uint64 private immutable _genesisBlock;
    /// @dev Sorted by startSession (and so by startBlock); at most the last one is pending.
    Epoch[] private _epochs;
    mapping(uint64 session => bytes32) private _seeds;

    /// @notice The most recently recorded seed (`GENESIS_SEED` before the first one); the fallback
    ///         seed of a session is chained from it.
    bytes32 public lastRecordedSeed;

    /// @notice Emitted when governance sets the session length; it applies from `effectiveSession`.
    event BlocksPerSessionUpdated(uint32 blocksPerSession, uint64 effectiveSession);
    /// @notice Emitted when governance sets the suppliers per session; it applies from `effectiveSession`.
    event SuppliersPerSessionUpdated(uint16 suppliersPerSession, uint64 effectiveSession);
    /// @notice Emitted when the seed of `session` is recorded.
    event SessionSeedRecorded(uint64 indexed session, bytes32 seed);

    /// @notice Parameter `name` got `value`, outside [min, max].
    error ParameterOutOfBounds(bytes32 name, uint256 value, uint256 min, uint256 max);
    /// @notice `blockNumber` is before the genesis block, so it belongs to no session.
    error BlockBeforeGenesis(uint256 blockNumber, uint256 genesisBlock);

    /// @param governance_ The address allowed to change the parameters.
    /// @param blocksPerSession_ Session length of epoch 0, in [2, 1_000_000].
    /// @param suppliersPerSession_ Suppliers per session of epoch 0, in [1, 100].
    constructor(address governance_, uint32 blocksPerSession_, uint16 suppliersPerSession_) Governed(governance_) {
        _checkBlocksPerSession(blocksPerSession_);
        _checkSuppliersPerSession(suppliersPerSession_);
        _genesisBlock = block.number.toUint64();
        _epochs.push(Epoch(_genesisBlock, 0, blocksPerSession_, suppliersPerSession_));
        lastRecordedSeed = GENESIS_SEED;
    }

    // ---------------------------------------------------------------- governance

    /// @notice Sets the session length from the next session on.
    /// @dev Calling it again before that session starts replaces the pending value.
    /// @param value Blocks per session, in [MIN_BLOCKS_PER_SESSION, MAX_BLOCKS_PER_SESSION].
    function setBlocksPerSession(uint32 value) external onlyGovernance {
        _checkBlocksPerSession(value);
        Epoch storage next = _nextEpoch();
        next.blocksPerSession = value;
        emit BlocksPerSessionUpdated(value, next.startSession);
    }

    /// @notice Sets the number of suppliers drawn per session from the next session on.
    /// @dev Calling it again before that session starts replaces the pending value.
    /// @param value Suppliers per session, in [MIN_SUPPLIERS_PER_SESSION, MAX_SUPPLIERS_PER_SESSION].
    function setSuppliersPerSession(uint16 value) external onlyGovernance {
        _checkSuppliersPerSession(value);
        Epoch storage next = _nextEpoch();
        next.suppliersPerSession = value;
        emit SuppliersPerSessionUpdated(value, next.startSession);
    }

    // ---------------------------------------------------------------- seeds

    /// @notice Records the seed of the current session if it is not recorded yet, and returns it.
    /// @dev Anyone may call it; the first call in a session fixes the seed, later calls return it.
    ///      Seed of session s: with b the block before s starts, `blockhash(b)` if b is among the last
    ///      256 blocks and its hash is non-zero; otherwise `keccak256(abi.encode(lastRecordedSeed, s))`.
    ///      Only the current session can be recorded, so nobody can pick a past seed after the fact.
    /// @return seed The seed of the current session.
    function recordSessionSeed() external returns (bytes32 seed) {
        uint64 session = currentSession();
        seed = _seeds[session];
        if (seed != bytes32(0)) return seed;
        uint256 start = sessionStartBlock(session);
        // start == 0 only when genesis is block 0, which has no predecessor: use the fallback.
        if (start > 0 && block.number - (start - 1) <= 256) seed = blockhash(start - 1);
        if (seed == bytes32(0)) seed = keccak256(abi.encode(lastRecordedSeed, session));
        _seeds[session] = seed;
        lastRecordedSeed = seed;
        emit SessionSeedRecorded(session, seed);
    }

    /// @inheritdoc ISessionClock
    function sessionSeed(uint64 session) external view returns (bytes32) {
        return _seeds[session];
    }

    // ---------------------------------------------------------------- views

    /// @notice The first block of session 0 (the deployment block).
    function genesisBlock() external view returns (uint64) {
        return _genesisBlock;
    }

    /// @inheritdoc ISessionClock
    function currentSession() public view returns (uint64) {
        return sessionOf(block.number);
    }

    /// @inheritdoc ISessionClock
    /// @dev Reverts `BlockBeforeGenesis` for blocks before the genesis. Future blocks are numbered with
    ///      the parameters known now (a pending epoch included).
    function sessionOf(uint256 blockNumber) public view returns (uint64) {
        if (blockNumber < _genesisBlock) revert BlockBeforeGenesis(blockNumber, _genesisBlock);
        // Binary search for the last epoch whose startBlock <= blockNumber; epoch 0 always qualifies.
        uint256 lo = 0;
        uint256 hi = _epochs.length - 1;
        while (lo < hi) {
            uint256 mid = (lo + hi + 1) / 2;
            if (_epochs[mid].startBlock <= blockNumber) lo = mid;
            else hi = mid - 1;
        }
        Epoch memory epoch = _epochs[lo];
        return (epoch.startSession + (blockNumber - epoch.startBlock) / epoch.blocksPerSession).toUint64();
    }

    /// @inheritdoc ISessionClock
    function sessionStartBlock(uint64 session) public view returns (uint64) {
        Epoch memory epoch = _epochs[_epochIndexOf(session)];
        return (uint256(epoch.startBlock) + uint256(session - epoch.startSession) * epoch.blocksPerSession).toUint64();
    }

    /// @notice The last block of `session` (inclusive).
    function sessionEndBlock(uint64 session) external view returns (uint64) {
        return sessionStartBlock(session + 1) - 1;
    }

    /// @inheritdoc ISessionClock
    function epochOf(uint64 session) public view returns (Epoch memory) {
        return _epochs[_epochIndexOf(session)];
    }

    /// @notice Every epoch so far, oldest first; the last one may start in the future (pending).
    function getEpochs() external view returns (Epoch[] memory) {
        return _epochs;
    }

    /// @notice The number of suppliers drawn for `session`.
    function suppliersPerSessionAt(uint64 session) external view returns (uint16) {
        return epochOf(session).suppliersPerSession;
    }

    /// @notice The length in blocks of `session`.
    function blocksPerSessionAt(uint64 session) external view returns (uint32) {
        return epochOf(session).blocksPerSession;
    }

    // ---------------------------------------------------------------- internals

    /// @dev The epoch that starts at the next session: the pending one if any, else a new copy of the
    ///      current one. A pending epoch always starts at currentSession() + 1.
    function _nextEpoch() private returns (Epoch storage) {
        uint64 current = currentSession();
        Epoch storage last = _epochs[_epochs.length - 1];
        if (last.startSession > current) return last;
        uint64 startSession = current + 1;
        _epochs.push(
            Epoch(sessionStartBlock(startSession), startSession, last.blocksPerSession, last.suppliersPerSession)
        );
        return _epochs[_epochs.length - 1];
    }

    /// @dev Index of the last epoch whose startSession <= session; epoch 0 starts at session 0.
    function _epochIndexOf(uint64 session) private view returns (uint256) {
        uint256 lo = 0;
        uint256 hi = _epochs.length - 1;
        while (lo < hi) {
            uint256 mid = (lo + hi + 1) / 2;
            if (_epochs[mid].startSession <= session) lo = mid;
            else hi = mid - 1;
        }
        return lo;
    }

    function _checkBlocksPerSession(uint32 value) private pure {
        if (value < MIN_BLOCKS_PER_SESSION || value > MAX_BLOCKS_PER_SESSION) {
            revert ParameterOutOfBounds("blocksPerSession", value, MIN_BLOCKS_PER_SESSION, MAX_BLOCKS_PER_SESSION);
        }
    }

    function _checkSuppliersPerSession(uint16 value) private pure {
        if (value < MIN_SUPPLIERS_PER_SESSION || value > MAX_SUPPLIERS_PER_SESSION) {
            revert ParameterOutOfBounds(
                "suppliersPerSession", value, MIN_SUPPLIERS_PER_SESSION, MAX_SUPPLIERS_PER_SESSION
            );
        }
    }
}
