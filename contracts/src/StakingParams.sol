// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {Governed} from "./Governed.sol";
import {IServiceRegistry} from "./interfaces/IServiceRegistry.sol";
import {ISessionClock} from "./interfaces/ISessionClock.sol";
import {IStaking} from "./interfaces/IStaking.sol";

/// @title StakingParams
/// @notice Tokens, collaborators, governance parameters, running totals and the errors shared by
///         every part of `Staking`.
/// @dev Tokens are assumed to move exactly the requested amount: fee-on-transfer and rebasing tokens
///      are not supported, because the running totals must equal the contract's balances.
abstract contract StakingParams is Governed, IStaking {
    /// @notice Largest accepted minimum stake; keeps stake arithmetic far from overflow.
    uint256 public constant MAX_MIN_STAKE = 2 ** 128;
    /// @notice Bounds of `unbondingSessions`.
    uint32 public constant MIN_UNBONDING_SESSIONS = 1;
    uint32 public constant MAX_UNBONDING_SESSIONS = 10_000;
    /// @notice Largest accepted DAO share of each settled claim, in basis points.
    uint16 public constant MAX_DAO_SHARE_BPS = 5000;

    /// @notice Token in which suppliers and gateways stake.
    IERC20 public immutable stakeToken;
    /// @notice Token in which applications escrow payment (may equal `stakeToken`).
    IERC20 public immutable paymentToken;
    /// @notice Registry that says which services exist.
    IServiceRegistry public immutable registry;
    /// @notice Clock that numbers sessions.
    ISessionClock public immutable clock;

    /// @notice Minimum stake of a supplier, in stake token units.
    uint256 public minSupplierStake;
    /// @notice Minimum stake of a gateway, in stake token units.
    uint256 public minGatewayStake;
    /// @notice Minimum escrow of an application, in payment token units.
    uint256 public minApplicationStake;
    /// @notice Full sessions an actor waits after the session in which it unstaked, before it can withdraw.
    uint32 public unbondingSessions;
    /// @notice Receiver of the DAO share of settled claims.
    address public dao;
    /// @notice DAO share of each settled claim, in basis points.
    uint16 public daoShareBps;

    /// @notice Sum of all supplier stakes held, in stake token units.
    uint256 public totalSupplierStake;
    /// @notice Sum of all gateway stakes held, in stake token units.
    uint256 public totalGatewayStake;
    /// @notice Sum of all application escrows held, in payment token units.
    uint256 public totalApplicationEscrow;
    /// @notice The contract that settles claims (pays from escrows, slashes suppliers); set once by governance.
    address public settlement;

    /// @notice Emitted when a numeric parameter changes (and once per parameter at deployment).
    event ParameterUpdated(bytes32 indexed name, uint256 value);
    /// @notice Emitted when the DAO address changes (and once at deployment).
    event DaoUpdated(address indexed dao);
    /// @notice Emitted once, when governance names the settlement contract.
    event SettlementSet(address indexed settlement);

    /// @notice `value` is outside [`min`, `max`] for parameter `name`.
    error ParameterOutOfBounds(bytes32 name, uint256 value, uint256 min, uint256 max);
    /// @notice The amount must be positive here (or, on an application top-up, services must be added).
    error ZeroAmount();
    /// @notice The resulting stake `have` is below the minimum `need`; stake more.
    error InsufficientStake(uint256 have, uint256 need);
    /// @notice `account` is unbonding; it can only withdraw, from session `withdrawableFromSession`.
    error Unbonding(address account, uint64 withdrawableFromSession);
    /// @notice `account` has no stake of this kind; stake first.
    error NotStaked(address account);
    /// @notice `account` must unstake before it can withdraw.
    error NotUnbonding(address account);
    /// @notice The service is not registered in the `ServiceRegistry`.
    error UnknownService(bytes32 serviceId);
    /// @notice The account already uses `max` services; remove one first.
    error TooManyServices(uint256 max);
    /// @notice The settlement contract is already `settlement`; it can be set only once.
    error SettlementAlreadySet(address settlement);
    /// @notice Only the settlement contract may do this; `caller` is not it.
    error NotSettlement(address caller);

    modifier onlySettlement() {
        if (msg.sender != settlement || msg.sender == address(0)) revert NotSettlement(msg.sender);
        _;
    }

    constructor(
        address governance_,
        address stakeToken_,
        address paymentToken_,
        address registry_,
        address clock_,
        uint256 minSupplierStake_,
        uint256 minGatewayStake_,
        uint256 minApplicationStake_,
        uint32 unbondingSessions_,
        address dao_,
        uint16 daoShareBps_
    ) Governed(governance_) {
        if (stakeToken_ == address(0) || paymentToken_ == address(0) || registry_ == address(0) || clock_ == address(0))
        {
            revert ZeroAddress();
        }
        stakeToken = IERC20(stakeToken_);
        paymentToken = IERC20(paymentToken_);
        registry = IServiceRegistry(registry_);
        clock = ISessionClock(clock_);
        _setMinSupplierStake(minSupplierStake_);
        _setMinGatewayStake(minGatewayStake_);
        _setMinApplicationStake(minApplicationStake_);
        _setUnbondingSessions(unbondingSessions_);
        _setDao(dao_);
        _setDaoShareBps(daoShareBps_);
    }

    /// @notice Sets the minimum supplier stake; existing stakes below it stay valid until they top up.
    /// @param value New minimum, at most `MAX_MIN_STAKE`.
    function setMinSupplierStake(uint256 value) external onlyGovernance {
        _setMinSupplierStake(value);
    }

    /// @notice Sets the minimum gateway stake; existing stakes below it stay valid until they top up.
    /// @param value New minimum, at most `MAX_MIN_STAKE`.
    function setMinGatewayStake(uint256 value) external onlyGovernance {
        _setMinGatewayStake(value);
    }

    /// @notice Sets the minimum application escrow; existing escrows below it stay valid until they top up.
    /// @param value New minimum, at most `MAX_MIN_STAKE`.
    function setMinApplicationStake(uint256 value) external onlyGovernance {
        _setMinApplicationStake(value);
    }

    /// @notice Sets the unbonding period for future unstakes (actors already unbonding keep theirs).
    /// @param value Sessions in [`MIN_UNBONDING_SESSIONS`, `MAX_UNBONDING_SESSIONS`].
    function setUnbondingSessions(uint32 value) external onlyGovernance {
        _setUnbondingSessions(value);
    }

    /// @notice Sets the receiver of the DAO share.
    /// @param value New DAO address, non-zero.
    function setDao(address value) external onlyGovernance {
        _setDao(value);
    }

    /// @notice Sets the DAO share of each settled claim.
    /// @param value Basis points, at most `MAX_DAO_SHARE_BPS`.
    function setDaoShareBps(uint16 value) external onlyGovernance {
        _setDaoShareBps(value);
    }

    /// @notice Names the contract allowed to pay out of escrows and slash suppliers (`RelayMining`).
    /// @dev Once only: a settlement contract that could be swapped would let governance reach every escrow.
    /// @param value The settlement contract, non-zero.
    function setSettlement(address value) external onlyGovernance {
        if (settlement != address(0)) revert SettlementAlreadySet(settlement);
        if (value == address(0)) revert ZeroAddress();
        settlement = value;
        emit SettlementSet(value);
    }

    function _setMinSupplierStake(uint256 value) private {
        _checkBounds("minSupplierStake", value, 0, MAX_MIN_STAKE);
        minSupplierStake = value;
        emit ParameterUpdated("minSupplierStake", value);
    }

    function _setMinGatewayStake(uint256 value) private {
        _checkBounds("minGatewayStake", value, 0, MAX_MIN_STAKE);
        minGatewayStake = value;
        emit ParameterUpdated("minGatewayStake", value);
    }

    function _setMinApplicationStake(uint256 value) private {
        _checkBounds("minApplicationStake", value, 0, MAX_MIN_STAKE);
        minApplicationStake = value;
        emit ParameterUpdated("minApplicationStake", value);
    }

    function _setUnbondingSessions(uint32 value) private {
        _checkBounds("unbondingSessions", value, MIN_UNBONDING_SESSIONS, MAX_UNBONDING_SESSIONS);
        unbondingSessions = value;
        emit ParameterUpdated("unbondingSessions", value);
    }

    function _setDao(address value) private {
        if (value == address(0)) revert ZeroAddress();
        dao = value;
        emit DaoUpdated(value);
    }

    function _setDaoShareBps(uint16 value) private {
        _checkBounds("daoShareBps", value, 0, MAX_DAO_SHARE_BPS);
        daoShareBps = value;
        emit ParameterUpdated("daoShareBps", value);
    }

    function _checkBounds(bytes32 name, uint256 value, uint256 min, uint256 max) private pure {
        if (value < min || value > max) revert ParameterOutOfBounds(name, value, min, max);
    }

    /// @dev The session in which a state change is made; changes take effect at `_currentSession() + 1`.
    function _currentSession() internal view returns (uint64) {
        return clock.currentSession();
    }

    /// @dev The first session in which an actor that unstakes now may withdraw.
    function _withdrawableFrom(uint64 session) internal view returns (uint64) {
        return session + 1 + unbondingSessions;
    }
}
