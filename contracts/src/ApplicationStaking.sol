// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {IStaking} from "./interfaces/IStaking.sol";
import {GatewayStaking} from "./GatewayStaking.sol";

/// @notice One period during which an application delegated to a gateway: sessions [fromSession, untilSession).
struct Delegation {
    uint64 fromSession;
    uint64 untilSession; // type(uint64).max while still delegated
}

/// @title ApplicationStaking
/// @notice Application escrows (in the payment token), the services they use and their delegations
///         to gateways.
/// @dev Delegation history is kept forever, so whether a gateway could sign for an application in
///      any past session stays checkable when a claim's relay is verified.
abstract contract ApplicationStaking is GatewayStaking {
    using SafeERC20 for IERC20;

    /// @notice Most services one application can use.
    uint256 public constant MAX_APPLICATION_SERVICES = 16;
    /// @notice Most gateways one application can delegate to at a time.
    uint256 public constant MAX_DELEGATIONS = 8;

    struct ApplicationInfo {
        uint256 escrow;
        uint64 withdrawableFromSession; // 0 while not unbonding
        bytes32[] serviceIds;
        address[] activeGateways;
    }

    mapping(address application => ApplicationInfo) private _applications;
    mapping(address application => mapping(bytes32 serviceId => bool)) private _usesService;
    mapping(address application => mapping(address gateway => Delegation[])) private _delegations;

    /// @notice Emitted on a new escrow or a top-up; `totalEscrow` is the escrow after it.
    event ApplicationStaked(address indexed application, uint256 amount, uint256 totalEscrow);
    /// @notice Emitted when `application` starts using `serviceId`.
    event ApplicationServiceAdded(address indexed application, bytes32 indexed serviceId);
    /// @notice Emitted when `application` starts unbonding; it can withdraw from `withdrawableFromSession`.
    event ApplicationUnstaked(address indexed application, uint64 withdrawableFromSession);
    /// @notice Emitted when `application` takes back its whole escrow.
    event ApplicationWithdrawn(address indexed application, uint256 amount);
    /// @notice Emitted when `application` delegates to `gateway` from `fromSession`.
    event GatewayDelegated(address indexed application, address indexed gateway, uint64 fromSession);
    /// @notice Emitted when `application` ends its delegation to `gateway` before `untilSession`.
    event GatewayUndelegated(address indexed application, address indexed gateway, uint64 untilSession);
    /// @notice Emitted when the settlement contract pays a settled claim out of `application`'s escrow.
    event EscrowPaid(
        address indexed application,
        address indexed supplier,
        address indexed source,
        uint256 supplierAmount,
        uint256 sourceAmount,
        uint256 daoAmount
    );

    /// @notice `gateway` is not staked, or is unbonding: it cannot receive delegations.
    error UnknownGateway(address gateway);
    /// @notice `application` already delegates to `gateway`.
    error AlreadyDelegated(address application, address gateway);
    /// @notice `application` does not delegate to `gateway`.
    error NotDelegated(address application, address gateway);
    /// @notice The application already delegates to `max` gateways; undelegate from one first.
    error TooManyDelegations(uint256 max);
    /// @notice `application` escrows `escrow`, less than the `amount` to pay.
    error InsufficientEscrow(address application, uint256 escrow, uint256 amount);

    /// @notice Escrows `amount` payment tokens as an application (or tops up) and adds services to use.
    /// @dev The caller must have approved `amount`. Services it already uses are skipped. The
    ///      resulting escrow must reach `minApplicationStake`. Rejected while unbonding.
    /// @param amount Payment tokens to add; positive for a new application, may be 0 on a top-up that
    ///        only adds services.
    /// @param serviceIds Registered services to use from now on.
    function stakeApplication(uint256 amount, bytes32[] calldata serviceIds) external {
        ApplicationInfo storage a = _applications[msg.sender];
        if (a.withdrawableFromSession != 0) revert Unbonding(msg.sender, a.withdrawableFromSession);
        if (amount == 0 && (a.escrow == 0 || serviceIds.length == 0)) revert ZeroAmount();
        uint256 total = a.escrow + amount;
        if (total < minApplicationStake) revert InsufficientStake(total, minApplicationStake);
        a.escrow = total;
        totalApplicationEscrow += amount;
        emit ApplicationStaked(msg.sender, amount, total);
        for (uint256 i; i < serviceIds.length; ++i) {
            bytes32 id = serviceIds[i];
            if (!registry.serviceExists(id)) revert UnknownService(id);
            if (_usesService[msg.sender][id]) continue;
            if (a.serviceIds.length >= MAX_APPLICATION_SERVICES) revert TooManyServices(MAX_APPLICATION_SERVICES);
            _usesService[msg.sender][id] = true;
            a.serviceIds.push(id);
            emit ApplicationServiceAdded(msg.sender, id);
        }
        if (amount != 0) paymentToken.safeTransferFrom(msg.sender, address(this), amount);
    }

    /// @notice Ends every delegation after the current session and starts unbonding the escrow.
    function unstakeApplication() external {
        ApplicationInfo storage a = _activeApplication(msg.sender);
        uint64 current = _currentSession();
        uint64 until = current + 1;
        address[] storage gateways = a.activeGateways;
        for (uint256 i; i < gateways.length; ++i) {
            Delegation[] storage list = _delegations[msg.sender][gateways[i]];
            list[list.length - 1].untilSession = until;
            emit GatewayUndelegated(msg.sender, gateways[i], until);
        }
        delete a.activeGateways;
        uint64 withdrawable = _withdrawableFrom(current);
        a.withdrawableFromSession = withdrawable;
        emit ApplicationUnstaked(msg.sender, withdrawable);
    }

    /// @notice Transfers the caller's whole escrow back once unbonding has elapsed and deletes its record.
    /// @dev Delegation history is kept.
    function withdrawApplication() external {
        ApplicationInfo storage a = _applications[msg.sender];
        if (a.escrow == 0) revert NotStaked(msg.sender);
        if (a.withdrawableFromSession == 0) revert NotUnbonding(msg.sender);
        if (_currentSession() < a.withdrawableFromSession) revert Unbonding(msg.sender, a.withdrawableFromSession);
        uint256 amount = a.escrow;
        bytes32[] storage ids = a.serviceIds;
        for (uint256 i; i < ids.length; ++i) {
            delete _usesService[msg.sender][ids[i]];
        }
        delete _applications[msg.sender];
        totalApplicationEscrow -= amount;
        emit ApplicationWithdrawn(msg.sender, amount);
        paymentToken.safeTransfer(msg.sender, amount);
    }

    /// @notice Lets `gateway` sign relays for the caller from the next session on.
    /// @dev Re-delegating in the session of an undelegation reopens that interval instead of appending,
    ///      so the history grows by at most one interval per session.
    /// @param gateway A staked gateway that is not unbonding.
    function delegateToGateway(address gateway) external {
        ApplicationInfo storage a = _activeApplication(msg.sender);
        if (!_isActiveGateway(gateway)) revert UnknownGateway(gateway);
        Delegation[] storage list = _delegations[msg.sender][gateway];
        uint256 n = list.length;
        if (n != 0 && list[n - 1].untilSession == type(uint64).max) revert AlreadyDelegated(msg.sender, gateway);
        if (a.activeGateways.length >= MAX_DELEGATIONS) revert TooManyDelegations(MAX_DELEGATIONS);
        uint64 next = _currentSession() + 1;
        if (n != 0 && list[n - 1].untilSession == next) {
            list[n - 1].untilSession = type(uint64).max;
        } else {
            list.push(Delegation(next, type(uint64).max));
        }
        a.activeGateways.push(gateway);
        emit GatewayDelegated(msg.sender, gateway, next);
    }

    /// @notice Ends the caller's delegation to `gateway` after the current session.
    /// @param gateway A gateway the caller delegates to (it may have unstaked since).
    function undelegateFromGateway(address gateway) external {
        Delegation[] storage list = _delegations[msg.sender][gateway];
        uint256 n = list.length;
        if (n == 0 || list[n - 1].untilSession != type(uint64).max) revert NotDelegated(msg.sender, gateway);
        uint64 until = _currentSession() + 1;
        list[n - 1].untilSession = until;
        address[] storage gateways = _applications[msg.sender].activeGateways;
        for (uint256 i; i < gateways.length; ++i) {
            if (gateways[i] == gateway) {
                gateways[i] = gateways[gateways.length - 1];
                gateways.pop();
                break;
            }
        }
        emit GatewayUndelegated(msg.sender, gateway, until);
    }

    /// @notice Pays a settled claim out of `application`'s escrow: `supplierAmount` to the supplier,
    ///         `sourceAmount` to the service's source and `daoAmount` to `dao`. Only the settlement contract.
    /// @dev Tokens only move from the escrow to the payees, so the payment token is conserved. Works while
    ///      the application unbonds: its escrow stays liable until it is withdrawn.
    /// @param application The paying application.
    /// @param supplier Receives `supplierAmount`.
    /// @param source Receives `sourceAmount`.
    /// @param supplierAmount Supplier share.
    /// @param sourceAmount Source share.
    /// @param daoAmount DAO share, sent to `dao`.
    function payFromEscrow(
        address application,
        address supplier,
        address source,
        uint256 supplierAmount,
        uint256 sourceAmount,
        uint256 daoAmount
    ) external onlySettlement {
        ApplicationInfo storage a = _applications[application];
        uint256 total = supplierAmount + sourceAmount + daoAmount;
        if (total > a.escrow) revert InsufficientEscrow(application, a.escrow, total);
        a.escrow -= total;
        totalApplicationEscrow -= total;
        emit EscrowPaid(application, supplier, source, supplierAmount, sourceAmount, daoAmount);
        if (supplierAmount != 0) paymentToken.safeTransfer(supplier, supplierAmount);
        if (sourceAmount != 0) paymentToken.safeTransfer(source, sourceAmount);
        if (daoAmount != 0) paymentToken.safeTransfer(dao, daoAmount);
    }

    /// @notice The escrow `application` holds, in payment token units (0 when none).
    function applicationEscrow(address application) external view returns (uint256) {
        return _applications[application].escrow;
    }

    /// @inheritdoc IStaking
    function isDelegated(address application, address gateway, uint64 session) external view returns (bool) {
        Delegation[] storage list = _delegations[application][gateway];
        for (uint256 i = list.length; i > 0; --i) {
            Delegation storage d = list[i - 1];
            if (d.fromSession <= session && session < d.untilSession) return true;
        }
        return false;
    }

    /// @notice Every delegation interval `application` ever had with `gateway`, oldest first.
    function getDelegations(address application, address gateway) external view returns (Delegation[] memory) {
        return _delegations[application][gateway];
    }

    /// @notice An application's record.
    /// @return escrow Payment tokens held for `application`.
    /// @return withdrawableFromSession First session it may withdraw in; 0 when not unbonding.
    /// @return serviceIds Services it uses.
    /// @return activeGateways Gateways it currently delegates to (including not-yet-effective ones).
    function getApplication(address application)
        external
        view
        returns (
            uint256 escrow,
            uint64 withdrawableFromSession,
            bytes32[] memory serviceIds,
            address[] memory activeGateways
        )
    {
        ApplicationInfo storage a = _applications[application];
        return (a.escrow, a.withdrawableFromSession, a.serviceIds, a.activeGateways);
    }

    /// @notice True when `application` uses `serviceId`.
    function usesService(address application, bytes32 serviceId) external view returns (bool) {
        return _usesService[application][serviceId];
    }

    /// @dev The caller's record, checked to be staked and not unbonding.
    function _activeApplication(address application) private view returns (ApplicationInfo storage a) {
        a = _applications[application];
        if (a.escrow == 0) revert NotStaked(application);
        if (a.withdrawableFromSession != 0) revert Unbonding(application, a.withdrawableFromSession);
    }
}
