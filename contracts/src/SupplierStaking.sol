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

    /// @notice Emitted on a new stake or a top-up; `total` is the stake after it.
    event SupplierStaked(address indexed supplier, uint256 amount, uint256 total);
    /// @notice Emitted when `supplier` starts serving `serviceId` at `endpoint` from `fromSession`.
    event SupplierServiceAdded(
        address indexed supplier, bytes32 indexed serviceId, string endpoint, uint64 fromSession
    );
    /// @notice Emitted when `supplier` moves its endpoint for `serviceId` (effective immediately).
    event SupplierEndpointUpdated(address indexed supplier, bytes32 indexed serviceId, string endpoint);
    /// @notice Emitted when `supplier` stops serving `serviceId`; it serves up to `untilSession` (exclusive).
    event SupplierServiceRemoved(address indexed supplier, bytes32 indexed serviceId, uint64 untilSession);
    /// @notice Emitted when `supplier` starts unbonding; it can withdraw from `withdrawableFromSession`.
    event SupplierUnstaked(address indexed supplier, uint64 withdrawableFromSession);
    /// @notice Emitted when `supplier` takes back its whole stake.
    event SupplierWithdrawn(address indexed supplier, uint256 amount);
    /// @notice Emitted when the settlement contract moves `amount` of `supplier`'s stake to `to`.
    event SupplierSlashed(address indexed supplier, uint256 amount, address indexed to);

    /// @notice `supplier` already serves `serviceId`; use `updateSupplierEndpoint` to move it.
    error ServiceAlreadyStaked(address supplier, bytes32 serviceId);
    /// @notice `supplier` does not serve `serviceId`; add it with `addSupplierService` first.
    error ServiceNotStaked(address supplier, bytes32 serviceId);
    /// @notice An endpoint URL must be given.
    error EmptyEndpoint();

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

    /// @notice Stops serving `serviceId` after the current session.
    /// @dev The endpoint stays readable so the sessions still served can reach the supplier.
    /// @param serviceId A service the caller serves.
    function removeSupplierService(bytes32 serviceId) external {
        SupplierInfo storage s = _activeSupplier(msg.sender);
        if (!_serves(msg.sender, serviceId)) revert ServiceNotStaked(msg.sender, serviceId);
        uint64 until = _currentSession() + 1;
        _serviceEntries[serviceId][_lastEntry[msg.sender][serviceId] - 1].untilSession = until;
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
            _serviceEntries[ids[i]][_lastEntry[msg.sender][ids[i]] - 1].untilSession = until;
            emit SupplierServiceRemoved(msg.sender, ids[i], until);
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
        }
        delete _suppliers[msg.sender];
        totalSupplierStake -= amount;
        emit SupplierWithdrawn(msg.sender, amount);
        stakeToken.safeTransfer(msg.sender, amount);
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

    /// @dev True while `supplier`'s latest entry for `serviceId` is open-ended.
    function _serves(address supplier, bytes32 serviceId) private view returns (bool) {
        uint256 last = _lastEntry[supplier][serviceId];
        return last != 0 && _serviceEntries[serviceId][last - 1].untilSession == type(uint64).max;
    }
}
