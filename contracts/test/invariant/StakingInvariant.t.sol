// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Delegation} from "../../src/ApplicationStaking.sol";
import {ServiceRegistry} from "../../src/ServiceRegistry.sol";
import {SessionClock} from "../../src/SessionClock.sol";
import {Staking} from "../../src/Staking.sol";
import {TestToken} from "../../src/TestToken.sol";
import {ComputeUnitMode} from "../../src/interfaces/IServiceRegistry.sol";
import {SupplierEntry} from "../../src/interfaces/IStaking.sol";
import {StakingHandler} from "../handlers/StakingHandler.sol";
import {Test} from "../utils/Test.sol";

/// @notice Invariants of `Staking` under random sequences of actions by several actors.
abstract contract StakingInvariantBase is Test {
    TestToken internal stakeToken;
    TestToken internal payToken;
    SessionClock internal clock;
    Staking internal staking;
    StakingHandler internal handler;

    /// @dev Deploys over `stakeToken` and `payToken` (set by the concrete test). Short sessions and one
    ///      unbonding session let a run of `depth` calls reach withdrawals.
    function _deploy() internal {
        ServiceRegistry registry = new ServiceRegistry();
        clock = new SessionClock(address(0x60), 5, 3);
        staking = new Staking(
            address(0x60),
            address(stakeToken),
            address(payToken),
            address(registry),
            address(clock),
            100e18,
            50e18,
            10e6,
            1,
            address(0xDA0),
            1000
        );
        bytes32[] memory ids = new bytes32[](3);
        for (uint256 i; i < ids.length; ++i) {
            ids[i] = bytes32(0x5E0 + i);
            registry.registerService(ids[i], "m", bytes32(0), 0, ComputeUnitMode.PerRelay, 1, 0, 0);
        }
        handler = new StakingHandler(staking, ids);
        targetContract(address(handler));
    }

    /// @dev The contract holds exactly the running totals, in the right token.
    function invariant_balancesMatchTotals() public view {
        uint256 stakes = staking.totalSupplierStake() + staking.totalGatewayStake();
        if (address(stakeToken) == address(payToken)) {
            vm.assertEq(stakeToken.balanceOf(address(staking)), stakes + staking.totalApplicationEscrow());
        } else {
            vm.assertEq(stakeToken.balanceOf(address(staking)), stakes);
            vm.assertEq(payToken.balanceOf(address(staking)), staking.totalApplicationEscrow());
        }
    }

    /// @dev The running totals are the sums of the per-actor records.
    function invariant_totalsEqualSumOverActors() public view {
        address[] memory actors = handler.actors();
        uint256 suppliers;
        uint256 gateways;
        uint256 escrows;
        for (uint256 i; i < actors.length; ++i) {
            (uint256 s,,) = staking.getSupplier(actors[i]);
            (uint256 g,,) = staking.getGateway(actors[i]);
            (uint256 e,,,) = staking.getApplication(actors[i]);
            suppliers += s;
            gateways += g;
            escrows += e;
        }
        vm.assertEq(staking.totalSupplierStake(), suppliers);
        vm.assertEq(staking.totalGatewayStake(), gateways);
        vm.assertEq(staking.totalApplicationEscrow(), escrows);
    }

    /// @dev Nobody gets out more than it put in; without slashing, what is still held is exactly the rest.
    function invariant_noActorWithdrewMoreThanDeposited() public view {
        address[] memory actors = handler.actors();
        for (uint256 i; i < actors.length; ++i) {
            address a = actors[i];
            uint256 inStake = handler.deposited(a, address(stakeToken));
            uint256 outStake = handler.withdrawn(a, address(stakeToken));
            uint256 inPay = handler.deposited(a, address(payToken));
            uint256 outPay = handler.withdrawn(a, address(payToken));
            vm.assertLe(outStake, inStake);
            vm.assertLe(outPay, inPay);
            (uint256 s,,) = staking.getSupplier(a);
            (uint256 g,,) = staking.getGateway(a);
            (uint256 e,,,) = staking.getApplication(a);
            if (address(stakeToken) == address(payToken)) {
                vm.assertEq(inStake - outStake, s + g + e);
            } else {
                vm.assertEq(inStake - outStake, s + g);
                vm.assertEq(inPay - outPay, e);
            }
        }
    }

    /// @dev Entries are well-formed, one supplier never has two entries covering the same session
    ///      (the session draw relies on it), and open entries are exactly the active suppliers' services.
    function invariant_supplierEntriesConsistent() public view {
        bytes32[] memory ids = handler.serviceIds();
        address[] memory actors = handler.actors();
        for (uint256 k; k < ids.length; ++k) {
            SupplierEntry[] memory entries = staking.getServiceSupplierEntries(ids[k]);
            for (uint256 i; i < entries.length; ++i) {
                vm.assertLe(entries[i].fromSession, entries[i].untilSession);
                for (uint256 j = i + 1; j < entries.length; ++j) {
                    if (entries[i].supplier != entries[j].supplier) continue;
                    // Later entries start where or after earlier ones end.
                    vm.assertLe(entries[i].untilSession, entries[j].fromSession);
                }
            }
            for (uint256 a; a < actors.length; ++a) {
                vm.assertEq(_openEntries(entries, actors[a]), _activelyServes(actors[a], ids[k]) ? 1 : 0);
            }
        }
    }

    /// @dev Active delegations are at most 8, each backed by an open interval, and every interval
    ///      history is ordered and disjoint.
    function invariant_delegationsConsistent() public view {
        address[] memory actors = handler.actors();
        for (uint256 a; a < actors.length; ++a) {
            (,,, address[] memory active) = staking.getApplication(actors[a]);
            vm.assertLe(active.length, staking.MAX_DELEGATIONS());
            for (uint256 g; g < actors.length; ++g) {
                Delegation[] memory history = staking.getDelegations(actors[a], actors[g]);
                for (uint256 i; i < history.length; ++i) {
                    vm.assertLe(history[i].fromSession, history[i].untilSession);
                    if (i + 1 < history.length) vm.assertLe(history[i].untilSession, history[i + 1].fromSession);
                }
                bool open = history.length != 0 && history[history.length - 1].untilSession == type(uint64).max;
                vm.assertEq(open, _contains(active, actors[g]));
            }
        }
    }

    function _openEntries(SupplierEntry[] memory entries, address supplier) private pure returns (uint256 n) {
        for (uint256 i; i < entries.length; ++i) {
            if (entries[i].supplier == supplier && entries[i].untilSession == type(uint64).max) ++n;
        }
    }

    function _activelyServes(address supplier, bytes32 serviceId) private view returns (bool) {
        (, uint64 withdrawable, bytes32[] memory ids) = staking.getSupplier(supplier);
        if (withdrawable != 0) return false;
        for (uint256 i; i < ids.length; ++i) {
            if (ids[i] == serviceId) return true;
        }
        return false;
    }

    function _contains(address[] memory list, address x) private pure returns (bool) {
        for (uint256 i; i < list.length; ++i) {
            if (list[i] == x) return true;
        }
        return false;
    }
}

/// @notice Distinct stake and payment tokens (the usual deployment).
contract StakingInvariantTest is StakingInvariantBase {
    function setUp() public {
        stakeToken = new TestToken("Stake", "STK", 18);
        payToken = new TestToken("Pay", "PAY", 6);
        _deploy();
    }
}

/// @notice One token for both stakes and escrows: the totals must still add up.
contract StakingSameTokenInvariantTest is StakingInvariantBase {
    function setUp() public {
        stakeToken = new TestToken("Decai", "DCT", 18);
        payToken = stakeToken;
        _deploy();
    }
}
