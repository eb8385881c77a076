// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {SessionClock} from "../src/SessionClock.sol";
import {Vm} from "./utils/Vm.sol";
import {Test} from "./utils/Test.sol";

/// @notice Session seeds: block hash within 256 blocks, chained fallback after, recorded once per session.
contract SessionClockSeedTest is Test {
    SessionClock internal clock;

    address internal constant GOV = address(0x60f);
    address internal constant ANYONE = address(0xa11);
    uint256 internal constant GENESIS = 1000;
    bytes32 internal constant GENESIS_SEED = keccak256("decai.genesis");

    function setUp() public {
        vm.roll(GENESIS);
        // 1000-block sessions, so one session spans more than the 256 blocks blockhash can see.
        clock = new SessionClock(GOV, 1000, 3);
    }

    function _record() internal returns (bytes32) {
        vm.prank(ANYONE);
        return clock.recordSessionSeed();
    }

    function test_record_usesBlockhashBeforeSessionStart() public {
        bytes32 hash = keccak256("block 1999");
        vm.roll(2000 + 255); // session 1 starts at 2000; block 1999 is 256 blocks back: still visible
        vm.setBlockhash(1999, hash);
        vm.assertEq(blockhash(1999), hash);

        vm.expectEmit(true, true, true, true, address(clock));
        emit SessionClock.SessionSeedRecorded(1, hash);
        bytes32 seed = _record();

        vm.assertEq(seed, hash);
        vm.assertEq(clock.sessionSeed(1), hash);
        vm.assertEq(clock.lastRecordedSeed(), hash);
    }

    function test_record_sessionZeroUsesBlockBeforeGenesis() public {
        bytes32 hash = keccak256("block 999");
        vm.roll(GENESIS + 3);
        vm.setBlockhash(999, hash);
        vm.assertEq(_record(), hash);
        vm.assertEq(clock.sessionSeed(0), hash);
    }

    function test_record_realRolledBlockhash() public {
        // No setBlockhash: the seed is whatever (non-zero) hash the test chain gives block 1999.
        vm.roll(2010);
        bytes32 hash = blockhash(1999);
        vm.assertNotEq(hash, bytes32(0));
        vm.assertEq(_record(), hash);
    }

    function test_record_fallsBackAfter256Blocks() public {
        vm.roll(2000 + 256); // block 1999 is 257 blocks back: blockhash returns zero
        vm.setBlockhash(1999, keccak256("block 1999"));
        vm.assertEq(blockhash(1999), bytes32(0));
        bytes32 expected = keccak256(abi.encode(GENESIS_SEED, uint64(1)));

        vm.expectEmit(true, true, true, true, address(clock));
        emit SessionClock.SessionSeedRecorded(1, expected);
        vm.assertEq(_record(), expected);
        vm.assertEq(clock.lastRecordedSeed(), expected);
    }

    function test_record_fallsBackOnZeroBlockhash() public {
        vm.roll(2001);
        vm.setBlockhash(1999, bytes32(0));
        vm.assertEq(_record(), keccak256(abi.encode(GENESIS_SEED, uint64(1))));
    }

    function test_record_fallbackChainsFromLastRecordedSeed() public {
        bytes32 hash = keccak256("block 1999");
        vm.roll(2001);
        vm.setBlockhash(1999, hash);
        _record(); // session 1 = hash
        vm.roll(5000 + 700); // session 4, far past its start
        bytes32 expected = keccak256(abi.encode(hash, uint64(4)));
        vm.assertEq(_record(), expected);
        vm.roll(6000 + 999); // session 5 chains from session 4's seed
        vm.assertEq(_record(), keccak256(abi.encode(expected, uint64(5))));
    }

    function test_record_isIdempotentWithinASession() public {
        vm.roll(2001);
        vm.setBlockhash(1999, keccak256("first"));
        bytes32 first = _record();
        // Even if the visible hash changes (it cannot on a real chain), the recorded seed is final.
        vm.setBlockhash(1999, keccak256("second"));
        vm.roll(2500);
        vm.recordLogs();
        vm.assertEq(_record(), first);
        Vm.Log[] memory logs = vm.getRecordedLogs();
        vm.assertEq(logs.length, 0, "no event on repeat");
        vm.assertEq(clock.sessionSeed(1), first);
        vm.assertEq(clock.lastRecordedSeed(), first);
    }

    function test_record_cannotRecordAPastSession() public {
        vm.roll(2001);
        _record(); // session 1
        vm.roll(4001); // session 3: session 2 was skipped
        bytes32 seed3 = _record();
        vm.assertEq(clock.sessionSeed(2), bytes32(0), "a skipped session stays unrecorded");
        vm.assertEq(clock.sessionSeed(3), seed3);
        vm.assertEq(clock.sessionSeed(4), bytes32(0), "a future session is unrecorded");
        // Recording again in session 3 cannot reach session 2.
        vm.assertEq(_record(), seed3);
        vm.assertEq(clock.sessionSeed(2), bytes32(0));
    }

    function test_record_genesisAtBlockZeroUsesFallback() public {
        vm.roll(0);
        SessionClock zero = new SessionClock(GOV, 10, 3);
        vm.assertEq(uint256(zero.genesisBlock()), 0);
        vm.roll(5);
        vm.assertEq(zero.recordSessionSeed(), keccak256(abi.encode(GENESIS_SEED, uint64(0))));
        // Session 1 starts at block 10, which has a predecessor.
        vm.roll(12);
        vm.setBlockhash(9, keccak256("nine"));
        vm.assertEq(zero.recordSessionSeed(), keccak256("nine"));
    }

    function test_record_followsEpochBoundaries() public {
        vm.roll(1500); // session 0
        vm.prank(GOV);
        clock.setBlocksPerSession(10); // session 1 = [2000, 2009], session 2 = [2010, 2019]
        bytes32 hash = keccak256("block 2009");
        vm.roll(2015);
        vm.setBlockhash(2009, hash);
        vm.assertEq(uint256(clock.currentSession()), 2);
        vm.assertEq(_record(), hash);
        vm.assertEq(clock.sessionSeed(2), hash);
    }

    function test_sessionSeed_isZeroWhenUnrecorded() public view {
        vm.assertEq(clock.sessionSeed(0), bytes32(0));
        vm.assertEq(clock.sessionSeed(type(uint64).max), bytes32(0));
    }
}
