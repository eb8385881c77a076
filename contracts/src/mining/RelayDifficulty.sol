// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {MiningMath} from "./MiningMath.sol";
import {MiningParams} from "./MiningParams.sol";

/// @notice From `fromSession` on (until the next change), the target is `target`.
struct TargetChange {
    uint64 fromSession;
    uint256 target;
}

/// @notice The EMA state of one service's difficulty.
struct DifficultyState {
    uint256 ema; // relays per session, scaled up to all relays
    uint64 lastSession; // the last session folded into `ema`
    bool initialized; // false until the first update
}

/// @title RelayDifficulty
/// @notice Per-service relay-mining difficulty with full history: a relay of `session` is
///         reward-applicable iff `uint256(relayHash) < targetAt(serviceId, session)`.
/// @dev After a session's claim window closes, anyone may fold its claimed relay count into the service's
///      EMA (`updateDifficulty`); the new target applies from the next session, so the target of the
///      current and every past session never changes and claims stay verifiable. Until its first update a
///      service uses the initial target, which governance may change for future sessions only.
abstract contract RelayDifficulty is MiningParams {
    TargetChange[] private _initialTargets;
    mapping(bytes32 serviceId => TargetChange[]) private _targets;
    mapping(bytes32 serviceId => DifficultyState) private _difficulty;
    mapping(bytes32 serviceId => mapping(uint64 session => uint256)) private _claimedCount;

    /// @notice Emitted when `session` of `serviceId` is folded into the EMA; `newTarget` applies from
    ///         `effectiveSession`.
    event DifficultyUpdated(
        bytes32 indexed serviceId, uint64 session, uint256 ema, uint256 newTarget, uint64 effectiveSession
    );
    /// @notice Emitted when the initial target (of services never updated) changes from `effectiveSession`.
    event InitialTargetUpdated(uint256 target, uint64 effectiveSession);

    /// @notice `serviceId` is not registered.
    error UnknownService(bytes32 serviceId);
    /// @notice `session`'s claim window closes at block `close`; claims may still change its count.
    error ClaimWindowNotClosed(uint64 session, uint64 close);
    /// @notice `serviceId` was already updated with `lastSession`; updates must use later sessions.
    error DifficultyAlreadyUpdated(bytes32 serviceId, uint64 session, uint64 lastSession);

    /// @param initialTarget_ Target of every service until its first update, in [1, 2^256 - 1].
    constructor(uint256 initialTarget_) {
        _checkBounds("initialTarget", initialTarget_, 1, MiningMath.MAX_TARGET);
        _initialTargets.push(TargetChange(0, initialTarget_));
        emit InitialTargetUpdated(initialTarget_, 0);
    }

    /// @notice Sets the target of services never updated, from the next session on.
    /// @dev Past and current sessions keep theirs, so relays already mined stay applicable.
    /// @param value Target in [1, 2^256 - 1]; 2^256 - 1 makes every relay applicable.
    function setInitialTarget(uint256 value) external onlyGovernance {
        _checkBounds("initialTarget", value, 1, MiningMath.MAX_TARGET);
        uint64 effective = clock.currentSession() + 1;
        _record(_initialTargets, effective, value);
        emit InitialTargetUpdated(value, effective);
    }

    /// @notice Folds the relays claimed for (`serviceId`, `session`) into the service's EMA and sets the
    ///         target for the sessions after the current one. Anyone may call it.
    /// @dev estimate = scaleUp(total claimed count, targetAt(serviceId, session)); the first update starts
    ///      the EMA at its estimate, later ones take `difficultyEmaAlphaBps` of it. The new target is
    ///      `MAX * targetRelaysPerSession / max(ema, 1)`, capped at MAX and floored at 1. Sessions must
    ///      increase per service and their claim window must be closed, so each count is final.
    /// @param serviceId A registered service.
    /// @param session A session of that service whose claim window has closed.
    /// @return newTarget The target from `currentSession() + 1`.
    function updateDifficulty(bytes32 serviceId, uint64 session) external returns (uint256 newTarget) {
        if (!registry.serviceExists(serviceId)) revert UnknownService(serviceId);
        (, uint64 close) = claimWindow(session);
        if (block.number < close) revert ClaimWindowNotClosed(session, close);
        DifficultyState storage state = _difficulty[serviceId];
        if (state.initialized && session <= state.lastSession) {
            revert DifficultyAlreadyUpdated(serviceId, session, state.lastSession);
        }
        uint256 estimate = MiningMath.scaleUp(_claimedCount[serviceId][session], targetAt(serviceId, session));
        uint256 ema = state.initialized ? MiningMath.emaStep(state.ema, estimate, difficultyEmaAlphaBps) : estimate;
        newTarget = MiningMath.targetFor(ema, targetRelaysPerSession);
        uint64 effective = clock.currentSession() + 1;
        state.ema = ema;
        state.lastSession = session;
        state.initialized = true;
        _record(_targets[serviceId], effective, newTarget);
        emit DifficultyUpdated(serviceId, session, ema, newTarget, effective);
    }

    /// @notice The target of `serviceId` in `session`: relays of that session with a hash below it are
    ///         reward-applicable.
    /// @dev Final for the current and past sessions; a future session's target may still change.
    /// @param serviceId A service (unknown ones get the initial target).
    /// @param session A session number.
    /// @return The target, in [1, 2^256 - 1].
    function targetAt(bytes32 serviceId, uint64 session) public view returns (uint256) {
        (bool found, uint256 target) = _lookup(_targets[serviceId], session);
        if (found) return target;
        (, target) = _lookup(_initialTargets, session);
        return target;
    }

    /// @notice The EMA state of `serviceId`.
    /// @return The state (all zero before the first update).
    function getDifficulty(bytes32 serviceId) external view returns (DifficultyState memory) {
        return _difficulty[serviceId];
    }

    /// @notice Every target change of `serviceId`, oldest first (empty before the first update).
    function getTargetHistory(bytes32 serviceId) external view returns (TargetChange[] memory) {
        return _targets[serviceId];
    }

    /// @notice Every change of the initial target, oldest first (the first is from session 0).
    function getInitialTargetHistory() external view returns (TargetChange[] memory) {
        return _initialTargets;
    }

    /// @notice Sum of the `rootCount`s of every claim for (`serviceId`, `session`).
    function claimedCount(bytes32 serviceId, uint64 session) external view returns (uint256) {
        return _claimedCount[serviceId][session];
    }

    /// @dev Adds a claim's applicable relays to its (service, session) count.
    function _addClaimedCount(bytes32 serviceId, uint64 session, uint64 count) internal {
        _claimedCount[serviceId][session] += count;
    }

    /// @dev Appends a change, or replaces the last one when it starts in the same session (a change is
    ///      always for `currentSession() + 1`, so the history stays sorted and the past untouched).
    function _record(TargetChange[] storage history, uint64 fromSession, uint256 target) private {
        uint256 n = history.length;
        if (n != 0 && history[n - 1].fromSession == fromSession) history[n - 1].target = target;
        else history.push(TargetChange(fromSession, target));
    }

    /// @dev Binary search for the last change with fromSession <= session.
    function _lookup(TargetChange[] storage history, uint64 session) private view returns (bool found, uint256 target) {
        uint256 lo = 0;
        uint256 hi = history.length;
        while (lo < hi) {
            uint256 mid = (lo + hi) / 2;
            if (history[mid].fromSession <= session) lo = mid + 1;
            else hi = mid;
        }
        if (lo == 0) return (false, 0);
        return (true, history[lo - 1].target);
    }
}
