// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ApplicationStaking, Delegation} from "../src/ApplicationStaking.sol";
import {StakingParams} from "../src/StakingParams.sol";
import {StakingFixture} from "./StakingFixture.t.sol";

contract StakingApplicationTest is StakingFixture {
    // ------------------------------------------------------------------ stakeApplication

    function test_stakeApplication_escrowsPaymentTokenAndAddsServices() public {
        _fund(payToken, app, MIN_APP);
        vm.expectEmit(true, false, false, true, address(staking));
        emit ApplicationStaking.ApplicationStaked(app, MIN_APP, MIN_APP);
        vm.expectEmit(true, true, false, true, address(staking));
        emit ApplicationStaking.ApplicationServiceAdded(app, SVC_A);
        vm.expectEmit(true, true, false, true, address(staking));
        emit ApplicationStaking.ApplicationServiceAdded(app, SVC_B);
        vm.prank(app);
        staking.stakeApplication(MIN_APP, _ids(SVC_A, SVC_B));

        (uint256 escrow, uint64 withdrawable, bytes32[] memory ids, address[] memory gateways) =
            staking.getApplication(app);
        vm.assertEq(escrow, MIN_APP);
        vm.assertEq(uint256(withdrawable), 0);
        vm.assertEq(ids.length, 2);
        vm.assertEq(ids[0], SVC_A);
        vm.assertEq(ids[1], SVC_B);
        vm.assertEq(gateways.length, 0);
        vm.assertTrue(staking.usesService(app, SVC_A));
        vm.assertFalse(staking.usesService(app, _svc(0)));
        vm.assertEq(staking.totalApplicationEscrow(), MIN_APP);
        vm.assertEq(payToken.balanceOf(address(staking)), MIN_APP);
        // The payment token is not the stake token.
        vm.assertEq(stakeToken.balanceOf(address(staking)), 0);
    }

    function test_stakeApplication_topUpWithZeroOnlyAddsServices() public {
        _stakeApp(app, MIN_APP, SVC_A);
        vm.recordLogs();
        vm.prank(app);
        staking.stakeApplication(0, _ids(SVC_A, SVC_B));
        // ApplicationStaked + one ApplicationServiceAdded: SVC_A is skipped.
        vm.assertEq(vm.getRecordedLogs().length, 2);
        (uint256 escrow,, bytes32[] memory ids,) = staking.getApplication(app);
        vm.assertEq(escrow, MIN_APP);
        vm.assertEq(ids.length, 2);
        vm.assertEq(ids[1], SVC_B);
    }

    function test_stakeApplication_topUpAddsEscrow() public {
        _stakeApp(app, MIN_APP, SVC_A);
        _fund(payToken, app, 7);
        vm.expectEmit(true, false, false, true, address(staking));
        emit ApplicationStaking.ApplicationStaked(app, 7, MIN_APP + 7);
        vm.prank(app);
        staking.stakeApplication(7, new bytes32[](0));
        (uint256 escrow,,,) = staking.getApplication(app);
        vm.assertEq(escrow, MIN_APP + 7);
        vm.assertEq(staking.totalApplicationEscrow(), MIN_APP + 7);
    }

    function test_stakeApplication_rejections() public {
        vm.startPrank(app);
        vm.expectRevert(StakingParams.ZeroAmount.selector);
        staking.stakeApplication(0, _ids(SVC_A));
        vm.expectRevert(abi.encodeWithSelector(StakingParams.InsufficientStake.selector, MIN_APP - 1, MIN_APP));
        staking.stakeApplication(MIN_APP - 1, _ids(SVC_A));
        vm.stopPrank();

        _fund(payToken, app, MIN_APP);
        vm.prank(app);
        vm.expectRevert(abi.encodeWithSelector(StakingParams.UnknownService.selector, UNKNOWN_SVC));
        staking.stakeApplication(MIN_APP, _ids(SVC_A, UNKNOWN_SVC));

        vm.prank(app);
        staking.stakeApplication(MIN_APP, _ids(SVC_A));
        vm.prank(app);
        vm.expectRevert(StakingParams.ZeroAmount.selector);
        staking.stakeApplication(0, new bytes32[](0));

        vm.prank(app);
        staking.unstakeApplication();
        vm.prank(app);
        vm.expectRevert(abi.encodeWithSelector(StakingParams.Unbonding.selector, app, uint64(1 + UNBONDING)));
        staking.stakeApplication(0, _ids(SVC_B));
    }

    function test_stakeApplication_rejectsSeventeenthService() public {
        bytes32[] memory ids = new bytes32[](16);
        for (uint256 i; i < 16; ++i) {
            ids[i] = _svc(i);
        }
        _fund(payToken, app, MIN_APP);
        vm.prank(app);
        staking.stakeApplication(MIN_APP, ids);
        vm.prank(app);
        vm.expectRevert(abi.encodeWithSelector(StakingParams.TooManyServices.selector, 16));
        staking.stakeApplication(0, _ids(SVC_A));
        // Services already used do not count again.
        vm.prank(app);
        staking.stakeApplication(0, _ids(_svc(0)));
    }

    function test_stakeApplication_duplicateIdsInOneCallAddedOnce() public {
        _fund(payToken, app, MIN_APP);
        vm.prank(app);
        staking.stakeApplication(MIN_APP, _ids(SVC_A, SVC_A));
        (,, bytes32[] memory ids,) = staking.getApplication(app);
        vm.assertEq(ids.length, 1);
    }

    // ------------------------------------------------------------------ unstake / withdraw

    function test_unstakeApplication_closesDelegations() public {
        _stakeGateway(gw, MIN_GATEWAY);
        _stakeGateway(bob, MIN_GATEWAY);
        _stakeApp(app, MIN_APP, SVC_A);
        _delegate(app, gw);
        _delegate(app, bob);
        _toSession(4);
        vm.expectEmit(true, true, false, true, address(staking));
        emit ApplicationStaking.GatewayUndelegated(app, gw, 5);
        vm.expectEmit(true, true, false, true, address(staking));
        emit ApplicationStaking.GatewayUndelegated(app, bob, 5);
        vm.expectEmit(true, false, false, true, address(staking));
        emit ApplicationStaking.ApplicationUnstaked(app, 5 + UNBONDING);
        vm.prank(app);
        staking.unstakeApplication();

        (uint256 escrow, uint64 withdrawable,, address[] memory gateways) = staking.getApplication(app);
        vm.assertEq(escrow, MIN_APP);
        vm.assertEq(uint256(withdrawable), 5 + UNBONDING);
        vm.assertEq(gateways.length, 0);
        vm.assertTrue(staking.isDelegated(app, gw, 4));
        vm.assertFalse(staking.isDelegated(app, gw, 5));
        vm.assertFalse(staking.isDelegated(app, bob, 5));
    }

    function test_unstakeApplication_rejections() public {
        vm.prank(app);
        vm.expectRevert(abi.encodeWithSelector(StakingParams.NotStaked.selector, app));
        staking.unstakeApplication();
        _stakeApp(app, MIN_APP, SVC_A);
        vm.prank(app);
        staking.unstakeApplication();
        vm.prank(app);
        vm.expectRevert(abi.encodeWithSelector(StakingParams.Unbonding.selector, app, uint64(1 + UNBONDING)));
        staking.unstakeApplication();
    }

    function test_withdrawApplication_onlyAfterUnbonding() public {
        _stakeApp(app, MIN_APP, SVC_A);
        vm.prank(app);
        vm.expectRevert(abi.encodeWithSelector(StakingParams.NotUnbonding.selector, app));
        staking.withdrawApplication();
        vm.prank(app);
        staking.unstakeApplication();

        _toSessionEnd(UNBONDING);
        vm.prank(app);
        vm.expectRevert(abi.encodeWithSelector(StakingParams.Unbonding.selector, app, uint64(1 + UNBONDING)));
        staking.withdrawApplication();

        _toSession(1 + UNBONDING);
        vm.expectEmit(true, false, false, true, address(staking));
        emit ApplicationStaking.ApplicationWithdrawn(app, MIN_APP);
        vm.prank(app);
        staking.withdrawApplication();
        vm.assertEq(payToken.balanceOf(app), MIN_APP);
        vm.assertEq(staking.totalApplicationEscrow(), 0);
        vm.assertFalse(staking.usesService(app, SVC_A));
        (uint256 escrow,, bytes32[] memory ids,) = staking.getApplication(app);
        vm.assertEq(escrow, 0);
        vm.assertEq(ids.length, 0);

        vm.prank(app);
        vm.expectRevert(abi.encodeWithSelector(StakingParams.NotStaked.selector, app));
        staking.withdrawApplication();
    }

    // ------------------------------------------------------------------ delegation

    function test_delegateToGateway_effectiveNextSession() public {
        _stakeGateway(gw, MIN_GATEWAY);
        _stakeApp(app, MIN_APP, SVC_A);
        _toSession(3);
        vm.expectEmit(true, true, false, true, address(staking));
        emit ApplicationStaking.GatewayDelegated(app, gw, 4);
        _delegate(app, gw);

        vm.assertFalse(staking.isDelegated(app, gw, 3));
        vm.assertTrue(staking.isDelegated(app, gw, 4));
        vm.assertTrue(staking.isDelegated(app, gw, 1_000_000));
        vm.assertFalse(staking.isDelegated(app, bob, 4));
        vm.assertFalse(staking.isDelegated(bob, gw, 4));
        (,,, address[] memory gateways) = staking.getApplication(app);
        vm.assertEq(gateways.length, 1);
        vm.assertEq(gateways[0], gw);
    }

    function test_delegation_historyPreservedAcrossRedelegation() public {
        _stakeGateway(gw, MIN_GATEWAY);
        _stakeApp(app, MIN_APP, SVC_A);
        _toSession(2);
        _delegate(app, gw); // [3, ..)
        _toSession(5);
        vm.expectEmit(true, true, false, true, address(staking));
        emit ApplicationStaking.GatewayUndelegated(app, gw, 6);
        _undelegate(app, gw); // [3, 6)
        _toSession(9);
        _delegate(app, gw); // [10, ..)

        Delegation[] memory history = staking.getDelegations(app, gw);
        vm.assertEq(history.length, 2);
        vm.assertEq(uint256(history[0].fromSession), 3);
        vm.assertEq(uint256(history[0].untilSession), 6);
        vm.assertEq(uint256(history[1].fromSession), 10);
        vm.assertEq(uint256(history[1].untilSession), OPEN);

        bool[12] memory expected = [false, false, false, true, true, true, false, false, false, false, true, true];
        for (uint64 s; s < 12; ++s) {
            vm.assertEq(staking.isDelegated(app, gw, s), expected[s]);
        }
    }

    function test_delegation_undelegateThenDelegateInSameSessionReopens() public {
        _stakeGateway(gw, MIN_GATEWAY);
        _stakeApp(app, MIN_APP, SVC_A);
        _delegate(app, gw); // [1, ..)
        _toSession(4);
        for (uint256 i; i < 3; ++i) {
            _undelegate(app, gw);
            _delegate(app, gw);
        }
        Delegation[] memory history = staking.getDelegations(app, gw);
        vm.assertEq(history.length, 1);
        vm.assertEq(uint256(history[0].fromSession), 1);
        vm.assertEq(uint256(history[0].untilSession), OPEN);
        vm.assertTrue(staking.isDelegated(app, gw, 5));
    }

    function test_delegation_delegateThenUndelegateInSameSessionIsEmpty() public {
        _stakeGateway(gw, MIN_GATEWAY);
        _stakeApp(app, MIN_APP, SVC_A);
        _toSession(2);
        _delegate(app, gw);
        _undelegate(app, gw);
        for (uint64 s; s < 6; ++s) {
            vm.assertFalse(staking.isDelegated(app, gw, s));
        }
        (,,, address[] memory gateways) = staking.getApplication(app);
        vm.assertEq(gateways.length, 0);
    }

    function test_delegateToGateway_rejections() public {
        vm.prank(app);
        vm.expectRevert(abi.encodeWithSelector(StakingParams.NotStaked.selector, app));
        staking.delegateToGateway(gw);

        _stakeApp(app, MIN_APP, SVC_A);
        vm.prank(app);
        vm.expectRevert(abi.encodeWithSelector(ApplicationStaking.UnknownGateway.selector, gw));
        staking.delegateToGateway(gw);

        _stakeGateway(gw, MIN_GATEWAY);
        _delegate(app, gw);
        vm.prank(app);
        vm.expectRevert(abi.encodeWithSelector(ApplicationStaking.AlreadyDelegated.selector, app, gw));
        staking.delegateToGateway(gw);

        _stakeGateway(bob, MIN_GATEWAY);
        vm.prank(bob);
        staking.unstakeGateway();
        vm.prank(app);
        vm.expectRevert(abi.encodeWithSelector(ApplicationStaking.UnknownGateway.selector, bob));
        staking.delegateToGateway(bob);

        vm.prank(app);
        staking.unstakeApplication();
        vm.prank(app);
        vm.expectRevert(abi.encodeWithSelector(StakingParams.Unbonding.selector, app, uint64(1 + UNBONDING)));
        staking.delegateToGateway(gw);
    }

    function test_delegateToGateway_rejectsNinthGateway() public {
        _stakeApp(app, MIN_APP, SVC_A);
        for (uint160 i = 1; i <= 9; ++i) {
            _stakeGateway(address(0x1000 + i), MIN_GATEWAY);
        }
        for (uint160 i = 1; i <= 8; ++i) {
            _delegate(app, address(0x1000 + i));
        }
        vm.prank(app);
        vm.expectRevert(abi.encodeWithSelector(ApplicationStaking.TooManyDelegations.selector, 8));
        staking.delegateToGateway(address(0x1009));

        _undelegate(app, address(0x1004));
        _delegate(app, address(0x1009));
        (,,, address[] memory gateways) = staking.getApplication(app);
        vm.assertEq(gateways.length, 8);
        for (uint256 i; i < gateways.length; ++i) {
            vm.assertNotEq(uint256(uint160(gateways[i])), 0x1004);
        }
    }

    function test_undelegateFromGateway_rejectsNotDelegated() public {
        _stakeGateway(gw, MIN_GATEWAY);
        _stakeApp(app, MIN_APP, SVC_A);
        vm.prank(app);
        vm.expectRevert(abi.encodeWithSelector(ApplicationStaking.NotDelegated.selector, app, gw));
        staking.undelegateFromGateway(gw);
        _delegate(app, gw);
        _undelegate(app, gw);
        vm.prank(app);
        vm.expectRevert(abi.encodeWithSelector(ApplicationStaking.NotDelegated.selector, app, gw));
        staking.undelegateFromGateway(gw);
    }

    function test_undelegate_worksAfterGatewayUnstaked() public {
        _stakeGateway(gw, MIN_GATEWAY);
        _stakeApp(app, MIN_APP, SVC_A);
        _delegate(app, gw);
        vm.prank(gw);
        staking.unstakeGateway();
        _toSession(2);
        _undelegate(app, gw);
        vm.assertTrue(staking.isDelegated(app, gw, 2));
        vm.assertFalse(staking.isDelegated(app, gw, 3));
    }
}
