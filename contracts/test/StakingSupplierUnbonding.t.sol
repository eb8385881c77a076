// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {StakingParams} from "../src/StakingParams.sol";
import {SupplierStaking} from "../src/SupplierStaking.sol";
import {SupplierEntry} from "../src/interfaces/IStaking.sol";
import {StakingFixture} from "./StakingFixture.t.sol";

/// @notice Supplier unstaking, unbonding and withdrawal.
contract StakingSupplierUnbondingTest is StakingFixture {
    function test_unstakeSupplier_endsAllEntriesAndEmits() public {
        _stakeSupplier(alice, MIN_SUPPLIER);
        _addService(alice, SVC_A, "https://a");
        _addService(alice, SVC_B, "https://b");
        _toSession(5);
        vm.expectEmit(true, true, false, true, address(staking));
        emit SupplierStaking.SupplierServiceRemoved(alice, SVC_A, 6);
        vm.expectEmit(true, true, false, true, address(staking));
        emit SupplierStaking.SupplierServiceRemoved(alice, SVC_B, 6);
        vm.expectEmit(true, false, false, true, address(staking));
        emit SupplierStaking.SupplierUnstaked(alice, 6 + UNBONDING);
        vm.prank(alice);
        staking.unstakeSupplier();

        vm.assertEq(uint256(staking.getServiceSupplierEntries(SVC_A)[0].untilSession), 6);
        vm.assertEq(uint256(staking.getServiceSupplierEntries(SVC_B)[0].untilSession), 6);
        (uint256 stake, uint64 withdrawable, bytes32[] memory ids) = staking.getSupplier(alice);
        vm.assertEq(stake, MIN_SUPPLIER);
        vm.assertEq(uint256(withdrawable), 6 + UNBONDING);
        vm.assertEq(ids.length, 2);
        // The stake stays counted until it is withdrawn.
        vm.assertEq(staking.totalSupplierStake(), MIN_SUPPLIER);
    }

    function test_unstakeSupplier_rejections() public {
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(StakingParams.NotStaked.selector, alice));
        staking.unstakeSupplier();
        _stakeSupplier(alice, MIN_SUPPLIER);
        vm.prank(alice);
        staking.unstakeSupplier();
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(StakingParams.Unbonding.selector, alice, uint64(1 + UNBONDING)));
        staking.unstakeSupplier();
    }

    function test_unstakeSupplier_usesUnbondingAtUnstakeTime() public {
        _stakeSupplier(alice, MIN_SUPPLIER);
        vm.prank(alice);
        staking.unstakeSupplier();
        vm.prank(gov);
        staking.setUnbondingSessions(100);
        (, uint64 withdrawable,) = staking.getSupplier(alice);
        vm.assertEq(uint256(withdrawable), 1 + UNBONDING);
    }

    function test_withdrawSupplier_onlyAfterUnbonding() public {
        _stakeSupplier(alice, MIN_SUPPLIER + 5);
        _addService(alice, SVC_A, "https://a");
        _toSession(2);
        vm.prank(alice);
        staking.unstakeSupplier();
        uint64 withdrawable = 3 + UNBONDING;

        _toSessionEnd(withdrawable - 1);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(StakingParams.Unbonding.selector, alice, withdrawable));
        staking.withdrawSupplier();

        _toSession(withdrawable);
        vm.expectEmit(true, false, false, true, address(staking));
        emit SupplierStaking.SupplierWithdrawn(alice, MIN_SUPPLIER + 5);
        vm.prank(alice);
        staking.withdrawSupplier();

        vm.assertEq(stakeToken.balanceOf(alice), MIN_SUPPLIER + 5);
        vm.assertEq(stakeToken.balanceOf(address(staking)), 0);
        vm.assertEq(staking.totalSupplierStake(), 0);
        (uint256 stake, uint64 w, bytes32[] memory ids) = staking.getSupplier(alice);
        vm.assertEq(stake, 0);
        vm.assertEq(uint256(w), 0);
        vm.assertEq(ids.length, 0);
        vm.assertEq(staking.supplierEndpoint(alice, SVC_A), "");
        // History survives the withdrawal.
        vm.assertEq(uint256(staking.getServiceSupplierEntries(SVC_A)[0].untilSession), 3);
    }

    function test_withdrawSupplier_rejections() public {
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(StakingParams.NotStaked.selector, alice));
        staking.withdrawSupplier();
        _stakeSupplier(alice, MIN_SUPPLIER);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(StakingParams.NotUnbonding.selector, alice));
        staking.withdrawSupplier();
    }

    function test_restakeAfterWithdraw_startsFresh() public {
        _stakeSupplier(alice, MIN_SUPPLIER);
        _addService(alice, SVC_A, "https://a");
        vm.prank(alice);
        staking.unstakeSupplier();
        _toSession(1 + UNBONDING);
        vm.prank(alice);
        staking.withdrawSupplier();

        _stakeSupplier(alice, MIN_SUPPLIER);
        _addService(alice, SVC_A, "https://again");
        SupplierEntry[] memory entries = staking.getServiceSupplierEntries(SVC_A);
        vm.assertEq(entries.length, 2);
        vm.assertEq(uint256(entries[0].fromSession), 1);
        vm.assertEq(uint256(entries[0].untilSession), 1);
        vm.assertEq(uint256(entries[1].fromSession), 2 + UNBONDING);
        vm.assertEq(uint256(entries[1].untilSession), OPEN);
        (uint256 stake, uint64 w,) = staking.getSupplier(alice);
        vm.assertEq(stake, MIN_SUPPLIER);
        vm.assertEq(uint256(w), 0);
    }

    function test_entries_fromSeveralSuppliersKeepInsertionOrder() public {
        _stakeSupplier(alice, MIN_SUPPLIER);
        _stakeSupplier(bob, MIN_SUPPLIER);
        _stakeSupplier(carol, MIN_SUPPLIER);
        _addService(bob, SVC_A, "https://b");
        _toSession(1);
        _addService(alice, SVC_A, "https://a");
        _addService(carol, SVC_A, "https://c");
        SupplierEntry[] memory entries = staking.getServiceSupplierEntries(SVC_A);
        vm.assertEq(entries.length, 3);
        vm.assertEq(entries[0].supplier, bob);
        vm.assertEq(uint256(entries[0].fromSession), 1);
        vm.assertEq(entries[1].supplier, alice);
        vm.assertEq(uint256(entries[1].fromSession), 2);
        vm.assertEq(entries[2].supplier, carol);
        vm.assertEq(staking.serviceSupplierEntryCount(SVC_B), 0);
        vm.expectRevert();
        staking.serviceSupplierEntryAt(SVC_A, 3);
    }
}
