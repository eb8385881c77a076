// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {SupplierEntry} from "../src/interfaces/IStaking.sol";
import {StakingFixture} from "./StakingFixture.t.sol";

/// @notice Random sequences checked step by step against a small model of what `Staking` should do.
contract StakingFuzzTest is StakingFixture {
    struct Account {
        uint256 stake;
        uint64 withdrawable;
        bool servesA;
    }

    uint256 internal constant STEPS = 40;
    uint256 internal constant FUNDS = 1e30;

    address[3] internal actors = [alice, bob, carol];
    mapping(address => Account) internal model;

    function setUp() public override {
        super.setUp();
        for (uint256 i; i < actors.length; ++i) {
            _fund(stakeToken, actors[i], FUNDS);
            _fund(payToken, actors[i], FUNDS);
        }
    }

    /// @dev Suppliers: stake / top-up / add or remove a service / unstake / withdraw / time passes, in any
    ///      order. Every call must succeed exactly when the model says so, balances must follow, and
    ///      nothing done during a session may change who serves that session.
    function testFuzz_supplierSequence(uint256 seed) public {
        for (uint256 step; step < STEPS; ++step) {
            uint256 r = uint256(keccak256(abi.encode(seed, step)));
            address who = actors[r % 3];
            uint64 current = clock.currentSession();
            uint256 servingBefore = _servingCount(SVC_A, current);
            uint256 action = (r >> 8) % 6;
            if (action == 0) _stepStake(who, bound(r >> 16, 1, 3 * MIN_SUPPLIER));
            else if (action == 1) _stepToggleService(who, current);
            else if (action == 2) _stepUnstake(who, current);
            else if (action == 3) _stepWithdraw(who, current);
            else vm.roll(block.number + bound(r >> 16, 1, 3 * BLOCKS_PER_SESSION));

            if (action != 4 && action != 5) {
                vm.assertEq(_servingCount(SVC_A, current), servingBefore, "current session changed");
            }
            _checkModel();
        }
    }

    /// @dev One supplier: stake, top up, unstake in some session, then try to withdraw in another.
    function testFuzz_withdrawOnlyAfterUnbonding(
        uint256 first,
        uint256 topUp,
        uint32 unbonding,
        uint16 unstakeSession,
        uint16 trySession
    ) public {
        first = bound(first, MIN_SUPPLIER, 1e27);
        topUp = bound(topUp, 0, 1e27);
        unbonding = uint32(bound(unbonding, 1, 10_000));
        uint64 unstakeAt = uint64(bound(unstakeSession, 0, 20_000));
        uint64 tryAt = uint64(bound(trySession, unstakeAt, unstakeAt + 2 * uint256(unbonding) + 2));
        vm.prank(gov);
        staking.setUnbondingSessions(unbonding);

        vm.startPrank(alice);
        staking.stakeSupplier(first);
        if (topUp != 0) staking.stakeSupplier(topUp);
        _toSession(unstakeAt);
        staking.unstakeSupplier();
        _toSession(tryAt);
        uint256 before = stakeToken.balanceOf(alice);
        bool ok = tryAt >= unstakeAt + 1 + unbonding;
        if (!ok) vm.expectRevert();
        staking.withdrawSupplier();
        vm.stopPrank();

        vm.assertEq(stakeToken.balanceOf(alice) - before, ok ? first + topUp : 0);
        vm.assertEq(staking.totalSupplierStake(), ok ? 0 : first + topUp);
    }

    /// @dev Applications: escrow, top-up, delegate/undelegate among three gateways, unstake, withdraw.
    ///      Delegations must only ever change from the next session on.
    function testFuzz_applicationSequence(uint256 seed) public {
        for (uint256 i; i < actors.length; ++i) {
            vm.prank(actors[i]);
            staking.stakeGateway(MIN_GATEWAY);
        }
        uint256 escrow;
        uint64 withdrawable;
        bool[3] memory open;
        for (uint256 step; step < STEPS; ++step) {
            uint256 r = uint256(keccak256(abi.encode(seed, step)));
            uint64 current = clock.currentSession();
            bool[3] memory before;
            for (uint256 g; g < 3; ++g) {
                before[g] = staking.isDelegated(app, actors[g], current);
            }
            uint256 g2 = (r >> 16) % 3;
            uint256 action = (r >> 8) % 6;
            if (action == 0) {
                uint256 amount = bound(r >> 32, escrow == 0 ? MIN_APP : 1, 5 * MIN_APP);
                _fund(payToken, app, amount);
                vm.prank(app);
                if (withdrawable != 0) vm.expectRevert();
                staking.stakeApplication(amount, _ids(SVC_A));
                if (withdrawable == 0) escrow += amount;
            } else if (action == 1 || action == 2) {
                bool ok = escrow != 0 && withdrawable == 0 && !open[g2];
                vm.prank(app);
                if (!ok) vm.expectRevert();
                staking.delegateToGateway(actors[g2]);
                if (ok) open[g2] = true;
            } else if (action == 3) {
                vm.prank(app);
                if (!open[g2]) vm.expectRevert();
                staking.undelegateFromGateway(actors[g2]);
                open[g2] = false;
            } else if (action == 4) {
                if (escrow != 0 && withdrawable == 0) {
                    vm.prank(app);
                    staking.unstakeApplication();
                    withdrawable = current + 1 + UNBONDING;
                    open = [false, false, false];
                } else if (escrow != 0 && current >= withdrawable) {
                    uint256 balance = payToken.balanceOf(app);
                    vm.prank(app);
                    staking.withdrawApplication();
                    vm.assertEq(payToken.balanceOf(app) - balance, escrow);
                    (escrow, withdrawable) = (0, 0);
                }
            } else {
                vm.roll(block.number + bound(r >> 32, 1, 2 * BLOCKS_PER_SESSION));
            }

            uint64 now_ = clock.currentSession();
            for (uint256 g; g < 3; ++g) {
                if (now_ == current) vm.assertEq(staking.isDelegated(app, actors[g], current), before[g]);
                vm.assertEq(staking.isDelegated(app, actors[g], now_ + 1), open[g]);
            }
            (uint256 e, uint64 w,,) = staking.getApplication(app);
            vm.assertEq(e, escrow);
            vm.assertEq(uint256(w), withdrawable);
            vm.assertEq(staking.totalApplicationEscrow(), escrow);
            vm.assertEq(payToken.balanceOf(address(staking)), escrow);
        }
    }

    function _stepStake(address who, uint256 amount) private {
        Account storage m = model[who];
        bool ok = m.withdrawable == 0 && m.stake + amount >= MIN_SUPPLIER;
        vm.prank(who);
        if (!ok) vm.expectRevert();
        staking.stakeSupplier(amount);
        if (ok) m.stake += amount;
    }

    function _stepToggleService(address who, uint64 current) private {
        Account storage m = model[who];
        bool ok = m.stake != 0 && m.withdrawable == 0;
        vm.prank(who);
        if (!ok) vm.expectRevert();
        if (m.servesA) staking.removeSupplierService(SVC_A);
        else staking.addSupplierService(SVC_A, "https://x");
        if (ok) m.servesA = !m.servesA;
        if (ok) vm.assertEq(_servingCount(SVC_A, current + 1, who), m.servesA ? 1 : 0);
    }

    function _stepUnstake(address who, uint64 current) private {
        Account storage m = model[who];
        bool ok = m.stake != 0 && m.withdrawable == 0;
        vm.prank(who);
        if (!ok) vm.expectRevert();
        staking.unstakeSupplier();
        if (!ok) return;
        m.withdrawable = current + 1 + UNBONDING;
        m.servesA = false;
        vm.assertEq(_servingCount(SVC_A, current + 1, who), 0);
    }

    function _stepWithdraw(address who, uint64 current) private {
        Account storage m = model[who];
        bool ok = m.stake != 0 && m.withdrawable != 0 && current >= m.withdrawable;
        uint256 balance = stakeToken.balanceOf(who);
        vm.prank(who);
        if (!ok) vm.expectRevert();
        staking.withdrawSupplier();
        vm.assertEq(stakeToken.balanceOf(who) - balance, ok ? m.stake : 0);
        if (ok) delete model[who];
    }

    function _checkModel() private view {
        uint256 total;
        for (uint256 i; i < actors.length; ++i) {
            Account storage m = model[actors[i]];
            (uint256 stake, uint64 withdrawable, bytes32[] memory ids) = staking.getSupplier(actors[i]);
            vm.assertEq(stake, m.stake);
            vm.assertEq(uint256(withdrawable), m.withdrawable);
            // While unbonding the list keeps the services that were served; otherwise it is exact.
            if (m.withdrawable == 0) vm.assertEq(ids.length, m.servesA ? 1 : 0);
            total += m.stake;
            vm.assertEq(stakeToken.balanceOf(actors[i]), FUNDS - m.stake);
        }
        vm.assertEq(staking.totalSupplierStake(), total);
        vm.assertEq(stakeToken.balanceOf(address(staking)), total);
    }

    /// @dev How many entries of `serviceId` cover `session`.
    function _servingCount(bytes32 serviceId, uint64 session) private view returns (uint256 n) {
        SupplierEntry[] memory entries = staking.getServiceSupplierEntries(serviceId);
        for (uint256 i; i < entries.length; ++i) {
            if (entries[i].fromSession <= session && session < entries[i].untilSession) ++n;
        }
    }

    /// @dev How many entries of `serviceId` by `supplier` cover `session`.
    function _servingCount(bytes32 serviceId, uint64 session, address supplier) private view returns (uint256 n) {
        SupplierEntry[] memory entries = staking.getServiceSupplierEntries(serviceId);
        for (uint256 i; i < entries.length; ++i) {
            SupplierEntry memory e = entries[i];
            if (e.supplier == supplier && e.fromSession <= session && session < e.untilSession) ++n;
        }
    }
}
