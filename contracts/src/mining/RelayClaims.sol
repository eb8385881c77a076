// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {RelayDifficulty} from "./RelayDifficulty.sol";

/// @notice Where a claim stands. A claim is settled exactly once, as `Settled` or `Voided`.
enum ClaimStatus {
    None, // no such claim
    Claimed, // root committed, no proof accepted
    Proven, // a closest proof was accepted
    Settled, // paid out of the application's escrow
    Voided // a required proof was missing: nothing paid, supplier slashed
}

/// @notice One supplier's commitment to the relays it served one application for one service in one session.
struct Claim {
    address supplier;
    uint64 session;
    ClaimStatus status;
    address application;
    uint64 rootSum; // total weight (compute units) of the applicable relays in the tree
    bytes32 serviceId;
    bytes32 rootHash;
    uint64 rootCount; // number of applicable relays in the tree
    uint64 proofWindowOpen; // = the claim window's close; the proof seed is blockhash(proofWindowOpen - 1)
    uint64 proofWindowClose; // first block of settlement
}

/// @title RelayClaims
/// @notice Suppliers commit the root (hash, sum, count) of their sparse Merkle sum tree of applicable relays:
///         one transaction per (supplier, application, service, session), whatever the traffic.
abstract contract RelayClaims is RelayDifficulty {
    using SafeCast for uint256;

    struct EscrowSnapshot {
        bool recorded;
        uint248 escrow;
    }

    mapping(bytes32 key => Claim) internal _claims;
    // The application's escrow when the first claim for one of its sessions arrived: the base of the cap
    // every supplier of that session is paid under, so all of them get the same cap whatever the order
    // of settlement.
    mapping(address application => mapping(uint64 session => EscrowSnapshot)) private _escrowSnapshots;

    /// @notice Emitted when `supplier` claims (`application`, `serviceId`, `session`) under `key`.
    event ClaimSubmitted(
        bytes32 indexed key,
        address indexed supplier,
        address indexed application,
        bytes32 serviceId,
        uint64 session,
        bytes32 rootHash,
        uint64 rootSum,
        uint64 rootCount
    );

    /// @notice Block `blockNumber` is outside the window [`open`, `close`).
    error ClaimOutsideWindow(uint256 blockNumber, uint64 open, uint64 close);
    /// @notice The root is empty (zero sum or zero count): a claim must commit at least one relay.
    error EmptyClaim();
    /// @notice The claim `key` was already made; each (supplier, application, service, session) is claimed once.
    error DuplicateClaim(bytes32 key);
    /// @notice `application` does not use `serviceId`.
    error ServiceNotUsed(address application, bytes32 serviceId);
    /// @notice `supplier` is not in the session's supplier set for (`application`, `serviceId`, `session`).
    error NotSessionSupplier(address supplier, address application, bytes32 serviceId, uint64 session);
    /// @notice No claim is stored under `key`.
    error UnknownClaim(bytes32 key);

    /// @notice Commits the caller's tree root for the relays it served `application` for `serviceId` in
    ///         `session`. Callable while `block.number` is in `claimWindow(session)`.
    /// @dev Constant gas whatever the tree size. The caller must be in the session's supplier set
    ///      (`Sessions.isSessionSupplier`) and `application` must use `serviceId`.
    /// @param application The application served.
    /// @param serviceId The service served.
    /// @param session The session served.
    /// @param rootHash Root hash of the tree of applicable relays.
    /// @param rootSum Root sum: total compute units of those relays, positive.
    /// @param rootCount Root count: number of those relays, positive.
    /// @return key The claim key, `claimKey(msg.sender, application, serviceId, session)`.
    function claim(
        address application,
        bytes32 serviceId,
        uint64 session,
        bytes32 rootHash,
        uint64 rootSum,
        uint64 rootCount
    ) external returns (bytes32 key) {
        (uint64 open, uint64 close) = claimWindow(session);
        if (block.number < open || block.number >= close) revert ClaimOutsideWindow(block.number, open, close);
        if (rootSum == 0 || rootCount == 0) revert EmptyClaim();
        key = claimKey(msg.sender, application, serviceId, session);
        if (_claims[key].status != ClaimStatus.None) revert DuplicateClaim(key);
        if (!staking.usesService(application, serviceId)) revert ServiceNotUsed(application, serviceId);
        if (!sessions.isSessionSupplier(application, serviceId, session, msg.sender)) {
            revert NotSessionSupplier(msg.sender, application, serviceId, session);
        }
        _claims[key] = Claim({
            supplier: msg.sender,
            session: session,
            status: ClaimStatus.Claimed,
            application: application,
            rootSum: rootSum,
            serviceId: serviceId,
            rootHash: rootHash,
            rootCount: rootCount,
            proofWindowOpen: close,
            proofWindowClose: close + proofWindowBlocks
        });
        _addClaimedCount(serviceId, session, rootCount);
        EscrowSnapshot storage snapshot = _escrowSnapshots[application][session];
        if (!snapshot.recorded) {
            snapshot.recorded = true;
            snapshot.escrow = staking.applicationEscrow(application).toUint248();
        }
        emit ClaimSubmitted(key, msg.sender, application, serviceId, session, rootHash, rootSum, rootCount);
    }

    /// @notice The key of the claim of `supplier` for (`application`, `serviceId`, `session`).
    /// @return keccak256(abi.encode(supplier, application, serviceId, session)), session as uint64.
    function claimKey(address supplier, address application, bytes32 serviceId, uint64 session)
        public
        pure
        returns (bytes32)
    {
        return keccak256(abi.encode(supplier, application, serviceId, session));
    }

    /// @notice The claim stored under `key` (all zero, status `None`, when there is none).
    function getClaim(bytes32 key) external view returns (Claim memory) {
        return _claims[key];
    }

    /// @notice The most one supplier can be paid for serving `application` in `session` (the relay meter's
    ///         cap): escrow / (suppliersPerSession(session) * pendingSessions(session)).
    /// @dev The escrow is the one recorded at the first claim for (`application`, `session`), or the
    ///      current escrow before any. Settlement also caps each payment at the escrow left.
    /// @param application The application.
    /// @param session The session.
    /// @return The cap, in payment-token base units.
    function maxPayablePerSupplier(address application, uint64 session) public view returns (uint256) {
        EscrowSnapshot memory snapshot = _escrowSnapshots[application][session];
        uint256 escrow = snapshot.recorded ? snapshot.escrow : staking.applicationEscrow(application);
        return escrow / (uint256(clock.epochOf(session).suppliersPerSession) * pendingSessions(session));
    }

    /// @dev The claim under `key`, which must exist.
    function _existingClaim(bytes32 key) internal view returns (Claim storage c) {
        c = _claims[key];
        if (c.status == ClaimStatus.None) revert UnknownClaim(key);
    }
}
