// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Staking} from "../../src/Staking.sol";
import {TestToken} from "../../src/TestToken.sol";
import {Test} from "../utils/Test.sol";

/// @notice Drives random staking actions by a few actors for the invariant tests and keeps ghost
///         accounting of what each actor deposited and withdrew, per token.
/// @dev Every action picks its actor (and service / gateway) from a seed, so the fuzzer explores
///      interactions instead of random addresses. An action first sets up what it needs when that is
///      missing (a stake before adding a service, an unstake before a withdrawal), so short runs still
///      reach deep states. Calls that `Staking` rejects are swallowed: the invariants must hold
///      whatever the order of calls.
contract StakingHandler is Test {
    uint256 public constant ACTORS = 3;
    uint256 internal constant MAX_AMOUNT = 1e24;

    Staking public immutable staking;
    TestToken public immutable stakeToken;
    TestToken public immutable payToken;
    bytes32[] internal _serviceIds;
    address[] internal _actors;

    /// @notice Tokens moved into `staking` by `actor`, per token.
    mapping(address actor => mapping(address token => uint256)) public deposited;
    /// @notice Tokens moved out of `staking` to `actor`, per token.
    mapping(address actor => mapping(address token => uint256)) public withdrawn;
    /// @notice Successful calls per action name, to see what a run exercised.
    mapping(bytes32 action => uint256) public calls;

    constructor(Staking staking_, bytes32[] memory serviceIds_) {
        staking = staking_;
        stakeToken = TestToken(address(staking_.stakeToken()));
        payToken = TestToken(address(staking_.paymentToken()));
        _serviceIds = serviceIds_;
        for (uint256 i; i < ACTORS; ++i) {
            // casting to 'uint160' is safe because the value is a small constant
            // forge-lint: disable-next-line(unsafe-typecast)
            address actor = address(uint160(0xAC7000 + i));
            _actors.push(actor);
            vm.startPrank(actor);
            stakeToken.approve(address(staking_), type(uint256).max);
            payToken.approve(address(staking_), type(uint256).max);
            vm.stopPrank();
        }
    }

    // ------------------------------------------------------------------ suppliers

    function stakeSupplier(uint256 actorSeed, uint256 amount) public {
        address actor = _actor(actorSeed);
        amount = bound(amount, 1, MAX_AMOUNT);
        (uint256 stake,,) = staking.getSupplier(actor);
        // Mostly valid stakes: a new stake at least reaches the minimum.
        if (stake == 0 && amount < staking.minSupplierStake()) amount += staking.minSupplierStake();
        stakeToken.mint(actor, amount);
        vm.prank(actor);
        try staking.stakeSupplier(amount) {
            deposited[actor][address(stakeToken)] += amount;
            ++calls["stakeSupplier"];
        } catch {}
    }

    function addSupplierService(uint256 actorSeed, uint256 serviceSeed) external {
        (uint256 stake,,) = staking.getSupplier(_actor(actorSeed));
        if (stake == 0) stakeSupplier(actorSeed, serviceSeed);
        vm.prank(_actor(actorSeed));
        try staking.addSupplierService(_service(serviceSeed), "https://relayminer.example") {
            ++calls["addSupplierService"];
        } catch {}
    }

    /// @dev Mostly removes one of the actor's own services; sometimes any service (expected to fail).
    function removeSupplierService(uint256 actorSeed, uint256 serviceSeed) external {
        address actor = _actor(actorSeed);
        (,, bytes32[] memory own) = staking.getSupplier(actor);
        bytes32 serviceId =
            own.length != 0 && serviceSeed % 4 != 0 ? own[serviceSeed % own.length] : _service(serviceSeed);
        vm.prank(actor);
        try staking.removeSupplierService(serviceId) {
            ++calls["removeSupplierService"];
        } catch {}
    }

    function unstakeSupplier(uint256 actorSeed) public {
        (uint256 stake,,) = staking.getSupplier(_actor(actorSeed));
        if (stake == 0) stakeSupplier(actorSeed, actorSeed >> 8);
        vm.prank(_actor(actorSeed));
        try staking.unstakeSupplier() {
            ++calls["unstakeSupplier"];
        } catch {}
    }

    function withdrawSupplier(uint256 actorSeed) external {
        address actor = _actor(actorSeed);
        (, uint64 withdrawable,) = staking.getSupplier(actor);
        if (withdrawable == 0) {
            unstakeSupplier(actorSeed);
            return;
        }
        uint256 before = stakeToken.balanceOf(actor);
        vm.prank(actor);
        try staking.withdrawSupplier() {
            withdrawn[actor][address(stakeToken)] += stakeToken.balanceOf(actor) - before;
            ++calls["withdrawSupplier"];
        } catch {}
    }

    // ------------------------------------------------------------------ gateways

    function stakeGateway(uint256 actorSeed, uint256 amount) public {
        address actor = _actor(actorSeed);
        amount = bound(amount, 1, MAX_AMOUNT);
        (uint256 stake,,) = staking.getGateway(actor);
        if (stake == 0 && amount < staking.minGatewayStake()) amount += staking.minGatewayStake();
        stakeToken.mint(actor, amount);
        vm.prank(actor);
        try staking.stakeGateway(amount) {
            deposited[actor][address(stakeToken)] += amount;
            ++calls["stakeGateway"];
        } catch {}
    }

    function unstakeGateway(uint256 actorSeed) public {
        (uint256 stake,,) = staking.getGateway(_actor(actorSeed));
        if (stake == 0) stakeGateway(actorSeed, actorSeed >> 8);
        vm.prank(_actor(actorSeed));
        try staking.unstakeGateway() {
            ++calls["unstakeGateway"];
        } catch {}
    }

    function withdrawGateway(uint256 actorSeed) external {
        address actor = _actor(actorSeed);
        (,, uint64 withdrawable) = staking.getGateway(actor);
        if (withdrawable == 0) {
            unstakeGateway(actorSeed);
            return;
        }
        uint256 before = stakeToken.balanceOf(actor);
        vm.prank(actor);
        try staking.withdrawGateway() {
            withdrawn[actor][address(stakeToken)] += stakeToken.balanceOf(actor) - before;
            ++calls["withdrawGateway"];
        } catch {}
    }

    // ------------------------------------------------------------------ applications

    function stakeApplication(uint256 actorSeed, uint256 amount, uint256 serviceSeed) public {
        address actor = _actor(actorSeed);
        amount = bound(amount, 0, MAX_AMOUNT);
        (uint256 escrow,,,) = staking.getApplication(actor);
        if (escrow == 0 && amount < staking.minApplicationStake()) amount += staking.minApplicationStake() + 1;
        payToken.mint(actor, amount);
        bytes32[] memory ids = new bytes32[](1);
        ids[0] = _service(serviceSeed);
        vm.prank(actor);
        try staking.stakeApplication(amount, ids) {
            deposited[actor][address(payToken)] += amount;
            ++calls["stakeApplication"];
        } catch {}
    }

    function unstakeApplication(uint256 actorSeed) public {
        (uint256 escrow,,,) = staking.getApplication(_actor(actorSeed));
        if (escrow == 0) stakeApplication(actorSeed, actorSeed >> 8, actorSeed >> 16);
        vm.prank(_actor(actorSeed));
        try staking.unstakeApplication() {
            ++calls["unstakeApplication"];
        } catch {}
    }

    function withdrawApplication(uint256 actorSeed) external {
        address actor = _actor(actorSeed);
        (, uint64 withdrawable,,) = staking.getApplication(actor);
        if (withdrawable == 0) {
            unstakeApplication(actorSeed);
            return;
        }
        uint256 before = payToken.balanceOf(actor);
        vm.prank(actor);
        try staking.withdrawApplication() {
            withdrawn[actor][address(payToken)] += payToken.balanceOf(actor) - before;
            ++calls["withdrawApplication"];
        } catch {}
    }

    function delegateToGateway(uint256 actorSeed, uint256 gatewaySeed) external {
        (uint256 escrow,,,) = staking.getApplication(_actor(actorSeed));
        if (escrow == 0) stakeApplication(actorSeed, gatewaySeed, gatewaySeed >> 8);
        (uint256 stake,,) = staking.getGateway(_actor(gatewaySeed));
        if (stake == 0) stakeGateway(gatewaySeed, actorSeed);
        vm.prank(_actor(actorSeed));
        try staking.delegateToGateway(_actor(gatewaySeed)) {
            ++calls["delegateToGateway"];
        } catch {}
    }

    /// @dev Mostly undelegates from one of the actor's gateways; sometimes from any (expected to fail).
    function undelegateFromGateway(uint256 actorSeed, uint256 gatewaySeed) external {
        address actor = _actor(actorSeed);
        (,,, address[] memory own) = staking.getApplication(actor);
        address gateway = own.length != 0 && gatewaySeed % 4 != 0 ? own[gatewaySeed % own.length] : _actor(gatewaySeed);
        vm.prank(actor);
        try staking.undelegateFromGateway(gateway) {
            ++calls["undelegateFromGateway"];
        } catch {}
    }

    // ------------------------------------------------------------------ time

    /// @dev Moves forward up to about two sessions (of the default length), so unbonding completes
    ///      within a run's depth.
    function rollForward(uint256 blocks) external {
        vm.roll(block.number + bound(blocks, 1, 25));
        ++calls["rollForward"];
    }

    // ------------------------------------------------------------------ views for the invariants

    function actors() external view returns (address[] memory) {
        return _actors;
    }

    function serviceIds() external view returns (bytes32[] memory) {
        return _serviceIds;
    }

    function _actor(uint256 seed) internal view returns (address) {
        return _actors[seed % _actors.length];
    }

    function _service(uint256 seed) internal view returns (bytes32) {
        return _serviceIds[seed % _serviceIds.length];
    }
}
