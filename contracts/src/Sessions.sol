// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ISessionClock} from "./interfaces/ISessionClock.sol";
import {IStaking, SupplierEntry} from "./interfaces/IStaking.sol";

/// @title Sessions
/// @notice The supplier draw: for each (application, service, session) a deterministic set of at most
///         `suppliersPerSession` suppliers, drawn from the suppliers staked for the service in that
///         session with the session's recorded seed. View-only; the TypeScript side implements the
///         same algorithm, so keep the two in lockstep.
/// @dev Algorithm (normative):
///      1. seed = clock.sessionSeed(session); it must be recorded (else `SessionSeedNotRecorded`).
///      2. eligible = the service's supplier entries with fromSession <= session < untilSession.
///      3. score(supplier) = uint256(keccak256(abi.encode(seed, application, serviceId, session, supplier)))
///         with `session` encoded as uint64.
///      4. k = min(clock.epochOf(session).suppliersPerSession, #eligible); the answer is the k eligible
///         suppliers with the lowest score, by ascending score, ties broken by the lower address.
///      Staking keeps at most one entry per (supplier, service) covering any session (a removed entry
///      ends at S+1 and a new one starts at S+1), so eligible entries are distinct suppliers.
contract Sessions {
    /// @notice Where supplier entries come from.
    IStaking public immutable staking;
    /// @notice Where seeds and per-session parameters come from.
    ISessionClock public immutable clock;

    /// @notice The seed of `session` is not recorded: call `SessionClock.recordSessionSeed()` during that
    ///         session. A session whose seed was never recorded has no suppliers.
    error SessionSeedNotRecorded(uint64 session);
    /// @notice A constructor address was zero.
    error ZeroAddress();

    /// @param staking_ The Staking contract (supplier entries).
    /// @param clock_ The SessionClock contract (seeds and suppliers per session).
    constructor(address staking_, address clock_) {
        if (staking_ == address(0) || clock_ == address(0)) revert ZeroAddress();
        staking = IStaking(staking_);
        clock = ISessionClock(clock_);
    }

    /// @notice The suppliers of `application` for `serviceId` in `session`, best score first.
    /// @dev O(n * k) for n eligible entries; meant for off-chain calls and tests. On-chain membership
    ///      checks should use `isSessionSupplier`, which is O(n).
    /// @return suppliers Up to suppliersPerSession addresses, sorted by ascending score then address.
    function getSessionSuppliers(address application, bytes32 serviceId, uint64 session)
        external
        view
        returns (address[] memory suppliers)
    {
        bytes32 seed = _seedOf(session);
        SupplierEntry[] memory entries = staking.getServiceSupplierEntries(serviceId);
        uint256 k = clock.epochOf(session).suppliersPerSession;
        suppliers = new address[](k);
        uint256[] memory scores = new uint256[](k);
        uint256 count = 0;
        for (uint256 i = 0; i < entries.length; i++) {
            if (!_covers(entries[i], session)) continue;
            address supplier = entries[i].supplier;
            uint256 score = supplierScore(seed, application, serviceId, session, supplier);
            // Insertion into the sorted top-k buffer; drop the candidate if it ranks below a full buffer.
            uint256 j = count;
            if (count == k) {
                if (k == 0 || !_before(score, supplier, scores[k - 1], suppliers[k - 1])) continue;
                j = k - 1;
            } else {
                count++;
            }
            while (j > 0 && _before(score, supplier, scores[j - 1], suppliers[j - 1])) {
                scores[j] = scores[j - 1];
                suppliers[j] = suppliers[j - 1];
                j--;
            }
            scores[j] = score;
            suppliers[j] = supplier;
        }
        // Shrink to the number found (fewer eligible suppliers than k).
        assembly ("memory-safe") {
            mstore(suppliers, count)
        }
    }

    /// @notice Whether `supplier` is among the suppliers of `application` for `serviceId` in `session`.
    /// @dev Same rule as `getSessionSuppliers`: true iff `supplier` is eligible and fewer than k eligible
    ///      suppliers rank before it.
    function isSessionSupplier(address application, bytes32 serviceId, uint64 session, address supplier)
        external
        view
        returns (bool)
    {
        bytes32 seed = _seedOf(session);
        SupplierEntry[] memory entries = staking.getServiceSupplierEntries(serviceId);
        uint256 k = clock.epochOf(session).suppliersPerSession;
        uint256 score = supplierScore(seed, application, serviceId, session, supplier);
        bool eligible = false;
        uint256 ahead = 0;
        for (uint256 i = 0; i < entries.length; i++) {
            if (!_covers(entries[i], session)) continue;
            address other = entries[i].supplier;
            if (other == supplier) {
                eligible = true;
            } else if (_before(supplierScore(seed, application, serviceId, session, other), other, score, supplier)) {
                if (++ahead >= k) return false;
            }
        }
        return eligible && ahead < k;
    }

    /// @notice The draw score of `supplier` (lower wins), exposed for cross-checks with the TypeScript side.
    /// @return uint256(keccak256(abi.encode(seed, application, serviceId, session, supplier))).
    function supplierScore(bytes32 seed, address application, bytes32 serviceId, uint64 session, address supplier)
        public
        pure
        returns (uint256)
    {
        return uint256(keccak256(abi.encode(seed, application, serviceId, session, supplier)));
    }

    function _seedOf(uint64 session) private view returns (bytes32 seed) {
        seed = clock.sessionSeed(session);
        if (seed == bytes32(0)) revert SessionSeedNotRecorded(session);
    }

    function _covers(SupplierEntry memory entry, uint64 session) private pure returns (bool) {
        return entry.fromSession <= session && session < entry.untilSession;
    }

    /// @dev Ranking order: ascending score, then ascending address.
    function _before(uint256 scoreA, address a, uint256 scoreB, address b) private pure returns (bool) {
        return scoreA < scoreB || (scoreA == scoreB && a < b);
    }
}
