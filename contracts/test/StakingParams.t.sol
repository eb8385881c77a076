// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Governed} from "../src/Governed.sol";
import {Staking} from "../src/Staking.sol";
import {StakingParams} from "../src/StakingParams.sol";
import {StakingFixture} from "./StakingFixture.t.sol";

contract StakingParamsTest is StakingFixture {
    function test_constructor_setsEverything() public view {
        vm.assertEq(staking.governance(), gov);
        vm.assertEq(address(staking.stakeToken()), address(stakeToken));
        vm.assertEq(address(staking.paymentToken()), address(payToken));
        vm.assertEq(address(staking.registry()), address(registry));
        vm.assertEq(address(staking.clock()), address(clock));
        vm.assertEq(staking.minSupplierStake(), MIN_SUPPLIER);
        vm.assertEq(staking.minGatewayStake(), MIN_GATEWAY);
        vm.assertEq(staking.minApplicationStake(), MIN_APP);
        vm.assertEq(uint256(staking.unbondingSessions()), UNBONDING);
        vm.assertEq(staking.dao(), dao);
        vm.assertEq(uint256(staking.daoShareBps()), DAO_SHARE);
        vm.assertEq(staking.totalSupplierStake(), 0);
        vm.assertEq(staking.totalGatewayStake(), 0);
        vm.assertEq(staking.totalApplicationEscrow(), 0);
    }

    function test_constructor_emitsParameters() public {
        vm.expectEmit(true, false, false, true);
        emit StakingParams.ParameterUpdated("minSupplierStake", 7);
        vm.expectEmit(true, false, false, true);
        emit StakingParams.ParameterUpdated("minGatewayStake", 8);
        vm.expectEmit(true, false, false, true);
        emit StakingParams.ParameterUpdated("minApplicationStake", 9);
        vm.expectEmit(true, false, false, true);
        emit StakingParams.ParameterUpdated("unbondingSessions", 3);
        vm.expectEmit(true, false, false, true);
        emit StakingParams.DaoUpdated(dao);
        vm.expectEmit(true, false, false, true);
        emit StakingParams.ParameterUpdated("daoShareBps", 4);
        _newStaking(address(stakeToken), address(payToken), address(clock), dao, 7, 8, 9, 3, 4);
    }

    function test_constructor_rejectsZeroAddresses() public {
        address s = address(stakeToken);
        address p = address(payToken);
        address c = address(clock);
        vm.expectRevert(Governed.ZeroAddress.selector);
        _newStaking(address(0), p, c, dao, 1, 1, 1, 1, 0);
        vm.expectRevert(Governed.ZeroAddress.selector);
        _newStaking(s, address(0), c, dao, 1, 1, 1, 1, 0);
        vm.expectRevert(Governed.ZeroAddress.selector);
        _newStaking(s, p, address(0), dao, 1, 1, 1, 1, 0);
        vm.expectRevert(Governed.ZeroAddress.selector);
        _newStaking(s, p, c, address(0), 1, 1, 1, 1, 0);
        vm.expectRevert(Governed.ZeroAddress.selector);
        new Staking(gov, s, p, address(0), c, 1, 1, 1, 1, dao, 0);
        vm.expectRevert(abi.encodeWithSelector(Governed.ZeroAddress.selector));
        new Staking(address(0), s, p, address(registry), c, 1, 1, 1, 1, dao, 0);
    }

    function test_constructor_rejectsOutOfBoundsParameters() public {
        address s = address(stakeToken);
        address p = address(payToken);
        address c = address(clock);
        vm.expectRevert(_oob("minSupplierStake", 2 ** 128 + 1, 0, 2 ** 128));
        _newStaking(s, p, c, dao, 2 ** 128 + 1, 1, 1, 1, 0);
        vm.expectRevert(_oob("unbondingSessions", 0, 1, 10_000));
        _newStaking(s, p, c, dao, 1, 1, 1, 0, 0);
        vm.expectRevert(_oob("daoShareBps", 5001, 0, 5000));
        _newStaking(s, p, c, dao, 1, 1, 1, 1, 5001);
    }

    function test_setMinSupplierStake() public {
        vm.expectEmit(true, false, false, true, address(staking));
        emit StakingParams.ParameterUpdated("minSupplierStake", 2 ** 128);
        vm.prank(gov);
        staking.setMinSupplierStake(2 ** 128);
        vm.assertEq(staking.minSupplierStake(), 2 ** 128);
        vm.prank(gov);
        staking.setMinSupplierStake(0);
        vm.assertEq(staking.minSupplierStake(), 0);
    }

    function test_setMinGatewayStake() public {
        vm.expectEmit(true, false, false, true, address(staking));
        emit StakingParams.ParameterUpdated("minGatewayStake", 5);
        vm.prank(gov);
        staking.setMinGatewayStake(5);
        vm.assertEq(staking.minGatewayStake(), 5);
    }

    function test_setMinApplicationStake() public {
        vm.expectEmit(true, false, false, true, address(staking));
        emit StakingParams.ParameterUpdated("minApplicationStake", 6);
        vm.prank(gov);
        staking.setMinApplicationStake(6);
        vm.assertEq(staking.minApplicationStake(), 6);
    }

    function test_setUnbondingSessions() public {
        vm.expectEmit(true, false, false, true, address(staking));
        emit StakingParams.ParameterUpdated("unbondingSessions", 10_000);
        vm.prank(gov);
        staking.setUnbondingSessions(10_000);
        vm.assertEq(uint256(staking.unbondingSessions()), 10_000);
        vm.prank(gov);
        staking.setUnbondingSessions(1);
        vm.assertEq(uint256(staking.unbondingSessions()), 1);
    }

    function test_setDao() public {
        vm.expectEmit(true, false, false, true, address(staking));
        emit StakingParams.DaoUpdated(alice);
        vm.prank(gov);
        staking.setDao(alice);
        vm.assertEq(staking.dao(), alice);
    }

    function test_setDaoShareBps() public {
        vm.expectEmit(true, false, false, true, address(staking));
        emit StakingParams.ParameterUpdated("daoShareBps", 5000);
        vm.prank(gov);
        staking.setDaoShareBps(5000);
        vm.assertEq(uint256(staking.daoShareBps()), 5000);
    }

    function test_setters_rejectNonGovernance() public {
        bytes memory err = abi.encodeWithSelector(Governed.NotGovernance.selector, alice);
        vm.startPrank(alice);
        vm.expectRevert(err);
        staking.setMinSupplierStake(1);
        vm.expectRevert(err);
        staking.setMinGatewayStake(1);
        vm.expectRevert(err);
        staking.setMinApplicationStake(1);
        vm.expectRevert(err);
        staking.setUnbondingSessions(1);
        vm.expectRevert(err);
        staking.setDao(alice);
        vm.expectRevert(err);
        staking.setDaoShareBps(1);
        vm.stopPrank();
        vm.assertEq(staking.minSupplierStake(), MIN_SUPPLIER);
    }

    function test_setters_rejectOutOfBounds() public {
        vm.startPrank(gov);
        vm.expectRevert(_oob("minSupplierStake", 2 ** 128 + 1, 0, 2 ** 128));
        staking.setMinSupplierStake(2 ** 128 + 1);
        vm.expectRevert(_oob("minGatewayStake", type(uint256).max, 0, 2 ** 128));
        staking.setMinGatewayStake(type(uint256).max);
        vm.expectRevert(_oob("minApplicationStake", 2 ** 129, 0, 2 ** 128));
        staking.setMinApplicationStake(2 ** 129);
        vm.expectRevert(_oob("unbondingSessions", 0, 1, 10_000));
        staking.setUnbondingSessions(0);
        vm.expectRevert(_oob("unbondingSessions", 10_001, 1, 10_000));
        staking.setUnbondingSessions(10_001);
        vm.expectRevert(_oob("daoShareBps", 5001, 0, 5000));
        staking.setDaoShareBps(5001);
        vm.expectRevert(Governed.ZeroAddress.selector);
        staking.setDao(address(0));
        vm.stopPrank();
    }

    function test_governanceHandOver_movesSetterRights() public {
        vm.prank(gov);
        staking.proposeGovernance(alice);
        vm.prank(alice);
        staking.acceptGovernance();
        vm.prank(alice);
        staking.setDaoShareBps(1);
        vm.assertEq(uint256(staking.daoShareBps()), 1);
        vm.prank(gov);
        vm.expectRevert(abi.encodeWithSelector(Governed.NotGovernance.selector, gov));
        staking.setDaoShareBps(2);
    }

    function _oob(bytes32 name, uint256 value, uint256 min, uint256 max) private pure returns (bytes memory) {
        return abi.encodeWithSelector(StakingParams.ParameterOutOfBounds.selector, name, value, min, max);
    }

    function _newStaking(
        address s,
        address p,
        address c,
        address d,
        uint256 minSupplier,
        uint256 minGateway,
        uint256 minApp,
        uint32 unbonding,
        uint16 daoShare
    ) private returns (Staking) {
        return new Staking(gov, s, p, address(registry), c, minSupplier, minGateway, minApp, unbonding, d, daoShare);
    }
}
