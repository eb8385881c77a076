// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {SessionClock} from "../src/SessionClock.sol";
import {Epoch} from "../src/interfaces/ISessionClock.sol";
import {Test} from "./utils/Test.sol";

/// @notice Property tests: for any history of parameter changes, block <-> session mapping is consistent
///         and past sessions are never renumbered.
contract SessionClockFuzzTest is Test {
    address internal constant GOV = address(0x60f);
    uint256 internal constant GENESIS = 50;

    /// @dev Deploys a clock and applies three session-length changes at random later blocks (some land in
    ///      the same session and overwrite the pending epoch).
    function _clockWithHistory(uint32[4] memory bps, uint24[3] memory gaps) internal returns (SessionClock clock) {
        vm.roll(GENESIS);
        clock = new SessionClock(GOV, uint32(bound(bps[0], 2, 1_000_000)), 3);
        for (uint256 i = 0; i < 3; i++) {
            vm.roll(block.number + gaps[i]);
            vm.prank(GOV);
            clock.setBlocksPerSession(uint32(bound(bps[i + 1], 2, 1_000_000)));
        }
    }

    function testFuzz_sessionOfAndStartBlockAreConsistent(uint32[4] memory bps, uint24[3] memory gaps, uint256 probe)
        public
    {
        SessionClock clock = _clockWithHistory(bps, gaps);
        uint256 b = bound(probe, GENESIS, GENESIS + 20_000_000);

        uint64 s = clock.sessionOf(b);
        uint256 start = clock.sessionStartBlock(s);
        uint256 end = clock.sessionEndBlock(s);
        vm.assertLe(start, b);
        vm.assertLe(b, end);
        vm.assertEq(end - start + 1, uint256(clock.epochOf(s).blocksPerSession), "length");
        vm.assertEq(uint256(clock.sessionOf(start)), uint256(s));
        vm.assertEq(uint256(clock.sessionOf(end)), uint256(s));
        vm.assertEq(uint256(clock.sessionOf(end + 1)), uint256(s) + 1);
        if (s > 0) vm.assertEq(uint256(clock.sessionOf(start - 1)), uint256(s) - 1);
        else vm.assertEq(start, GENESIS);
    }

    function testFuzz_epochsAreContiguous(uint32[4] memory bps, uint24[3] memory gaps) public {
        SessionClock clock = _clockWithHistory(bps, gaps);
        Epoch[] memory epochs = clock.getEpochs();
        vm.assertGe(epochs.length, 1);
        vm.assertLe(epochs.length, 4);
        for (uint256 i = 1; i < epochs.length; i++) {
            Epoch memory prev = epochs[i - 1];
            Epoch memory cur = epochs[i];
            vm.assertGt(uint256(cur.startSession), uint256(prev.startSession));
            // An epoch starts exactly where the previous one's sessions end.
            uint256 expected =
                uint256(prev.startBlock) + uint256(cur.startSession - prev.startSession) * prev.blocksPerSession;
            vm.assertEq(uint256(cur.startBlock), expected, "boundary");
        }
    }

    function testFuzz_changeNeverRenumbersStartedSessions(uint32 bps0, uint32 bps1, uint24 gap, uint256 probe) public {
        vm.roll(GENESIS);
        SessionClock clock = new SessionClock(GOV, uint32(bound(bps0, 2, 1_000_000)), 3);
        vm.roll(GENESIS + gap);
        uint64 current = clock.currentSession();
        // Every block up to the end of the current session keeps its session number.
        uint256 b = bound(probe, GENESIS, clock.sessionEndBlock(current));
        uint64 before = clock.sessionOf(b);
        uint64 nextStart = clock.sessionStartBlock(current + 1);

        vm.prank(GOV);
        clock.setBlocksPerSession(uint32(bound(bps1, 2, 1_000_000)));

        vm.assertEq(uint256(clock.sessionOf(b)), uint256(before));
        vm.assertEq(uint256(clock.sessionStartBlock(current + 1)), uint256(nextStart));
        vm.assertEq(uint256(clock.currentSession()), uint256(current));
    }
}
