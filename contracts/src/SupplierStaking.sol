// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {IStaking, SupplierEntry} from "./interfaces/IStaking.sol";
import {StakingParams} from "./StakingParams.sol";

/// @title SupplierStaking
/// @notice Supplier stakes and the per-service supplier entries that the session draw reads.
/// @dev Every change takes effect at the next session boundary (S+1, S = the current session), so the
///      supplier set of the current and every past session never changes. Entries are append-only: an
///      entry's `untilSession` only ever moves while it still lies in the future.
abstract contract SupplierStaking is StakingParams {
    using SafeERC20 for IERC20;

    /// @notice Most services one supplier can serve at a time.
    uint256 public constant MAX_SUPPLIER_SERVICES = 16;

    struct SupplierInfo {
        uint256 stake;
        uint64 withdrawableFromSession; // 0 while not unbonding
        bytes32[] serviceIds; // services added and not removed (kept while unbonding)
    }

    mapping(address supplier => SupplierInfo) private _suppliers;
    mapping(bytes32 serviceId => SupplierEntry[]) private _serviceEntries;
    // index + 1 of the supplier's latest entry for a service; 0 when it never served it
    mapping(address supplier => mapping(bytes32 serviceId => uint256)) private _lastEntry;
    mapping(address supplier => mapping(bytes32 serviceId => string)) private _endpoints;
    // first session a paused supplier is left out of; 0 while it is not paused
    mapping(address supplier => uint64) private _pausedFrom;
    // sha256 of the model file the supplier says it serves; compared off-chain with the service's digest
    mapping(address supplier => mapping(bytes32 serviceId => bytes32)) private _weightsDigests;

    /// @notice Emitted on a new stake or a top-up; `total` is the stake after it.
    event SupplierStaked(address indexed supplier, uint256 amount, uint256 total);
    /// @notice Emitted when `supplier` starts serving `serviceId` at `endpoint` from `fromSession`.
    event SupplierServiceAdded(
        address indexed supplier, bytes32 indexed serviceId, string endpoint, uint64 fromSession
    );
    /// @notice Emitted when `supplier` moves its endpoint for `serviceId` (effective immediately).
    event SupplierEndpointUpdated(address indexed supplier, bytes32 indexed serviceId, string endpoint);
    /// @notice Emitted when `supplier` declares the weights digest it serves for `serviceId` (effective immediately).
    event SupplierWeightsDigestDeclared(address indexed supplier, bytes32 indexed serviceId, bytes32 digest);
    /// @notice Emitted when `supplier` stops serving `serviceId`; it serves up to `untilSession` (exclusive).
    event SupplierServiceRemoved(address indexed supplier, bytes32 indexed serviceId, uint64 untilSession);
    /// @notice Emitted when `supplier` starts unbonding; it can withdraw from `withdrawableFromSession`.
    event SupplierUnstaked(address indexed supplier, uint64 withdrawableFromSession);
    /// @notice Emitted when `supplier` takes back its whole stake.
    event SupplierWithdrawn(address indexed supplier, uint256 amount);
    /// @notice Emitted when the settlement contract moves `amount` of `supplier`'s stake to `to`.
    event SupplierSlashed(address indexed supplier, uint256 amount, address indexed to);
    /// @notice Emitted (after one `SupplierServiceRemoved` per service) when `supplier` pauses: it is left
    ///         out of every session draw from `fromSession` on.
    event SupplierPaused(address indexed supplier, uint64 fromSession);
    /// @notice Emitted (after one `SupplierServiceAdded` per service) when `supplier` resumes: it is drawn
    ///         again from `fromSession` on.
    event SupplierResumed(address indexed supplier, uint64 fromSession);

    /// @notice `supplier` already serves `serviceId`; use `updateSupplierEndpoint` to move it.
    error ServiceAlreadyStaked(address supplier, bytes32 serviceId);
    /// @notice `supplier` does not serve `serviceId`; add it with `addSupplierService` first.
    error ServiceNotStaked(address supplier, bytes32 serviceId);
    /// @notice An endpoint URL must be given.
    error EmptyEndpoint();
    /// @notice `supplier` is paused: resume it with `resumeSupplier` first.
    error SupplierIsPaused(address supplier);
    /// @notice `supplier` is not paused.
    error SupplierNotPaused(address supplier);
    /// @notice A weights digest must be given: the sha256 of the model file served, never zero.
    error ZeroWeightsDigest();

    /// @notice Stakes `amount` stake tokens as a supplier, or tops up an existing stake.
    /// @dev The caller must have approved `amount` to this contract. The resulting stake must reach
    ///      `minSupplierStake`. Rejected while unbonding.
    /// @param amount Stake tokens to add, positive.
    function stakeSupplier(uint256 amount) external {
        if (amount == 0) revert ZeroAmount();
        SupplierInfo storage s = _suppliers[msg.sender];
        if (s.withdrawableFromSession != 0) revert Unbonding(msg.sender, s.withdrawableFromSession);
        uint256 total = s.stake + amount;
        if (total < minSupplierStake) revert InsufficientStake(total, minSupplierStake);
        s.stake = total;
        totalSupplierStake += amount;
        emit SupplierStaked(msg.sender, amount, total);
        stakeToken.safeTransferFrom(msg.sender, address(this), amount);
    }

    /// @notice Starts serving `serviceId` at `endpoint` from the next session.
    /// @dev Re-adding a service removed earlier in the same session reopens that entry instead of
    ///      appending a new one, so toggling cannot grow the service's entry list (which everyone's
    ///      session draw iterates).
    /// @param serviceId A registered service.
    /// @param endpoint The URL where the supplier's RelayMiner serves it, non-empty.
    function addSupplierService(bytes32 serviceId, string calldata endpoint) external {
        SupplierInfo storage s = _activeSupplier(msg.sender);
        if (_pausedFrom[msg.sender] != 0) revert SupplierIsPaused(msg.sender);
        if (!registry.serviceExists(serviceId)) revert UnknownService(serviceId);
        if (bytes(endpoint).length == 0) revert EmptyEndpoint();
        if (s.serviceIds.length >= MAX_SUPPLIER_SERVICES) revert TooManyServices(MAX_SUPPLIER_SERVICES);
        uint64 next = _currentSession() + 1;
        uint256 last = _lastEntry[msg.sender][serviceId];
        if (last != 0 && _serviceEntries[serviceId][last - 1].untilSession == next) {
            _serviceEntries[serviceId][last - 1].untilSession = type(uint64).max;
        } else {
            if (last != 0 && _serviceEntries[serviceId][last - 1].untilSession == type(uint64).max) {
                revert ServiceAlreadyStaked(msg.sender, serviceId);
            }
            _serviceEntries[serviceId].push(SupplierEntry(msg.sender, next, type(uint64).max));
            _lastEntry[msg.sender][serviceId] = _serviceEntries[serviceId].length;
        }
        s.serviceIds.push(serviceId);
        _endpoints[msg.sender][serviceId] = endpoint;
        emit SupplierServiceAdded(msg.sender, serviceId, endpoint, next);
    }

    /// @notice Moves the endpoint of a service the caller serves; effective immediately.
    /// @param serviceId A service the caller serves.
    /// @param endpoint The new URL, non-empty.
    function updateSupplierEndpoint(bytes32 serviceId, string calldata endpoint) external {
        _activeSupplier(msg.sender);
        if (!_serves(msg.sender, serviceId)) revert ServiceNotStaked(msg.sender, serviceId);
        if (bytes(endpoint).length == 0) revert EmptyEndpoint();
        _endpoints[msg.sender][serviceId] = endpoint;
        emit SupplierEndpointUpdated(msg.sender, serviceId, endpoint);
    }

    /// @notice Declares the weights digest (sha256 of the model file) the caller serves `serviceId` with;
    ///         effective immediately, overwriting an earlier declaration.
    /// @dev Deliberately not required to equal the service's registered digest: the declaration is the
    ///      supplier's own signed statement, so a supplier that openly serves another artifact (e.g. a
    ///      quantisation) is visible to gateways, which compare it with the service's digest and with the
    ///      digest the RelayMiner reports on every response. It stays readable after the service is removed
    ///      (like the endpoint) and is deleted on withdrawal.
    /// @param serviceId A service the caller serves.
    /// @param digest sha256 of the model file, non-zero.
    function declareWeightsDigest(bytes32 serviceId, bytes32 digest) external {
        _activeSupplier(msg.sender);
        if (!_serves(msg.sender, serviceId)) revert ServiceNotStaked(msg.sender, serviceId);
        if (digest == bytes32(0)) revert ZeroWeightsDigest();
        _weightsDigests[msg.sender][serviceId] = digest;
        emit SupplierWeightsDigestDeclared(msg.sender, serviceId, digest);
    }

    /// @notice Stops serving `serviceId` after the current session.
    /// @dev The endpoint stays readable so the sessions still served can reach the supplier.
    /// @param serviceId A service the caller serves.
    function removeSupplierService(bytes32 serviceId) external {
        SupplierInfo storage s = _activeSupplier(msg.sender);
        if (!_serves(msg.sender, serviceId)) revert ServiceNotStaked(msg.sender, serviceId);
        uint64 until = _closeEntry(msg.sender, serviceId, _currentSession() + 1);
        bytes32[] storage ids = s.serviceIds;
        for (uint256 i; i < ids.length; ++i) {
            if (ids[i] == serviceId) {
                ids[i] = ids[ids.length - 1];
                ids.pop();
                break;
            }
        }
        emit SupplierServiceRemoved(msg.sender, serviceId, until);
    }

    /// @notice Ends every service of the caller after the current session and starts unbonding.
    /// @dev The stake can be withdrawn from session S + 1 + `unbondingSessions`, which leaves time to
    ///      settle (or slash) the claims of the sessions it served.
    function unstakeSupplier() external {
        SupplierInfo storage s = _activeSupplier(msg.sender);
        uint64 current = _currentSession();
        uint64 until = current + 1;
        bytes32[] storage ids = s.serviceIds;
        for (uint256 i; i < ids.length; ++i) {
            emit SupplierServiceRemoved(msg.sender, ids[i], _closeEntry(msg.sender, ids[i], until));
        }
        uint64 withdrawable = _withdrawableFrom(current);
        s.withdrawableFromSession = withdrawable;
        emit SupplierUnstaked(msg.sender, withdrawable);
    }

    /// @notice Transfers the caller's whole stake back once unbonding has elapsed and deletes its record.
    function withdrawSupplier() external {
        SupplierInfo storage s = _suppliers[msg.sender];
        if (s.stake == 0) revert NotStaked(msg.sender);
        if (s.withdrawableFromSession == 0) revert NotUnbonding(msg.sender);
        if (_currentSession() < s.withdrawableFromSession) revert Unbonding(msg.sender, s.withdrawableFromSession);
        uint256 amount = s.stake;
        bytes32[] storage ids = s.serviceIds;
        for (uint256 i; i < ids.length; ++i) {
            delete _endpoints[msg.sender][ids[i]];
            delete _weightsDigests[msg.sender][ids[i]];
        }
        delete _suppliers[msg.sender];
        delete _pausedFrom[msg.sender];
        totalSupplierStake -= amount;
        emit SupplierWithdrawn(msg.sender, amount);
        stakeToken.safeTransfer(msg.sender, amount);
    }

    /// @notice Pauses the caller: from the next session on it is left out of every session draw, without
    ///         unstaking and without any penalty. The current session (and every past one) keeps it, so its
    ///         relays there are still served, claimed, proven and settled.
    /// @dev Closes each of the caller's service entries at the next session boundary (the draw then leaves it
    ///      out, on-chain and off-chain alike, with no flag to read) and keeps its services and endpoints for
    ///      `resumeSupplier`. Emits `SupplierServiceRemoved` per service, then `SupplierPaused`.
    function pauseSupplier() external {
        SupplierInfo storage s = _activeSupplier(msg.sender);
        if (_pausedFrom[msg.sender] != 0) revert SupplierIsPaused(msg.sender);
        uint64 next = _currentSession() + 1;
        bytes32[] storage ids = s.serviceIds;
        for (uint256 i; i < ids.length; ++i) {
            emit SupplierServiceRemoved(msg.sender, ids[i], _closeEntry(msg.sender, ids[i], next));
        }
        _pausedFrom[msg.sender] = next;
        emit SupplierPaused(msg.sender, next);
    }

    /// @notice Resumes a paused caller: it is drawn into sessions again from the next session on, for the
    ///         same services at the same endpoints.
    /// @dev Resuming in the session it paused in reopens the closed entries; later it appends one entry per
    ///      service. Emits `SupplierServiceAdded` per service, then `SupplierResumed`.
    function resumeSupplier() external {
        SupplierInfo storage s = _activeSupplier(msg.sender);
        if (_pausedFrom[msg.sender] == 0) revert SupplierNotPaused(msg.sender);
        uint64 next = _currentSession() + 1;
        bytes32[] storage ids = s.serviceIds;
        for (uint256 i; i < ids.length; ++i) {
            bytes32 id = ids[i];
            uint256 last = _lastEntry[msg.sender][id];
            if (_serviceEntries[id][last - 1].untilSession == next) {
                _serviceEntries[id][last - 1].untilSession = type(uint64).max;
            } else {
                _serviceEntries[id].push(SupplierEntry(msg.sender, next, type(uint64).max));
                _lastEntry[msg.sender][id] = _serviceEntries[id].length;
            }
            emit SupplierServiceAdded(msg.sender, id, _endpoints[msg.sender][id], next);
        }
        delete _pausedFrom[msg.sender];
        emit SupplierResumed(msg.sender, next);
    }

    /// @notice Whether `supplier` is paused, and the first session it is left out of (0 when not paused).
    function supplierPausedFrom(address supplier) external view returns (uint64) {
        return _pausedFrom[supplier];
    }

    /// @notice Moves up to `amount` of `supplier`'s stake to `to` (the DAO). Only the settlement contract.
    /// @dev Slashes what is left when the stake is smaller (a supplier that already withdrew loses nothing
    ///      more). The tokens change hands and are never burned, so the stake token is conserved. Works
    ///      while the supplier unbonds: that is what the unbonding period is for.
    /// @param supplier The supplier whose claim was voided.
    /// @param amount Stake tokens to take.
    /// @param to Receiver of the slashed tokens, non-zero.
    /// @return slashed The amount actually taken: min(`amount`, stake).
    function slashSupplier(address supplier, uint256 amount, address to)
        external
        onlySettlement
        returns (uint256 slashed)
    {
        if (to == address(0)) revert ZeroAddress();
        SupplierInfo storage s = _suppliers[supplier];
        slashed = amount < s.stake ? amount : s.stake;
        s.stake -= slashed;
        totalSupplierStake -= slashed;
        emit SupplierSlashed(supplier, slashed, to);
        if (slashed != 0) stakeToken.safeTransfer(to, slashed);
    }

    /// @notice The stake `supplier` holds, in stake token units (0 when none).
    function supplierStake(address supplier) external view returns (uint256) {
        return _suppliers[supplier].stake;
    }

    /// @notice A supplier's record.
    /// @return stake Stake tokens held for `supplier`.
    /// @return withdrawableFromSession First session it may withdraw in; 0 when not unbonding.
    /// @return serviceIds Services it serves (while unbonding: the ones it served until it unstaked).
    function getSupplier(address supplier)
        external
        view
        returns (uint256 stake, uint64 withdrawableFromSession, bytes32[] memory serviceIds)
    {
        SupplierInfo storage s = _suppliers[supplier];
        return (s.stake, s.withdrawableFromSession, s.serviceIds);
    }

    /// @notice The last endpoint `supplier` declared for `serviceId` ("" when none or after withdrawal).
    function supplierEndpoint(address supplier, bytes32 serviceId) external view returns (string memory) {
        return _endpoints[supplier][serviceId];
    }

    /// @notice The weights digest `supplier` last declared for `serviceId` (zero when none or after withdrawal).
    function supplierWeightsDigest(address supplier, bytes32 serviceId) external view returns (bytes32) {
        return _weightsDigests[supplier][serviceId];
    }

    /// @inheritdoc IStaking
    function getServiceSupplierEntries(bytes32 serviceId) external view returns (SupplierEntry[] memory) {
        return _serviceEntries[serviceId];
    }

    /// @notice Number of entries ever recorded for `serviceId` (for paging with `serviceSupplierEntryAt`).
    function serviceSupplierEntryCount(bytes32 serviceId) external view returns (uint256) {
        return _serviceEntries[serviceId].length;
    }

    /// @notice The entry at `index` (insertion order) of `serviceId`; reverts when out of range.
    function serviceSupplierEntryAt(bytes32 serviceId, uint256 index) external view returns (SupplierEntry memory) {
        return _serviceEntries[serviceId][index];
    }

    /// @dev The caller's record, checked to be staked and not unbonding.
    function _activeSupplier(address supplier) private view returns (SupplierInfo storage s) {
        s = _suppliers[supplier];
        if (s.stake == 0) revert NotStaked(supplier);
        if (s.withdrawableFromSession != 0) revert Unbonding(supplier, s.withdrawableFromSession);
    }

    /// @dev True while `supplier`'s latest entry for `serviceId` is open-ended, or while it is paused and
    ///      still lists the service.
    function _serves(address supplier, bytes32 serviceId) private view returns (bool) {
        uint256 last = _lastEntry[supplier][serviceId];
        if (last == 0) return false;
        if (_serviceEntries[serviceId][last - 1].untilSession == type(uint64).max) return true;
        if (_pausedFrom[supplier] == 0) return false;
        bytes32[] storage ids = _suppliers[supplier].serviceIds;
        for (uint256 i; i < ids.length; ++i) {
            if (ids[i] == serviceId) return true;
        }
        return false;
    }

    /// @dev Ends `supplier`'s latest entry for `serviceId` at `until` unless it already ends sooner (a paused
    ///      supplier's entries do: moving them later would rewrite past sessions). Returns its end.
    function _closeEntry(address supplier, bytes32 serviceId, uint64 until) private returns (uint64) {
        SupplierEntry storage entry = _serviceEntries[serviceId][_lastEntry[supplier][serviceId] - 1];
        if (entry.untilSession > until) entry.untilSession = until;
        return entry.untilSession;
    }
}
