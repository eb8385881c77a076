// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Governed} from "../src/Governed.sol";
import {SessionClock} from "../src/SessionClock.sol";
import {Epoch} from "../src/interfaces/ISessionClock.sol";
import {Test} from "./utils/Test.sol";

/// @notice Session numbering, epochs and parameter changes. Seeds: SessionClockSeed.t.sol.
contract SessionClockTest is Test {
    SessionClock internal clock;

    address internal constant GOV = address(0x60f);
    address internal constant ANYONE = address(0xa11);
    uint256 internal constant GENESIS = 100;

    function setUp() public {
        vm.roll(GENESIS);
        clock = new SessionClock(GOV, 10, 3);
    }

    function _assertEpoch(Epoch memory e, uint256 startBlock, uint256 startSession, uint256 bps, uint256 sps)
        internal
        pure
    {
        vm.assertEq(uint256(e.startBlock), startBlock, "startBlock");
        vm.assertEq(uint256(e.startSession), startSession, "startSession");
        vm.assertEq(uint256(e.blocksPerSession), bps, "blocksPerSession");
        vm.assertEq(uint256(e.suppliersPerSession), sps, "suppliersPerSession");
    }

    function _setBps(uint32 value) internal {
        vm.prank(GOV);
        clock.setBlocksPerSession(value);
    }

    function _setSps(uint16 value) internal {
        vm.prank(GOV);
        clock.setSuppliersPerSession(value);
    }

    // ---------------------------------------------------------------- constructor

    function test_constructor_startsSessionZeroAtDeployment() public view {
        vm.assertEq(uint256(clock.genesisBlock()), GENESIS);
        vm.assertEq(uint256(clock.currentSession()), 0);
        vm.assertEq(clock.governance(), GOV);
        vm.assertEq(clock.lastRecordedSeed(), keccak256("decai.genesis"));
        vm.assertEq(clock.GENESIS_SEED(), keccak256("decai.genesis"));
        Epoch[] memory epochs = clock.getEpochs();
        vm.assertEq(epochs.length, 1);
        _assertEpoch(epochs[0], GENESIS, 0, 10, 3);
    }

    function test_constructor_rejectsOutOfBoundsParameters() public {
        vm.expectRevert(
            abi.encodeWithSelector(
                SessionClock.ParameterOutOfBounds.selector, bytes32("blocksPerSession"), 1, 2, 1_000_000
            )
        );
        new SessionClock(GOV, 1, 3);
        vm.expectRevert(
            abi.encodeWithSelector(
                SessionClock.ParameterOutOfBounds.selector, bytes32("blocksPerSession"), 1_000_001, 2, 1_000_000
            )
        );
        new SessionClock(GOV, 1_000_001, 3);
        vm.expectRevert(
            abi.encodeWithSelector(
                SessionClock.ParameterOutOfBounds.selector, bytes32("suppliersPerSession"), 0, 1, 100
            )
        );
        new SessionClock(GOV, 10, 0);
        vm.expectRevert(
            abi.encodeWithSelector(
                SessionClock.ParameterOutOfBounds.selector, bytes32("suppliersPerSession"), 101, 1, 100
            )
        );
        new SessionClock(GOV, 10, 101);
    }

    function test_constructor_rejectsZeroGovernance() public {
        vm.expectRevert(Governed.ZeroAddress.selector);
        new SessionClock(address(0), 10, 3);
    }

    // ---------------------------------------------------------------- numbering within one epoch

    function test_numbering_singleEpoch() public {
        vm.assertEq(uint256(clock.sessionOf(100)), 0);
        vm.assertEq(uint256(clock.sessionOf(109)), 0);
        vm.assertEq(uint256(clock.sessionOf(110)), 1);
        vm.assertEq(uint256(clock.sessionOf(135)), 3);
        vm.assertEq(uint256(clock.sessionStartBlock(0)), 100);
        vm.assertEq(uint256(clock.sessionStartBlock(3)), 130);
        vm.assertEq(uint256(clock.sessionEndBlock(0)), 109);
        vm.assertEq(uint256(clock.sessionEndBlock(3)), 139);
        vm.roll(139);
        vm.assertEq(uint256(clock.currentSession()), 3);
        vm.roll(140);
        vm.assertEq(uint256(clock.currentSession()), 4);
    }

    function test_sessionOf_revertsBeforeGenesis() public {
        vm.expectRevert(abi.encodeWithSelector(SessionClock.BlockBeforeGenesis.selector, 99, GENESIS));
        clock.sessionOf(99);
    }

    // ---------------------------------------------------------------- setBlocksPerSession

    function test_setBlocksPerSession_takesEffectNextSession() public {
        vm.roll(125); // session 2 = [120, 129]
        vm.expectEmit(true, true, true, true, address(clock));
        emit SessionClock.BlocksPerSessionUpdated(20, 3);
        _setBps(20);

        Epoch[] memory epochs = clock.getEpochs();
        vm.assertEq(epochs.length, 2);
        _assertEpoch(epochs[1], 130, 3, 20, 3);
        // The current session keeps its length; the next ones use the new one.
        vm.assertEq(uint256(clock.currentSession()), 2);
        vm.assertEq(uint256(clock.sessionEndBlock(2)), 129);
        vm.assertEq(uint256(clock.sessionStartBlock(3)), 130);
        vm.assertEq(uint256(clock.sessionEndBlock(3)), 149);
        vm.assertEq(uint256(clock.sessionStartBlock(4)), 150);
        vm.assertEq(uint256(clock.sessionOf(149)), 3);
        vm.assertEq(uint256(clock.sessionOf(150)), 4);
        vm.assertEq(uint256(clock.blocksPerSessionAt(2)), 10);
        vm.assertEq(uint256(clock.blocksPerSessionAt(3)), 20);
    }

    function test_numbering_acrossThreeEpochs() public {
        vm.roll(125); // session 2
        _setBps(20); // epoch 1 from session 3 = block 130
        vm.roll(175); // session 5 = [170, 189]
        _setBps(5); // epoch 2 from session 6 = block 190

        Epoch[] memory epochs = clock.getEpochs();
        vm.assertEq(epochs.length, 3);
        _assertEpoch(epochs[0], 100, 0, 10, 3);
        _assertEpoch(epochs[1], 130, 3, 20, 3);
        _assertEpoch(epochs[2], 190, 6, 5, 3);

        // blocks before and after each boundary
        uint256[10] memory blocks = [uint256(100), 129, 130, 149, 150, 189, 190, 194, 195, 1000];
        uint64[10] memory sessions = [uint64(0), 2, 3, 3, 4, 5, 6, 6, 7, 168];
        for (uint256 i = 0; i < blocks.length; i++) {
            vm.assertEq(uint256(clock.sessionOf(blocks[i])), uint256(sessions[i]), "sessionOf");
        }
        vm.assertEq(uint256(clock.sessionStartBlock(2)), 120);
        vm.assertEq(uint256(clock.sessionStartBlock(5)), 170);
        vm.assertEq(uint256(clock.sessionEndBlock(5)), 189);
        vm.assertEq(uint256(clock.sessionStartBlock(6)), 190);
        vm.assertEq(uint256(clock.sessionStartBlock(168)), 1000);

        _assertEpoch(clock.epochOf(0), 100, 0, 10, 3);
        _assertEpoch(clock.epochOf(2), 100, 0, 10, 3);
        _assertEpoch(clock.epochOf(3), 130, 3, 20, 3);
        _assertEpoch(clock.epochOf(5), 130, 3, 20, 3);
        _assertEpoch(clock.epochOf(6), 190, 6, 5, 3);
        _assertEpoch(clock.epochOf(type(uint64).max), 190, 6, 5, 3);
    }

    function test_setBlocksPerSession_overwritesPendingEpoch() public {
        vm.roll(125);
        _setBps(20);
        vm.roll(129); // still session 2: the epoch from session 3 is pending
        vm.expectEmit(true, true, true, true, address(clock));
        emit SessionClock.BlocksPerSessionUpdated(50, 3);
        _setBps(50);
        Epoch[] memory epochs = clock.getEpochs();
        vm.assertEq(epochs.length, 2);
        _assertEpoch(epochs[1], 130, 3, 50, 3);
        vm.assertEq(uint256(clock.sessionStartBlock(4)), 180);
    }

    function test_setBlocksPerSession_pushesOnceThePendingEpochStarted() public {
        vm.roll(125);
        _setBps(20);
        vm.roll(130); // session 3: epoch 1 is active now
        _setBps(4);
        Epoch[] memory epochs = clock.getEpochs();
        vm.assertEq(epochs.length, 3);
        _assertEpoch(epochs[1], 130, 3, 20, 3);
        _assertEpoch(epochs[2], 150, 4, 4, 3);
    }

    function test_setBlocksPerSession_acceptsBounds() public {
        _setBps(2);
        _assertEpoch(clock.epochOf(1), 110, 1, 2, 3);
        _setBps(1_000_000);
        _assertEpoch(clock.epochOf(1), 110, 1, 1_000_000, 3);
    }

    function test_setBlocksPerSession_revertsOutOfBounds() public {
        vm.startPrank(GOV);
        vm.expectRevert(
            abi.encodeWithSelector(
                SessionClock.ParameterOutOfBounds.selector, bytes32("blocksPerSession"), 1, 2, 1_000_000
            )
        );
        clock.setBlocksPerSession(1);
        vm.expectRevert(
            abi.encodeWithSelector(
                SessionClock.ParameterOutOfBounds.selector, bytes32("blocksPerSession"), 1_000_001, 2, 1_000_000
            )
        );
        clock.setBlocksPerSession(1_000_001);
        vm.stopPrank();
        vm.assertEq(clock.getEpochs().length, 1);
    }

    function test_setBlocksPerSession_revertsForNonGovernance() public {
        vm.prank(ANYONE);
        vm.expectRevert(abi.encodeWithSelector(Governed.NotGovernance.selector, ANYONE));
        clock.setBlocksPerSession(20);
    }

    // ---------------------------------------------------------------- setSuppliersPerSession

    function test_setSuppliersPerSession_takesEffectNextSession() public {
        vm.roll(115); // session 1
        vm.expectEmit(true, true, true, true, address(clock));
        emit SessionClock.SuppliersPerSessionUpdated(7, 2);
        _setSps(7);
        _assertEpoch(clock.getEpochs()[1], 120, 2, 10, 7);
        vm.assertEq(uint256(clock.suppliersPerSessionAt(1)), 3);
        vm.assertEq(uint256(clock.suppliersPerSessionAt(2)), 7);
        vm.assertEq(uint256(clock.suppliersPerSessionAt(99)), 7);
        // The session length is unchanged.
        vm.assertEq(uint256(clock.sessionStartBlock(3)), 130);
    }

    function test_setBothParameters_shareOnePendingEpoch() public {
        vm.roll(115);
        _setSps(7);
        _setBps(30);
        _setSps(9);
        Epoch[] memory epochs = clock.getEpochs();
        vm.assertEq(epochs.length, 2);
        _assertEpoch(epochs[1], 120, 2, 30, 9);
    }

    function test_setSuppliersPerSession_revertsOutOfBounds() public {
        vm.startPrank(GOV);
        vm.expectRevert(
            abi.encodeWithSelector(
                SessionClock.ParameterOutOfBounds.selector, bytes32("suppliersPerSession"), 0, 1, 100
            )
        );
        clock.setSuppliersPerSession(0);
        vm.expectRevert(
            abi.encodeWithSelector(
                SessionClock.ParameterOutOfBounds.selector, bytes32("suppliersPerSession"), 101, 1, 100
            )
        );
        clock.setSuppliersPerSession(101);
        clock.setSuppliersPerSession(100);
        vm.stopPrank();
        vm.assertEq(uint256(clock.suppliersPerSessionAt(1)), 100);
    }

    function test_setSuppliersPerSession_revertsForNonGovernance() public {
        vm.prank(ANYONE);
        vm.expectRevert(abi.encodeWithSelector(Governed.NotGovernance.selector, ANYONE));
        clock.setSuppliersPerSession(5);
    }

    function test_governanceHandOver_controlsParameters() public {
        vm.prank(GOV);
        clock.proposeGovernance(ANYONE);
        vm.prank(ANYONE);
        clock.acceptGovernance();
        vm.prank(GOV);
        vm.expectRevert(abi.encodeWithSelector(Governed.NotGovernance.selector, GOV));
        clock.setSuppliersPerSession(5);
        vm.prank(ANYONE);
        clock.setSuppliersPerSession(5);
        vm.assertEq(uint256(clock.suppliersPerSessionAt(1)), 5);
    }
}
