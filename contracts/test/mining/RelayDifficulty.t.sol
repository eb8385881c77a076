// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {MiningParams} from "../../src/mining/MiningParams.sol";
import {DifficultyState, RelayDifficulty, TargetChange} from "../../src/mining/RelayDifficulty.sol";
import {MiningFixture} from "./MiningFixture.sol";
import {vmExtra} from "./utils/VmExtra.sol";

/// @notice Difficulty: the update rules, the EMA's convergence and the reproducibility of past targets.
contract RelayDifficultyTest is MiningFixture {
    bytes32 internal constant ROOT = keccak256("root");
    bytes32 internal constant INITIAL_TARGET = "initialTarget";

    function test_targetAt_isTheInitialTargetBeforeAnyUpdate() public view {
        vm.assertEq(mining.targetAt(SVC_A, 0), MAX);
        vm.assertEq(mining.targetAt(SVC_A, S), MAX);
        vm.assertEq(mining.targetAt(SVC_B, 1_000_000), MAX);
        vm.assertEq(mining.getTargetHistory(SVC_A).length, 0);
    }

    function test_updateDifficulty_firstUpdateStartsTheEmaAtTheEstimate() public {
        _claimCount(supplier, S, 30);
        _claimCount(supplier2, S, 10);
        (, uint64 close) = mining.claimWindow(S);
        vm.roll(close);
        uint64 effective = clock.currentSession() + 1;
        // 40 relays at the easiest target; 4 wanted: one relay in ten becomes applicable.
        uint256 expected = Math.mulDiv(MAX, 4, 40);
        vm.expectEmit(true, false, false, true, address(mining));
        emit RelayDifficulty.DifficultyUpdated(SVC_A, S, 40, expected, effective);
        vm.assertEq(mining.updateDifficulty(SVC_A, S), expected);

        DifficultyState memory state = mining.getDifficulty(SVC_A);
        vm.assertEq(state.ema, 40);
        vm.assertEq(uint256(state.lastSession), S);
        vm.assertTrue(state.initialized);
        vm.assertEq(mining.targetAt(SVC_A, effective - 1), MAX); // the current session keeps its target
        vm.assertEq(mining.targetAt(SVC_A, effective), expected);
        vm.assertEq(mining.targetAt(SVC_A, effective + 100), expected);
        vm.assertEq(mining.targetAt(SVC_B, effective), MAX); // per service
    }

    function test_updateDifficulty_rejectsAnOpenClaimWindow() public {
        (, uint64 close) = mining.claimWindow(S);
        vm.roll(close - 1);
        vm.expectRevert(abi.encodeWithSelector(RelayDifficulty.ClaimWindowNotClosed.selector, S, close));
        mining.updateDifficulty(SVC_A, S);
    }

    function test_updateDifficulty_rejectsTheSameOrAnEarlierSession() public {
        (, uint64 close) = mining.claimWindow(S + 1);
        vm.roll(close);
        mining.updateDifficulty(SVC_A, S);
        vm.expectRevert(abi.encodeWithSelector(RelayDifficulty.DifficultyAlreadyUpdated.selector, SVC_A, S, S));
        mining.updateDifficulty(SVC_A, S);
        mining.updateDifficulty(SVC_A, S + 1);
        vm.expectRevert(abi.encodeWithSelector(RelayDifficulty.DifficultyAlreadyUpdated.selector, SVC_A, S, S + 1));
        mining.updateDifficulty(SVC_A, S);
    }

    function test_updateDifficulty_rejectsAnUnknownService() public {
        vm.expectRevert(abi.encodeWithSelector(RelayDifficulty.UnknownService.selector, UNKNOWN_SVC));
        mining.updateDifficulty(UNKNOWN_SVC, S);
    }

    function test_updateDifficulty_catchUpInOneSessionKeepsOneChange() public {
        _claimCount(supplier, S, 400);
        (, uint64 close) = mining.claimWindow(S + 1);
        vm.roll(close);
        mining.updateDifficulty(SVC_A, S); // ema 400
        uint256 last = mining.updateDifficulty(SVC_A, S + 1); // no claims: ema 200
        vm.assertEq(mining.getDifficulty(SVC_A).ema, 200);
        TargetChange[] memory history = mining.getTargetHistory(SVC_A);
        vm.assertEq(history.length, 1);
        vm.assertEq(history[0].target, last);
        vm.assertEq(last, Math.mulDiv(MAX, 4, 200));
    }

    function test_updateDifficulty_withoutClaimsMakesEveryRelayApplicable() public {
        (, uint64 close) = mining.claimWindow(S);
        vm.roll(close);
        vm.assertEq(mining.updateDifficulty(SVC_A, S), MAX);
    }

    /// @dev A service whose traffic jumps from 10k to 40k relays per session: the EMA (alpha 1/2) closes half
    ///      the gap per update, the target follows, and the applicable relays per session return to the
    ///      wanted 100. Past sessions keep the target they had.
    function test_updateDifficulty_emaConvergesToTheTraffic() public {
        vm.prank(gov);
        mining.setTargetRelaysPerSession(100);
        uint64 rounds = 16;
        uint256[] memory targetsSeen = new uint256[](rounds);
        uint256 previousEma;
        uint256 applicable;
        for (uint64 s = S; s < S + rounds; ++s) {
            _enterSession(s);
            targetsSeen[s - S] = mining.targetAt(SVC_A, s);
            if (s == S) continue;
            // Claim the applicable relays of the previous session, then fold it into the EMA.
            uint256 relays = s - 1 < S + 6 ? 10_000 : 40_000;
            applicable = _applicable(relays, mining.targetAt(SVC_A, s - 1));
            // casting to 'uint64' is safe because applicable <= 40_000
            // forge-lint: disable-next-line(unsafe-typecast)
            _claimCount(supplier, s - 1, uint64(applicable));
            (, uint64 close) = mining.claimWindow(s - 1);
            vm.roll(close);
            mining.updateDifficulty(SVC_A, s - 1);
            uint256 ema = mining.getDifficulty(SVC_A).ema;
            if (s - 1 == S + 5) vmExtra.assertApproxEqRel(ema, 10_000, 0.01e18);
            if (s - 1 > S + 6 && s - 1 <= S + 10) vm.assertGt(ema, previousEma); // rising towards the new traffic
            previousEma = ema;
        }
        vmExtra.assertApproxEqRel(previousEma, 40_000, 0.01e18);
        vmExtra.assertApproxEqRel(mining.targetAt(SVC_A, S + rounds + 1), Math.mulDiv(MAX, 100, 40_000), 0.01e18);
        vmExtra.assertApproxEqAbs(applicable, 100, 5);
        // The history reproduces every target the sessions were served with.
        for (uint64 s = S; s < S + rounds; ++s) {
            vm.assertEq(mining.targetAt(SVC_A, s), targetsSeen[s - S]);
        }
    }

    // ------------------------------------------------------------------ initial target

    function test_setInitialTarget_appliesFromTheNextSession() public {
        uint64 current = clock.currentSession();
        vm.expectEmit(false, false, false, true, address(mining));
        emit RelayDifficulty.InitialTargetUpdated(123, current + 1);
        vm.prank(gov);
        mining.setInitialTarget(123);
        vm.assertEq(mining.targetAt(SVC_A, current), MAX);
        vm.assertEq(mining.targetAt(SVC_A, current + 1), 123);
        vm.assertEq(mining.getInitialTargetHistory().length, 2);
    }

    function test_setInitialTarget_doesNotMoveAServiceWithHistory() public {
        (, uint64 close) = mining.claimWindow(S);
        vm.roll(close);
        mining.updateDifficulty(SVC_A, S);
        vm.prank(gov);
        mining.setInitialTarget(123);
        uint64 next = clock.currentSession() + 1;
        vm.assertEq(mining.targetAt(SVC_A, next), MAX);
        vm.assertEq(mining.targetAt(SVC_B, next), 123);
    }

    function test_setInitialTarget_isBoundedAndGoverned() public {
        vm.expectRevert(abi.encodeWithSelector(MiningParams.ParameterOutOfBounds.selector, INITIAL_TARGET, 0, 1, MAX));
        vm.prank(gov);
        mining.setInitialTarget(0);
        vm.expectRevert(abi.encodeWithSelector(bytes4(keccak256("NotGovernance(address)")), address(this)));
        mining.setInitialTarget(1);
    }

    // ------------------------------------------------------------------ helpers

    /// @dev The relays of `relays` whose hash is below `target`, rounded to nearest (the expectation).
    function _applicable(uint256 relays, uint256 target) internal pure returns (uint256) {
        return (Math.mulDiv(2 * relays, target, MAX) + 1) / 2;
    }

    /// @dev Claims `count` relays of weight 1 as `who` for (application, SVC_A, session).
    function _claimCount(address who, uint64 session, uint64 count) internal {
        (uint64 open,) = mining.claimWindow(session);
        if (block.number < open) vm.roll(open);
        vm.prank(who);
        mining.claim(application, SVC_A, session, ROOT, count, count);
    }
}
