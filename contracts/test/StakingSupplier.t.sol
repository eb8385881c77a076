// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {StakingParams} from "../src/StakingParams.sol";
import {SupplierStaking} from "../src/SupplierStaking.sol";
import {SupplierEntry} from "../src/interfaces/IStaking.sol";
import {StakingFixture} from "./StakingFixture.t.sol";

contract StakingSupplierTest is StakingFixture {
    // ------------------------------------------------------------------ stakeSupplier

    function test_stakeSupplier_newStakeMovesTokensAndEmits() public {
        _fund(stakeToken, alice, MIN_SUPPLIER);
        vm.expectEmit(true, false, false, true, address(staking));
        emit SupplierStaking.SupplierStaked(alice, MIN_SUPPLIER, MIN_SUPPLIER);
        vm.prank(alice);
        staking.stakeSupplier(MIN_SUPPLIER);

        (uint256 stake, uint64 withdrawable, bytes32[] memory ids) = staking.getSupplier(alice);
        vm.assertEq(stake, MIN_SUPPLIER);
        vm.assertEq(uint256(withdrawable), 0);
        vm.assertEq(ids.length, 0);
        vm.assertEq(staking.totalSupplierStake(), MIN_SUPPLIER);
        vm.assertEq(stakeToken.balanceOf(address(staking)), MIN_SUPPLIER);
        vm.assertEq(stakeToken.balanceOf(alice), 0);
    }

    function test_stakeSupplier_topUpAddsToStake() public {
        _stakeSupplier(alice, MIN_SUPPLIER);
        _fund(stakeToken, alice, 1);
        vm.expectEmit(true, false, false, true, address(staking));
        emit SupplierStaking.SupplierStaked(alice, 1, MIN_SUPPLIER + 1);
        vm.prank(alice);
        staking.stakeSupplier(1);
        (uint256 stake,,) = staking.getSupplier(alice);
        vm.assertEq(stake, MIN_SUPPLIER + 1);
        vm.assertEq(staking.totalSupplierStake(), MIN_SUPPLIER + 1);
    }

    function test_stakeSupplier_rejectsTooLittle() public {
        _fund(stakeToken, alice, MIN_SUPPLIER);
        vm.prank(alice);
        vm.expectRevert(
            abi.encodeWithSelector(StakingParams.InsufficientStake.selector, MIN_SUPPLIER - 1, MIN_SUPPLIER)
        );
        staking.stakeSupplier(MIN_SUPPLIER - 1);
    }

    function test_stakeSupplier_topUpMustReachRaisedMinimum() public {
        _stakeSupplier(alice, MIN_SUPPLIER);
        vm.prank(gov);
        staking.setMinSupplierStake(MIN_SUPPLIER * 2);
        _fund(stakeToken, alice, MIN_SUPPLIER);
        vm.prank(alice);
        vm.expectRevert(
            abi.encodeWithSelector(StakingParams.InsufficientStake.selector, MIN_SUPPLIER + 1, MIN_SUPPLIER * 2)
        );
        staking.stakeSupplier(1);
        vm.prank(alice);
        staking.stakeSupplier(MIN_SUPPLIER);
        (uint256 stake,,) = staking.getSupplier(alice);
        vm.assertEq(stake, MIN_SUPPLIER * 2);
    }

    function test_stakeSupplier_rejectsZero() public {
        vm.prank(alice);
        vm.expectRevert(StakingParams.ZeroAmount.selector);
        staking.stakeSupplier(0);
    }

    function test_stakeSupplier_rejectsWithoutAllowance() public {
        stakeToken.mint(alice, MIN_SUPPLIER);
        vm.prank(alice);
        vm.expectRevert();
        staking.stakeSupplier(MIN_SUPPLIER);
        vm.assertEq(staking.totalSupplierStake(), 0);
    }

    function test_stakeSupplier_rejectsWhileUnbonding() public {
        _stakeSupplier(alice, MIN_SUPPLIER);
        vm.prank(alice);
        staking.unstakeSupplier();
        _fund(stakeToken, alice, 1);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(StakingParams.Unbonding.selector, alice, uint64(1 + UNBONDING)));
        staking.stakeSupplier(1);
    }

    // ------------------------------------------------------------------ addSupplierService

    function test_addSupplierService_startsNextSession() public {
        _toSession(4);
        _stakeSupplier(alice, MIN_SUPPLIER);
        vm.expectEmit(true, true, false, true, address(staking));
        emit SupplierStaking.SupplierServiceAdded(alice, SVC_A, "https://a.example", 5);
        _addService(alice, SVC_A, "https://a.example");

        SupplierEntry[] memory entries = staking.getServiceSupplierEntries(SVC_A);
        vm.assertEq(entries.length, 1);
        vm.assertEq(entries[0].supplier, alice);
        vm.assertEq(uint256(entries[0].fromSession), 5);
        vm.assertEq(uint256(entries[0].untilSession), OPEN);
        vm.assertEq(staking.serviceSupplierEntryCount(SVC_A), 1);
        vm.assertEq(staking.serviceSupplierEntryAt(SVC_A, 0).supplier, alice);
        vm.assertEq(staking.supplierEndpoint(alice, SVC_A), "https://a.example");
        (,, bytes32[] memory ids) = staking.getSupplier(alice);
        vm.assertEq(ids.length, 1);
        vm.assertEq(ids[0], SVC_A);
    }

    function test_addSupplierService_rejectsNotStaked() public {
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(StakingParams.NotStaked.selector, alice));
        staking.addSupplierService(SVC_A, "https://a");
    }

    function test_addSupplierService_rejectsUnknownService() public {
        _stakeSupplier(alice, MIN_SUPPLIER);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(StakingParams.UnknownService.selector, UNKNOWN_SVC));
        staking.addSupplierService(UNKNOWN_SVC, "https://a");
    }

    function test_addSupplierService_rejectsEmptyEndpoint() public {
        _stakeSupplier(alice, MIN_SUPPLIER);
        vm.prank(alice);
        vm.expectRevert(SupplierStaking.EmptyEndpoint.selector);
        staking.addSupplierService(SVC_A, "");
    }

    function test_addSupplierService_rejectsDuplicate() public {
        _stakeSupplier(alice, MIN_SUPPLIER);
        _addService(alice, SVC_A, "https://a");
        _toSession(3);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(SupplierStaking.ServiceAlreadyStaked.selector, alice, SVC_A));
        staking.addSupplierService(SVC_A, "https://b");
    }

    function test_addSupplierService_rejectsSeventeenthService() public {
        _stakeSupplier(alice, MIN_SUPPLIER);
        for (uint256 i; i < 16; ++i) {
            _addService(alice, _svc(i), "https://a");
        }
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(StakingParams.TooManyServices.selector, 16));
        staking.addSupplierService(SVC_A, "https://a");
        // Removing one frees a slot.
        vm.prank(alice);
        staking.removeSupplierService(_svc(3));
        _addService(alice, SVC_A, "https://a");
        (,, bytes32[] memory ids) = staking.getSupplier(alice);
        vm.assertEq(ids.length, 16);
    }

    function test_addSupplierService_rejectsWhileUnbonding() public {
        _stakeSupplier(alice, MIN_SUPPLIER);
        vm.prank(alice);
        staking.unstakeSupplier();
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(StakingParams.Unbonding.selector, alice, uint64(1 + UNBONDING)));
        staking.addSupplierService(SVC_A, "https://a");
    }

    // ------------------------------------------------------------------ updateSupplierEndpoint

    function test_updateSupplierEndpoint() public {
        _stakeSupplier(alice, MIN_SUPPLIER);
        _addService(alice, SVC_A, "https://old");
        vm.expectEmit(true, true, false, true, address(staking));
        emit SupplierStaking.SupplierEndpointUpdated(alice, SVC_A, "https://new");
        vm.prank(alice);
        staking.updateSupplierEndpoint(SVC_A, "https://new");
        vm.assertEq(staking.supplierEndpoint(alice, SVC_A), "https://new");
        vm.assertEq(staking.serviceSupplierEntryCount(SVC_A), 1);
    }

    function test_updateSupplierEndpoint_rejections() public {
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(StakingParams.NotStaked.selector, alice));
        staking.updateSupplierEndpoint(SVC_A, "https://x");

        _stakeSupplier(alice, MIN_SUPPLIER);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(SupplierStaking.ServiceNotStaked.selector, alice, SVC_A));
        staking.updateSupplierEndpoint(SVC_A, "https://x");

        _addService(alice, SVC_A, "https://a");
        vm.prank(alice);
        vm.expectRevert(SupplierStaking.EmptyEndpoint.selector);
        staking.updateSupplierEndpoint(SVC_A, "");

        vm.prank(alice);
        staking.removeSupplierService(SVC_A);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(SupplierStaking.ServiceNotStaked.selector, alice, SVC_A));
        staking.updateSupplierEndpoint(SVC_A, "https://x");
    }

    // ------------------------------------------------------------------ removeSupplierService

    function test_removeSupplierService_endsAfterCurrentSession() public {
        _stakeSupplier(alice, MIN_SUPPLIER);
        _addService(alice, SVC_A, "https://a");
        _addService(alice, SVC_B, "https://b");
        _toSession(6);
        vm.expectEmit(true, true, false, true, address(staking));
        emit SupplierStaking.SupplierServiceRemoved(alice, SVC_A, 7);
        vm.prank(alice);
        staking.removeSupplierService(SVC_A);

        SupplierEntry memory e = staking.getServiceSupplierEntries(SVC_A)[0];
        vm.assertEq(uint256(e.fromSession), 1);
        vm.assertEq(uint256(e.untilSession), 7);
        (,, bytes32[] memory ids) = staking.getSupplier(alice);
        vm.assertEq(ids.length, 1);
        vm.assertEq(ids[0], SVC_B);
        // Still reachable for the session it keeps serving.
        vm.assertEq(staking.supplierEndpoint(alice, SVC_A), "https://a");
    }

    function test_removeSupplierService_beforeStartLeavesEmptyEntry() public {
        _toSession(2);
        _stakeSupplier(alice, MIN_SUPPLIER);
        _addService(alice, SVC_A, "https://a");
        vm.prank(alice);
        staking.removeSupplierService(SVC_A);
        SupplierEntry memory e = staking.getServiceSupplierEntries(SVC_A)[0];
        vm.assertEq(uint256(e.fromSession), 3);
        vm.assertEq(uint256(e.untilSession), 3);
    }

    function test_removeSupplierService_rejections() public {
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(StakingParams.NotStaked.selector, alice));
        staking.removeSupplierService(SVC_A);

        _stakeSupplier(alice, MIN_SUPPLIER);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(SupplierStaking.ServiceNotStaked.selector, alice, SVC_A));
        staking.removeSupplierService(SVC_A);

        _addService(alice, SVC_A, "https://a");
        vm.prank(alice);
        staking.removeSupplierService(SVC_A);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(SupplierStaking.ServiceNotStaked.selector, alice, SVC_A));
        staking.removeSupplierService(SVC_A);

        _addService(alice, SVC_B, "https://b");
        vm.prank(alice);
        staking.unstakeSupplier();
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(StakingParams.Unbonding.selector, alice, uint64(1 + UNBONDING)));
        staking.removeSupplierService(SVC_B);
    }

    function test_reAddInSameSession_reopensEntryInsteadOfAppending() public {
        _stakeSupplier(alice, MIN_SUPPLIER);
        _addService(alice, SVC_A, "https://a");
        _toSession(4);
        for (uint256 i; i < 5; ++i) {
            vm.prank(alice);
            staking.removeSupplierService(SVC_A);
            _addService(alice, SVC_A, "https://a2");
        }
        SupplierEntry[] memory entries = staking.getServiceSupplierEntries(SVC_A);
        vm.assertEq(entries.length, 1);
        vm.assertEq(uint256(entries[0].fromSession), 1);
        vm.assertEq(uint256(entries[0].untilSession), OPEN);
        vm.assertEq(staking.supplierEndpoint(alice, SVC_A), "https://a2");
    }

    function test_reAddInLaterSession_appendsAndKeepsHistory() public {
        _stakeSupplier(alice, MIN_SUPPLIER);
        _addService(alice, SVC_A, "https://a");
        _toSession(3);
        vm.prank(alice);
        staking.removeSupplierService(SVC_A);
        _toSession(6);
        _addService(alice, SVC_A, "https://a");
        SupplierEntry[] memory entries = staking.getServiceSupplierEntries(SVC_A);
        vm.assertEq(entries.length, 2);
        vm.assertEq(uint256(entries[0].fromSession), 1);
        vm.assertEq(uint256(entries[0].untilSession), 4);
        vm.assertEq(uint256(entries[1].fromSession), 7);
        vm.assertEq(uint256(entries[1].untilSession), OPEN);
    }
}
