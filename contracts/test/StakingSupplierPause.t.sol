// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Sessions} from "../src/Sessions.sol";
import {StakingParams} from "../src/StakingParams.sol";
import {SupplierStaking} from "../src/SupplierStaking.sol";
import {SupplierEntry} from "../src/interfaces/IStaking.sol";
import {StakingFixture} from "./StakingFixture.t.sol";

/// @notice `pauseSupplier` / `resumeSupplier`: a paused supplier leaves the draw from the next session on,
///         keeps every past and current session (so its claims still stand), and comes back with its services.
contract StakingSupplierPauseTest is StakingFixture {
    Sessions internal sessions;

    function setUp() public override {
        super.setUp();
        sessions = new Sessions(address(staking), address(clock));
        _enter(1);
        _stakeSupplier(alice, MIN_SUPPLIER);
        _addService(alice, SVC_A, "http://alice-a");
        _addService(alice, SVC_B, "http://alice-b");
        _stakeSupplier(bob, MIN_SUPPLIER);
        _addService(bob, SVC_A, "http://bob-a");
        _enter(2);
    }

    /// @dev Walks into `session`, recording the seed of every session on the way (draws need them).
    function _enter(uint64 session) internal {
        for (uint64 s = clock.currentSession() + 1; s <= session; ++s) {
            vm.roll(clock.sessionStartBlock(s) + 1);
            clock.recordSessionSeed();
        }
    }

    function _pause(address who) internal {
        vm.prank(who);
        staking.pauseSupplier();
    }

    function _resume(address who) internal {
        vm.prank(who);
        staking.resumeSupplier();
    }

    function _drawn(bytes32 service, uint64 session, address who) internal view returns (bool) {
        return sessions.isSessionSupplier(app, service, session, who);
    }

    // ---------------------------------------------------------------- pauseSupplier

    function test_pause_leavesTheDrawFromTheNextSessionOnly() public {
        _pause(alice);
        vm.assertTrue(_drawn(SVC_A, 2, alice), "still in the current session");
        vm.assertTrue(_drawn(SVC_B, 2, alice));
        _enter(3);
        vm.assertFalse(_drawn(SVC_A, 3, alice), "out of the next session");
        vm.assertFalse(_drawn(SVC_B, 3, alice));
        vm.assertTrue(_drawn(SVC_A, 3, bob), "others unaffected");
        vm.assertTrue(_drawn(SVC_A, 2, alice), "past session unchanged (its claims still verify)");
        _enter(7);
        vm.assertFalse(_drawn(SVC_A, 7, alice));
    }

    function test_pause_emitsPerServiceRemovalThenPaused() public {
        vm.expectEmit(true, true, false, true, address(staking));
        emit SupplierStaking.SupplierServiceRemoved(alice, SVC_A, 3);
        vm.expectEmit(true, true, false, true, address(staking));
        emit SupplierStaking.SupplierServiceRemoved(alice, SVC_B, 3);
        vm.expectEmit(true, false, false, true, address(staking));
        emit SupplierStaking.SupplierPaused(alice, 3);
        _pause(alice);
        vm.assertEq(uint256(staking.supplierPausedFrom(alice)), 3);
        vm.assertEq(uint256(staking.supplierPausedFrom(bob)), 0);
    }

    function test_pause_keepsStakeServicesAndEndpoints() public {
        _pause(alice);
        (uint256 stake, uint64 withdrawable, bytes32[] memory ids) = staking.getSupplier(alice);
        vm.assertEq(stake, MIN_SUPPLIER, "no penalty");
        vm.assertEq(uint256(withdrawable), 0, "not unbonding");
        vm.assertEq(ids.length, 2);
        vm.assertEq(staking.supplierEndpoint(alice, SVC_A), "http://alice-a");
        vm.assertEq(staking.totalSupplierStake(), 2 * MIN_SUPPLIER);
    }

    function test_pause_revertsWhenAlreadyPaused() public {
        _pause(alice);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(SupplierStaking.SupplierIsPaused.selector, alice));
        staking.pauseSupplier();
    }

    function test_pause_revertsWhenNotStaked() public {
        vm.prank(carol);
        vm.expectRevert(abi.encodeWithSelector(StakingParams.NotStaked.selector, carol));
        staking.pauseSupplier();
    }

    function test_pause_revertsWhileUnbonding() public {
        vm.prank(alice);
        staking.unstakeSupplier();
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(StakingParams.Unbonding.selector, alice, uint64(2 + 1 + UNBONDING)));
        staking.pauseSupplier();
    }

    // ---------------------------------------------------------------- resumeSupplier

    function test_resume_inTheSameSessionReopensEntries() public {
        uint256 before = staking.serviceSupplierEntryCount(SVC_A);
        _pause(alice);
        _resume(alice);
        vm.assertEq(staking.serviceSupplierEntryCount(SVC_A), before, "toggling does not grow the list");
        _enter(3);
        vm.assertTrue(_drawn(SVC_A, 3, alice));
        vm.assertTrue(_drawn(SVC_B, 3, alice));
    }

    function test_resume_laterAppendsEntriesAndLeavesTheGap() public {
        _pause(alice);
        _enter(4);
        vm.expectEmit(true, true, false, true, address(staking));
        emit SupplierStaking.SupplierServiceAdded(alice, SVC_A, "http://alice-a", 5);
        vm.expectEmit(true, true, false, true, address(staking));
        emit SupplierStaking.SupplierServiceAdded(alice, SVC_B, "http://alice-b", 5);
        vm.expectEmit(true, false, false, true, address(staking));
        emit SupplierStaking.SupplierResumed(alice, 5);
        _resume(alice);
        vm.assertEq(uint256(staking.supplierPausedFrom(alice)), 0);
        vm.assertFalse(_drawn(SVC_A, 4, alice), "the session it resumed in stays without it");
        _enter(5);
        vm.assertTrue(_drawn(SVC_A, 5, alice));
        vm.assertFalse(_drawn(SVC_A, 3, alice), "the paused sessions stay without it");
        vm.assertTrue(_drawn(SVC_A, 2, alice));
        SupplierEntry memory last = staking.serviceSupplierEntryAt(SVC_A, staking.serviceSupplierEntryCount(SVC_A) - 1);
        vm.assertEq(last.supplier, alice);
        vm.assertEq(uint256(last.fromSession), 5);
        vm.assertEq(uint256(last.untilSession), uint256(OPEN));
    }

    function test_resume_revertsWhenNotPaused() public {
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(SupplierStaking.SupplierNotPaused.selector, alice));
        staking.resumeSupplier();
    }

    // ---------------------------------------------------------------- other verbs while paused

    function test_whilePaused_addServiceReverts() public {
        _pause(alice);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(SupplierStaking.SupplierIsPaused.selector, alice));
        staking.addSupplierService(_svc(0), "http://alice-c");
    }

    function test_whilePaused_endpointCanMoveAndResumeUsesIt() public {
        _pause(alice);
        vm.prank(alice);
        staking.updateSupplierEndpoint(SVC_A, "http://alice-new");
        _enter(3);
        _resume(alice);
        vm.assertEq(staking.supplierEndpoint(alice, SVC_A), "http://alice-new");
    }

    function test_whilePaused_removeDropsTheServiceWithoutReopeningThePast() public {
        _pause(alice);
        _enter(4);
        vm.expectEmit(true, true, false, true, address(staking));
        emit SupplierStaking.SupplierServiceRemoved(alice, SVC_A, 3);
        vm.prank(alice);
        staking.removeSupplierService(SVC_A);
        vm.assertFalse(_drawn(SVC_A, 3, alice), "session 3 must not gain alice");
        _resume(alice);
        _enter(5);
        vm.assertFalse(_drawn(SVC_A, 5, alice), "removed service stays removed");
        vm.assertTrue(_drawn(SVC_B, 5, alice));
    }

    function test_whilePaused_unstakeKeepsThePausedSessionsEmpty() public {
        _pause(alice);
        _enter(4);
        vm.prank(alice);
        staking.unstakeSupplier();
        vm.assertFalse(_drawn(SVC_A, 3, alice));
        vm.assertFalse(_drawn(SVC_A, 4, alice));
        _enter(4 + 1 + UNBONDING);
        vm.prank(alice);
        staking.withdrawSupplier();
        vm.assertEq(uint256(staking.supplierPausedFrom(alice)), 0, "withdrawal clears the pause");
        _stakeSupplier(alice, MIN_SUPPLIER);
        _addService(alice, SVC_A, "http://alice-a");
    }

    function testFuzz_pauseResume_neverChangesAPastDraw(uint8 pauseAt, uint8 resumeAfter) public {
        uint64 p = uint64(bound(pauseAt, 2, 8));
        uint64 r = p + uint64(bound(resumeAfter, 0, 4));
        _enter(p);
        _pause(alice);
        bool inP = _drawn(SVC_A, p, alice);
        _enter(r);
        _resume(alice);
        vm.assertTrue(_drawn(SVC_A, p, alice) == inP, "the pausing session is final");
        for (uint64 s = p + 1; s <= r; ++s) {
            vm.assertFalse(_drawn(SVC_A, s, alice), "absent while paused");
        }
        _enter(r + 1);
        vm.assertTrue(_drawn(SVC_A, r + 1, alice), "back after resuming");
    }
}
