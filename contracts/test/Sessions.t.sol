// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {SessionClock} from "../src/SessionClock.sol";
import {Sessions} from "../src/Sessions.sol";
import {SupplierEntry} from "../src/interfaces/IStaking.sol";
import {SessionsReference} from "./SessionsReference.sol";
import {SessionsStakingMock} from "./SessionsStakingMock.sol";
import {Test} from "./utils/Test.sol";

/// @notice The draw algorithm over hand-made supplier entries. With the real Staking: SessionsStaking.t.sol.
contract SessionsTest is Test {
    SessionClock internal clock;
    SessionsStakingMock internal entries;
    Sessions internal sessions;

    address internal constant GOV = address(0x60f);
    address internal constant APP = address(0xa99);
    bytes32 internal constant SVC = bytes32("tiny-llama");
    uint64 internal constant OPEN = type(uint64).max;

    function setUp() public {
        vm.roll(100);
        clock = new SessionClock(GOV, 10, 3);
        entries = new SessionsStakingMock();
        sessions = new Sessions(address(entries), address(clock));
    }

    function _supplier(uint256 i) internal pure returns (address) {
        return address(uint160(0x5000 + i));
    }

    /// @dev `n` suppliers that serve SVC from session 0 on.
    function _addSuppliers(uint256 n) internal {
        for (uint256 i = 0; i < n; i++) {
            entries.push(SVC, _supplier(i), 0, OPEN);
        }
    }

    /// @dev Moves into `session` and records its seed.
    function _enter(uint64 session) internal returns (bytes32) {
        vm.roll(clock.sessionStartBlock(session) + 1);
        return clock.recordSessionSeed();
    }

    function _expected(address app, bytes32 svc, uint64 session) internal view returns (address[] memory) {
        SupplierEntry[] memory all = entries.getServiceSupplierEntries(svc);
        uint256 k = clock.suppliersPerSessionAt(session);
        return SessionsReference.draw(all, clock.sessionSeed(session), app, svc, session, k);
    }

    function _contains(address[] memory list, address who) internal pure returns (bool) {
        for (uint256 i = 0; i < list.length; i++) {
            if (list[i] == who) return true;
        }
        return false;
    }

    // ---------------------------------------------------------------- construction

    function test_constructor_storesCollaborators() public view {
        vm.assertEq(address(sessions.staking()), address(entries));
        vm.assertEq(address(sessions.clock()), address(clock));
    }

    function test_constructor_rejectsZeroAddresses() public {
        vm.expectRevert(Sessions.ZeroAddress.selector);
        new Sessions(address(0), address(clock));
        vm.expectRevert(Sessions.ZeroAddress.selector);
        new Sessions(address(entries), address(0));
    }

    // ---------------------------------------------------------------- seed

    function test_draw_revertsWithoutSeed() public {
        _addSuppliers(5);
        vm.roll(115); // session 1, seed not recorded
        vm.expectRevert(abi.encodeWithSelector(Sessions.SessionSeedNotRecorded.selector, uint64(1)));
        sessions.getSessionSuppliers(APP, SVC, 1);
        vm.expectRevert(abi.encodeWithSelector(Sessions.SessionSeedNotRecorded.selector, uint64(1)));
        sessions.isSessionSupplier(APP, SVC, 1, _supplier(0));
        // A session that was skipped stays undrawable even after later seeds are recorded.
        _enter(2);
        vm.expectRevert(abi.encodeWithSelector(Sessions.SessionSeedNotRecorded.selector, uint64(1)));
        sessions.getSessionSuppliers(APP, SVC, 1);
    }

    // ---------------------------------------------------------------- k of n

    function test_draw_picksKLowestScoresInOrder() public {
        _addSuppliers(10);
        bytes32 seed = _enter(1);
        address[] memory got = sessions.getSessionSuppliers(APP, SVC, 1);
        vm.assertEq(got.length, 3);
        vm.assertEq(got, _expected(APP, SVC, 1));
        // Ascending scores, and every supplier left out scores higher than the last one drawn.
        uint256 last = sessions.supplierScore(seed, APP, SVC, 1, got[2]);
        vm.assertLt(
            sessions.supplierScore(seed, APP, SVC, 1, got[0]), sessions.supplierScore(seed, APP, SVC, 1, got[1])
        );
        vm.assertLt(sessions.supplierScore(seed, APP, SVC, 1, got[1]), last);
        for (uint256 i = 0; i < 10; i++) {
            if (_contains(got, _supplier(i))) continue;
            vm.assertGt(sessions.supplierScore(seed, APP, SVC, 1, _supplier(i)), last);
        }
    }

    function test_draw_returnsAllWhenFewerEligibleThanK() public {
        _addSuppliers(2);
        _enter(1);
        address[] memory got = sessions.getSessionSuppliers(APP, SVC, 1);
        vm.assertEq(got.length, 2);
        vm.assertEq(got, _expected(APP, SVC, 1));
        vm.assertTrue(_contains(got, _supplier(0)));
        vm.assertTrue(_contains(got, _supplier(1)));
        vm.assertTrue(sessions.isSessionSupplier(APP, SVC, 1, _supplier(0)));
        vm.assertTrue(sessions.isSessionSupplier(APP, SVC, 1, _supplier(1)));
    }

    function test_draw_emptyWhenNobodyEligible() public {
        _enter(1);
        vm.assertEq(sessions.getSessionSuppliers(APP, SVC, 1).length, 0);
        // Entries exist but none covers session 1: future, ended, and empty (from == until).
        entries.push(SVC, _supplier(0), 2, OPEN);
        entries.push(SVC, _supplier(1), 0, 1);
        entries.push(SVC, _supplier(2), 1, 1);
        vm.assertEq(sessions.getSessionSuppliers(APP, SVC, 1).length, 0);
        vm.assertFalse(sessions.isSessionSupplier(APP, SVC, 1, _supplier(0)));
        vm.assertFalse(sessions.isSessionSupplier(APP, SVC, 1, _supplier(1)));
        vm.assertFalse(sessions.isSessionSupplier(APP, SVC, 1, _supplier(2)));
    }

    function test_draw_entryCoversFromInclusiveUntilExclusive() public {
        entries.push(SVC, _supplier(7), 2, 4);
        for (uint64 s = 1; s <= 4; s++) {
            _enter(s);
            bool expected = s == 2 || s == 3;
            vm.assertEq(sessions.getSessionSuppliers(APP, SVC, s).length, expected ? 1 : 0);
            vm.assertEq(sessions.isSessionSupplier(APP, SVC, s, _supplier(7)), expected);
        }
    }

    function test_draw_ignoresOtherServices() public {
        _addSuppliers(3);
        entries.push(bytes32("other"), _supplier(9), 0, OPEN);
        _enter(1);
        vm.assertFalse(_contains(sessions.getSessionSuppliers(APP, SVC, 1), _supplier(9)));
        vm.assertFalse(sessions.isSessionSupplier(APP, SVC, 1, _supplier(9)));
        vm.assertEq(sessions.getSessionSuppliers(APP, bytes32("other"), 1).length, 1);
    }

    function test_isSessionSupplier_falseForUnstakedAddress() public {
        _addSuppliers(2);
        _enter(1);
        vm.assertFalse(sessions.isSessionSupplier(APP, SVC, 1, address(0xdead)));
    }

    function test_draw_usesSuppliersPerSessionOfThatSession() public {
        _addSuppliers(10);
        _enter(1);
        vm.prank(GOV);
        clock.setSuppliersPerSession(5); // from session 2
        _enter(2);
        vm.assertEq(sessions.getSessionSuppliers(APP, SVC, 1).length, 3);
        vm.assertEq(sessions.getSessionSuppliers(APP, SVC, 2).length, 5);
        vm.assertEq(sessions.getSessionSuppliers(APP, SVC, 2), _expected(APP, SVC, 2));
    }

    function test_draw_kEqualsOneAndHundred() public {
        vm.roll(100);
        SessionClock one = new SessionClock(GOV, 10, 1);
        Sessions s1 = new Sessions(address(entries), address(one));
        _addSuppliers(120);
        vm.roll(111);
        one.recordSessionSeed();
        vm.assertEq(s1.getSessionSuppliers(APP, SVC, 1).length, 1);
        vm.prank(GOV);
        one.setSuppliersPerSession(100);
        vm.roll(121);
        bytes32 seed = one.recordSessionSeed();
        address[] memory got = s1.getSessionSuppliers(APP, SVC, 2);
        vm.assertEq(got.length, 100);
        vm.assertEq(got, SessionsReference.draw(entries.getServiceSupplierEntries(SVC), seed, APP, SVC, 2, 100));
    }

    // ---------------------------------------------------------------- determinism and spread

    function test_draw_isDeterministic() public {
        _addSuppliers(10);
        _enter(1);
        address[] memory a = sessions.getSessionSuppliers(APP, SVC, 1);
        vm.roll(block.number + 5); // same session, later block
        address[] memory b = sessions.getSessionSuppliers(APP, SVC, 1);
        vm.assertEq(a, b);
        _enter(3);
        // Session 1 is in the past now and its set has not moved.
        vm.assertEq(sessions.getSessionSuppliers(APP, SVC, 1), a);
    }

    function test_draw_differsAcrossApplications() public {
        _addSuppliers(10);
        _enter(1);
        address[] memory first = sessions.getSessionSuppliers(address(0x1000), SVC, 1);
        uint256 differing = 0;
        for (uint256 i = 1; i < 20; i++) {
            address app = address(uint160(0x1000 + i));
            address[] memory got = sessions.getSessionSuppliers(app, SVC, 1);
            vm.assertEq(got, _expected(app, SVC, 1));
            if (keccak256(abi.encode(got)) != keccak256(abi.encode(first))) differing++;
        }
        // P(all 19 equal the first of C(10,3) ordered draws) is negligible; the set depends on the app.
        vm.assertGt(differing, 0);
    }

    function test_draw_differsAcrossSessions() public {
        _addSuppliers(10);
        _enter(1);
        address[] memory first = sessions.getSessionSuppliers(APP, SVC, 1);
        uint256 differing = 0;
        for (uint64 s = 2; s < 12; s++) {
            _enter(s);
            if (keccak256(abi.encode(sessions.getSessionSuppliers(APP, SVC, s))) != keccak256(abi.encode(first))) {
                differing++;
            }
        }
        vm.assertGt(differing, 0);
    }

    function test_supplierScore_matchesSpec() public view {
        bytes32 seed = keccak256("seed");
        uint256 expected = uint256(keccak256(abi.encode(seed, APP, SVC, uint64(7), _supplier(1))));
        vm.assertEq(sessions.supplierScore(seed, APP, SVC, 7, _supplier(1)), expected);
    }

    // ---------------------------------------------------------------- properties

    /// @dev Random entry lists (random intervals, some empty or ended), random k and app: the draw
    ///      equals the reference and isSessionSupplier agrees with it.
    function testFuzz_drawMatchesReferenceAndMembership(uint256 rand, uint8 n, uint16 k, address app) public {
        n = uint8(bound(n, 0, 40));
        k = uint16(bound(k, 1, 12));
        vm.prank(GOV);
        clock.setSuppliersPerSession(k); // from session 1
        for (uint256 i = 0; i < n; i++) {
            uint256 r = uint256(keccak256(abi.encode(rand, i)));
            uint64 from = uint64(r % 4);
            uint64 until = (r >> 8) % 3 == 0 ? OPEN : from + uint64((r >> 16) % 4);
            // Distinct suppliers: Staking never gives one supplier two entries covering a session.
            entries.push(SVC, _supplier(i), from, until);
        }
        uint64 session = uint64(1 + (rand >> 128) % 3);
        _enter(session);

        address[] memory got = sessions.getSessionSuppliers(app, SVC, session);
        vm.assertEq(got, _expected(app, SVC, session));
        for (uint256 i = 0; i < n; i++) {
            vm.assertEq(sessions.isSessionSupplier(app, SVC, session, _supplier(i)), _contains(got, _supplier(i)));
        }
        vm.assertFalse(sessions.isSessionSupplier(app, SVC, session, address(0xdead)));
    }
}
