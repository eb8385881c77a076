// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Sessions} from "../src/Sessions.sol";
import {SessionsReference} from "./SessionsReference.sol";
import {StakingFixture} from "./StakingFixture.t.sol";

/// @notice The session draw over the real Staking: stake changes show up at the next session boundary
///         and never change a past session's supplier set.
contract SessionsStakingTest is StakingFixture {
    Sessions internal sessions;

    function setUp() public override {
        super.setUp();
        sessions = new Sessions(address(staking), address(clock));
    }

    function _supplier(uint256 i) internal pure returns (address) {
        return address(uint160(0x5000 + i));
    }

    /// @dev Stakes `who` and adds SVC_A in the current session.
    function _join(address who) internal {
        _stakeSupplier(who, MIN_SUPPLIER);
        _addService(who, SVC_A, "http://relayminer");
    }

    /// @dev Moves into `session` and records its seed.
    function _enter(uint64 session) internal {
        vm.roll(clock.sessionStartBlock(session) + 1);
        clock.recordSessionSeed();
    }

    function _draw(uint64 session) internal view returns (address[] memory) {
        return sessions.getSessionSuppliers(app, SVC_A, session);
    }

    function _reference(address application, uint64 session) internal view returns (address[] memory) {
        return SessionsReference.draw(
            staking.getServiceSupplierEntries(SVC_A),
            clock.sessionSeed(session),
            application,
            SVC_A,
            session,
            clock.suppliersPerSessionAt(session)
        );
    }

    function _contains(address[] memory list, address who) internal pure returns (bool) {
        for (uint256 i = 0; i < list.length; i++) {
            if (list[i] == who) return true;
        }
        return false;
    }

    // ---------------------------------------------------------------- boundaries

    function test_stakedInSessionS_appearsFromSPlusOne() public {
        _enter(2);
        _join(alice);
        vm.assertEq(_draw(2).length, 0, "not in the session it staked in");
        vm.assertFalse(sessions.isSessionSupplier(app, SVC_A, 2, alice));
        _enter(3);
        vm.assertEq(_draw(3).length, 1);
        vm.assertEq(_draw(3)[0], alice);
        vm.assertTrue(sessions.isSessionSupplier(app, SVC_A, 3, alice));
        vm.assertEq(_draw(2).length, 0, "past session unchanged");
    }

    function test_kOfN_withRealStaking() public {
        for (uint256 i = 0; i < 8; i++) {
            _join(_supplier(i));
        }
        _enter(1);
        address[] memory got = _draw(1);
        vm.assertEq(got.length, SUPPLIERS_PER_SESSION);
        vm.assertEq(got, _reference(app, 1));
        for (uint256 i = 0; i < 8; i++) {
            vm.assertEq(sessions.isSessionSupplier(app, SVC_A, 1, _supplier(i)), _contains(got, _supplier(i)));
        }
    }

    function test_differentAppsGetDifferentSets() public {
        for (uint256 i = 0; i < 8; i++) {
            _join(_supplier(i));
        }
        _enter(1);
        bytes32 first = keccak256(abi.encode(sessions.getSessionSuppliers(address(0x1000), SVC_A, 1)));
        uint256 differing = 0;
        for (uint256 i = 1; i < 16; i++) {
            address application = address(uint160(0x1000 + i));
            address[] memory got = sessions.getSessionSuppliers(application, SVC_A, 1);
            vm.assertEq(got, _reference(application, 1));
            if (keccak256(abi.encode(got)) != first) differing++;
        }
        vm.assertGt(differing, 0);
    }

    function test_removedSupplier_leavesNextSessionButStaysInPast() public {
        _join(alice);
        _join(bob);
        _enter(1);
        vm.prank(alice);
        staking.removeSupplierService(SVC_A);
        vm.assertTrue(_contains(_draw(1), alice), "still serves the current session");
        _enter(2);
        address[] memory two = _draw(2);
        vm.assertEq(two.length, 1);
        vm.assertEq(two[0], bob);
        vm.assertFalse(sessions.isSessionSupplier(app, SVC_A, 2, alice));
        _enter(5);
        vm.assertTrue(_contains(_draw(1), alice), "past session keeps it");
        vm.assertTrue(sessions.isSessionSupplier(app, SVC_A, 1, alice));
    }

    function test_unstakedSupplier_leavesNextSessionButStaysInPast_evenAfterWithdrawal() public {
        _join(alice);
        _join(bob);
        _enter(1);
        vm.prank(alice);
        staking.unstakeSupplier();
        vm.assertTrue(_contains(_draw(1), alice));
        _enter(2);
        vm.assertFalse(_contains(_draw(2), alice));
        _enter(1 + 1 + UNBONDING);
        vm.prank(alice);
        staking.withdrawSupplier();
        _enter(10);
        vm.assertTrue(_contains(_draw(1), alice), "withdrawal does not rewrite history");
        vm.assertFalse(_contains(_draw(2), alice));
        vm.assertFalse(_contains(_draw(10), alice));
    }

    function test_removeAndReAddInSameSession_keepsOneSeat() public {
        _join(alice);
        _enter(1);
        vm.prank(alice);
        staking.removeSupplierService(SVC_A);
        _addService(alice, SVC_A, "http://moved");
        _enter(2);
        address[] memory got = _draw(2);
        vm.assertEq(got.length, 1, "no duplicate");
        vm.assertEq(got[0], alice);
    }

    function test_removeThenReAddNextSession_leavesAGap() public {
        _join(alice);
        _enter(1);
        vm.prank(alice);
        staking.removeSupplierService(SVC_A);
        _enter(2);
        _addService(alice, SVC_A, "http://back");
        vm.assertEq(_draw(2).length, 0);
        _enter(3);
        vm.assertEq(_draw(3).length, 1);
        vm.assertEq(_draw(3)[0], alice);
    }

    function test_addAndRemoveInSameSession_neverAppears() public {
        _join(alice);
        vm.prank(alice);
        staking.removeSupplierService(SVC_A);
        _enter(1);
        vm.assertEq(_draw(1).length, 0);
        vm.assertFalse(sessions.isSessionSupplier(app, SVC_A, 1, alice));
    }

    function test_revertsWithoutSeed() public {
        _join(alice);
        vm.roll(clock.sessionStartBlock(1));
        vm.expectRevert(abi.encodeWithSelector(Sessions.SessionSeedNotRecorded.selector, uint64(1)));
        _draw(1);
    }

    // ---------------------------------------------------------------- random histories

    /// @dev Random stake/add/remove/unstake/withdraw actions over 8 sessions. Each session's draw is
    ///      taken while it is current and must be identical at the end; every draw matches the reference,
    ///      has no duplicates, and agrees with isSessionSupplier.
    function testFuzz_randomHistory_pastSetsAreStableAndConsistent(uint256 rand) public {
        uint64 sessionsRun = 8;
        bytes32[] memory seen = new bytes32[](sessionsRun);
        // Four suppliers from session 1 on, so draws are not trivially empty; two more may join.
        for (uint256 i = 0; i < 4; i++) {
            _join(_supplier(i));
        }
        for (uint64 s = 0; s < sessionsRun; s++) {
            if (s > 0) _enter(s);
            else clock.recordSessionSeed();
            seen[s] = keccak256(abi.encode(_draw(s)));
            for (uint256 a = 0; a < 4; a++) {
                uint256 r = uint256(keccak256(abi.encode(rand, s, a)));
                _randomAction(_supplier(r % 6), (r >> 8) % 5);
            }
            vm.assertEq(keccak256(abi.encode(_draw(s))), seen[s], "actions do not change the current session");
        }
        _enter(sessionsRun + 2);
        for (uint64 s = 0; s < sessionsRun; s++) {
            address[] memory got = _draw(s);
            vm.assertEq(keccak256(abi.encode(got)), seen[s], "past session unchanged");
            vm.assertEq(got, _reference(app, s));
            for (uint256 i = 0; i < got.length; i++) {
                for (uint256 j = i + 1; j < got.length; j++) {
                    vm.assertTrue(got[i] != got[j], "duplicate supplier");
                }
            }
            for (uint256 i = 0; i < 6; i++) {
                vm.assertEq(sessions.isSessionSupplier(app, SVC_A, s, _supplier(i)), _contains(got, _supplier(i)));
            }
        }
    }

    /// @dev Actions that the staking rules reject (e.g. removing a service one does not serve) are skipped.
    function _randomAction(address who, uint256 action) internal {
        if (action == 0) {
            _fund(stakeToken, who, MIN_SUPPLIER);
            vm.prank(who);
            try staking.stakeSupplier(MIN_SUPPLIER) {} catch {}
        } else if (action == 1) {
            vm.prank(who);
            try staking.addSupplierService(SVC_A, "http://x") {} catch {}
        } else if (action == 2) {
            vm.prank(who);
            try staking.removeSupplierService(SVC_A) {} catch {}
        } else if (action == 3) {
            vm.prank(who);
            try staking.unstakeSupplier() {} catch {}
        } else {
            vm.prank(who);
            try staking.withdrawSupplier() {} catch {}
        }
    }
}
