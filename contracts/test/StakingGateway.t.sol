// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {GatewayStaking} from "../src/GatewayStaking.sol";
import {StakingParams} from "../src/StakingParams.sol";
import {StakingFixture} from "./StakingFixture.t.sol";

contract StakingGatewayTest is StakingFixture {
    function test_stakeGateway_newStakeCountsFromNextSession() public {
        _toSession(3);
        _fund(stakeToken, gw, MIN_GATEWAY);
        vm.expectEmit(true, false, false, true, address(staking));
        emit GatewayStaking.GatewayStaked(gw, MIN_GATEWAY, MIN_GATEWAY);
        vm.prank(gw);
        staking.stakeGateway(MIN_GATEWAY);

        (uint256 stake, uint64 fromSession, uint64 withdrawable) = staking.getGateway(gw);
        vm.assertEq(stake, MIN_GATEWAY);
        vm.assertEq(uint256(fromSession), 4);
        vm.assertEq(uint256(withdrawable), 0);
        vm.assertEq(staking.totalGatewayStake(), MIN_GATEWAY);
        vm.assertEq(stakeToken.balanceOf(address(staking)), MIN_GATEWAY);
    }

    function test_stakeGateway_topUpKeepsFromSession() public {
        _stakeGateway(gw, MIN_GATEWAY);
        _toSession(5);
        _fund(stakeToken, gw, 3);
        vm.expectEmit(true, false, false, true, address(staking));
        emit GatewayStaking.GatewayStaked(gw, 3, MIN_GATEWAY + 3);
        vm.prank(gw);
        staking.stakeGateway(3);
        (uint256 stake, uint64 fromSession,) = staking.getGateway(gw);
        vm.assertEq(stake, MIN_GATEWAY + 3);
        vm.assertEq(uint256(fromSession), 1);
        vm.assertEq(staking.totalGatewayStake(), MIN_GATEWAY + 3);
    }

    function test_stakeGateway_rejections() public {
        vm.prank(gw);
        vm.expectRevert(StakingParams.ZeroAmount.selector);
        staking.stakeGateway(0);

        _fund(stakeToken, gw, MIN_GATEWAY);
        vm.prank(gw);
        vm.expectRevert(abi.encodeWithSelector(StakingParams.InsufficientStake.selector, MIN_GATEWAY - 1, MIN_GATEWAY));
        staking.stakeGateway(MIN_GATEWAY - 1);

        vm.prank(gw);
        staking.stakeGateway(MIN_GATEWAY);
        vm.prank(gw);
        staking.unstakeGateway();
        vm.prank(gw);
        vm.expectRevert(abi.encodeWithSelector(StakingParams.Unbonding.selector, gw, uint64(1 + UNBONDING)));
        staking.stakeGateway(1);
    }

    function test_unstakeGateway() public {
        _stakeGateway(gw, MIN_GATEWAY);
        _toSession(7);
        vm.expectEmit(true, false, false, true, address(staking));
        emit GatewayStaking.GatewayUnstaked(gw, 8 + UNBONDING);
        vm.prank(gw);
        staking.unstakeGateway();
        (uint256 stake,, uint64 withdrawable) = staking.getGateway(gw);
        vm.assertEq(stake, MIN_GATEWAY);
        vm.assertEq(uint256(withdrawable), 8 + UNBONDING);
    }

    function test_unstakeGateway_rejections() public {
        vm.prank(gw);
        vm.expectRevert(abi.encodeWithSelector(StakingParams.NotStaked.selector, gw));
        staking.unstakeGateway();
        _stakeGateway(gw, MIN_GATEWAY);
        vm.prank(gw);
        staking.unstakeGateway();
        vm.prank(gw);
        vm.expectRevert(abi.encodeWithSelector(StakingParams.Unbonding.selector, gw, uint64(1 + UNBONDING)));
        staking.unstakeGateway();
    }

    function test_withdrawGateway_onlyAfterUnbonding() public {
        _stakeGateway(gw, MIN_GATEWAY);
        vm.prank(gw);
        staking.unstakeGateway();
        uint64 withdrawable = 1 + UNBONDING;

        _toSessionEnd(withdrawable - 1);
        vm.prank(gw);
        vm.expectRevert(abi.encodeWithSelector(StakingParams.Unbonding.selector, gw, withdrawable));
        staking.withdrawGateway();

        _toSession(withdrawable);
        vm.expectEmit(true, false, false, true, address(staking));
        emit GatewayStaking.GatewayWithdrawn(gw, MIN_GATEWAY);
        vm.prank(gw);
        staking.withdrawGateway();
        vm.assertEq(stakeToken.balanceOf(gw), MIN_GATEWAY);
        vm.assertEq(staking.totalGatewayStake(), 0);
        (uint256 stake, uint64 fromSession, uint64 w) = staking.getGateway(gw);
        vm.assertEq(stake + fromSession + w, 0);
    }

    function test_withdrawGateway_rejections() public {
        vm.prank(gw);
        vm.expectRevert(abi.encodeWithSelector(StakingParams.NotStaked.selector, gw));
        staking.withdrawGateway();
        _stakeGateway(gw, MIN_GATEWAY);
        vm.prank(gw);
        vm.expectRevert(abi.encodeWithSelector(StakingParams.NotUnbonding.selector, gw));
        staking.withdrawGateway();
    }

    function test_gatewayAndSupplierStakesAreSeparate() public {
        _stakeGateway(alice, MIN_GATEWAY);
        _stakeSupplier(alice, MIN_SUPPLIER);
        vm.prank(alice);
        staking.unstakeGateway();
        // Unbonding as a gateway does not touch the supplier stake.
        _addService(alice, SVC_A, "https://a");
        vm.assertEq(staking.totalGatewayStake(), MIN_GATEWAY);
        vm.assertEq(staking.totalSupplierStake(), MIN_SUPPLIER);
        _toSession(1 + UNBONDING);
        vm.prank(alice);
        staking.withdrawGateway();
        vm.assertEq(stakeToken.balanceOf(alice), MIN_GATEWAY);
        vm.assertEq(stakeToken.balanceOf(address(staking)), MIN_SUPPLIER);
    }
}
