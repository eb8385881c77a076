// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {ComputeUnitMode} from "../../src/interfaces/IServiceRegistry.sol";
import {MiningMath} from "../../src/mining/MiningMath.sol";
import {Test} from "../utils/Test.sol";
import {MiningFixture} from "./MiningFixture.sol";

/// @notice Properties of the relay-mining arithmetic over its whole input range.
contract MiningMathFuzzTest is Test {
    uint256 internal constant MAX = type(uint256).max;

    function testFuzz_split_partsAlwaysAddUp(uint256 amount, uint256 daoBps, uint256 sourceBps) public pure {
        daoBps = bound(daoBps, 0, 5000);
        sourceBps = bound(sourceBps, 0, 5000);
        (uint256 dao, uint256 source, uint256 supplier) = MiningMath.split(amount, daoBps, sourceBps);
        vm.assertEq(dao + source + supplier, amount);
        vm.assertEq(dao, Math.mulDiv(amount, daoBps, 10_000));
        vm.assertEq(source, Math.mulDiv(amount, sourceBps, 10_000));
        // The supplier keeps at least its nominal share.
        vm.assertGe(supplier, Math.mulDiv(amount, 10_000 - daoBps - sourceBps, 10_000));
    }

    function testFuzz_scaleUp_isExactAtTheEasiestTargetAndNeverShrinks(uint256 x, uint256 target) public pure {
        target = bound(target, 1, MAX);
        vm.assertEq(MiningMath.scaleUp(x, MAX), x);
        uint256 scaled = MiningMath.scaleUp(x, target);
        vm.assertGe(scaled, x);
        if (x > target) vm.assertEq(scaled, MAX);
        else vm.assertEq(scaled, Math.mulDiv(x, MAX, target));
    }

    function testFuzz_emaStep_staysBetweenItsInputs(uint256 ema, uint256 estimate, uint256 alphaBps) public pure {
        alphaBps = bound(alphaBps, 1, 10_000);
        uint256 next = MiningMath.emaStep(ema, estimate, alphaBps);
        uint256 lo = Math.min(ema, estimate);
        vm.assertLe(next, Math.max(ema, estimate));
        vm.assertGe(next, lo < 2 ? 0 : lo - 2); // two roundings down at most
        if (alphaBps == 10_000) vm.assertEq(next, estimate);
    }

    function testFuzz_targetFor_makesTheWantedShareApplicable(uint256 ema, uint256 targetRelays) public pure {
        targetRelays = bound(targetRelays, 1, type(uint64).max);
        uint256 target = MiningMath.targetFor(ema, targetRelays);
        vm.assertGe(target, 1);
        if (ema <= targetRelays) {
            vm.assertEq(target, MAX);
        } else {
            // Of `ema` relays, targetRelays (rounded down by at most one) fall below the target.
            uint256 applicable = Math.mulDiv(ema, target, MAX);
            vm.assertLe(applicable, targetRelays);
            vm.assertGe(applicable + 1, targetRelays);
        }
    }

    function testFuzz_targetFor_fallsAsTrafficRises(uint256 a, uint256 b, uint256 targetRelays) public pure {
        targetRelays = bound(targetRelays, 1, type(uint64).max);
        (uint256 lo, uint256 hi) = a < b ? (a, b) : (b, a);
        vm.assertGe(MiningMath.targetFor(lo, targetRelays), MiningMath.targetFor(hi, targetRelays));
    }

    function testFuzz_pendingSessions_coverTheWindows(uint256 window, uint256 blocksPerSession) public pure {
        window = bound(window, 0, 3_000_000);
        blocksPerSession = bound(blocksPerSession, 2, 1_000_000);
        uint256 pending = MiningMath.pendingSessions(window, blocksPerSession);
        vm.assertGe((pending - 1) * blocksPerSession, window);
        if (pending >= 2) vm.assertLt((pending - 2) * blocksPerSession, window == 0 ? 1 : window);
    }
}

/// @notice Settlement end to end with random sums, prices, difficulties, escrows and shares.
contract SettlementAmountFuzzTest is MiningFixture {
    struct Case {
        uint64 rootSum;
        uint256 price;
        uint256 target;
        uint256 escrow;
        uint16 daoBps;
        uint16 sourceBps;
    }

    function testFuzz_settle_paysTheCappedAmountSplitExactly(
        uint64 rootSum,
        uint256 price,
        uint256 target,
        uint256 topUp,
        uint16 daoBps,
        uint16 sourceBps
    ) public {
        Case memory c = Case({
            rootSum: uint64(bound(rootSum, 1, type(uint64).max)),
            price: bound(price, 0, 2 ** 128),
            target: bound(target, 1, MAX),
            escrow: ESCROW + bound(topUp, 0, 1e36),
            daoBps: uint16(bound(daoBps, 0, 5000)),
            sourceBps: uint16(bound(sourceBps, 0, 5000))
        });
        _configure(c);
        bytes32 key = _claimNextSession(c.rootSum);

        uint256 cap = mining.maxPayablePerSupplier(application, S + 1);
        vm.assertEq(cap, c.escrow / 9);
        // A sum that scales past 2^256 - 1 reaches even the highest threshold: it must be proven.
        bool voided = MiningMath.scaleUp(c.rootSum, c.target) == MAX;
        uint256 full = MiningMath.scaleUp(uint256(c.rootSum) * c.price, c.target);
        uint256 expected = voided ? 0 : Math.min(full, cap);
        uint256 amount = mining.settle(key);

        vm.assertEq(amount, expected);
        vm.assertLe(amount, cap);
        uint256 received = payToken.balanceOf(supplier) + payToken.balanceOf(source) + payToken.balanceOf(dao);
        vm.assertEq(received, amount);
        vm.assertEq(payToken.balanceOf(dao), Math.mulDiv(amount, c.daoBps, 10_000));
        vm.assertEq(payToken.balanceOf(source), Math.mulDiv(amount, c.sourceBps, 10_000));
        vm.assertEq(staking.applicationEscrow(application), c.escrow - amount);
        vm.assertEq(payToken.balanceOf(address(staking)), c.escrow - amount);
    }

    function _configure(Case memory c) internal {
        vm.startPrank(gov);
        mining.setProofRequestProbabilityPpm(0);
        mining.setPaymentPerComputeUnit(c.price);
        mining.setInitialTarget(c.target);
        staking.setDaoShareBps(c.daoBps);
        vm.stopPrank();
        vm.prank(source);
        registry.updateService(
            SVC_A, "tiny-llama-q4", bytes32(uint256(1)), c.sourceBps, ComputeUnitMode.PerRelay, 1, 0, 0
        );
        uint256 topUp = c.escrow - ESCROW;
        if (topUp != 0) {
            _fund(payToken, application, topUp);
            vm.prank(application);
            staking.stakeApplication(topUp, new bytes32[](0));
        }
    }

    /// @dev Claims `rootSum` for session S + 1 (the first under the new target) and moves to settlement.
    function _claimNextSession(uint64 rootSum) internal returns (bytes32 key) {
        _enterSession(S + 1);
        (uint64 open,) = mining.claimWindow(S + 1);
        vm.roll(open);
        vm.prank(supplier);
        key = mining.claim(application, SVC_A, S + 1, keccak256("root"), rootSum, 1);
        vm.roll(mining.getClaim(key).proofWindowClose);
    }
}
