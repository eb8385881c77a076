// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ApplicationStaking} from "../../src/ApplicationStaking.sol";
import {StakingParams} from "../../src/StakingParams.sol";
import {SupplierStaking} from "../../src/SupplierStaking.sol";
import {ClaimStatus} from "../../src/mining/RelayClaims.sol";
import {RelaySettlement} from "../../src/mining/RelaySettlement.sol";
import {MiningFixture} from "./MiningFixture.sol";
import {SmstLeaf} from "./utils/SmstBuilder.sol";

/// @notice `settle`: payment and its split, caps, voiding and slashing, and the Staking hooks it uses.
contract RelayMiningSettlementTest is MiningFixture {
    bytes32 internal constant ROOT = keccak256("root");

    // ------------------------------------------------------------------ paid claims

    function test_settle_paysAProvenClaimAndSplitsIt() public {
        bytes32 key = _claimAndProve(1);
        _toSettlement(key);
        // One relay of weight 1 at the easiest target: 1 * PRICE, 10% DAO, 10% source (SVC_A), 80% supplier.
        uint256 amount = PRICE;
        vm.assertEq(mining.settlementAmount(key), amount);
        vm.expectEmit(true, false, false, true, address(mining));
        emit RelaySettlement.ClaimSettled(key, amount, amount * 8 / 10, amount / 10, amount / 10);
        vm.assertEq(mining.settle(key), amount);

        vm.assertEq(payToken.balanceOf(supplier), amount * 8 / 10);
        vm.assertEq(payToken.balanceOf(source), amount / 10);
        vm.assertEq(payToken.balanceOf(dao), amount / 10);
        vm.assertEq(staking.applicationEscrow(application), ESCROW - amount);
        vm.assertEq(staking.totalApplicationEscrow(), ESCROW - amount);
        vm.assertEq(payToken.balanceOf(address(staking)), ESCROW - amount);
        vm.assertEq(uint256(mining.getClaim(key).status), uint256(ClaimStatus.Settled));
    }

    function test_settle_paysAnUnprovenClaimThatNeedsNoProof() public {
        vm.prank(gov);
        mining.setProofRequestProbabilityPpm(0);
        bytes32 key = _claimRoot(supplier, SVC_B, S, 250);
        _toSettlement(key);
        vm.assertFalse(mining.isProofRequired(key));
        mining.settle(key);
        // SVC_B: source share 5%, DAO 10%.
        uint256 amount = 250 * PRICE;
        vm.assertEq(payToken.balanceOf(source), amount * 5 / 100);
        vm.assertEq(payToken.balanceOf(dao), amount / 10);
        vm.assertEq(payToken.balanceOf(supplier), amount - amount * 5 / 100 - amount / 10);
    }

    function test_settle_scalesTheSumByTheDifficulty() public {
        vm.startPrank(gov);
        mining.setProofRequestProbabilityPpm(0);
        mining.setInitialTarget(MAX >> 2); // one relay in four is applicable: each counts four times
        vm.stopPrank();
        _enterSession(S + 1);
        bytes32 key = _claimRoot(supplier, SVC_A, S + 1, 10);
        _toSettlement(key);
        vm.assertEq(mining.settle(key), 40 * PRICE);
    }

    function test_settle_capsEachClaimAtTheMeterAndTheEscrowLeft() public {
        vm.prank(gov);
        mining.setProofRequestProbabilityPpm(0);
        uint256 cap = mining.maxPayablePerSupplier(application, S);
        vm.assertEq(cap, ESCROW / 9);
        // 2 suppliers x 2 services x 3 sessions = 12 claims worth far more than the cap each, all made
        // before any is settled: the escrow pays the first ones their cap and runs dry.
        bytes32[] memory keys = new bytes32[](12);
        uint256 n;
        for (uint64 session = S; session < S + 3; ++session) {
            if (session != S) _enterSession(session);
            for (uint256 i; i < 4; ++i) {
                keys[n++] = _claimRoot(i % 2 == 0 ? supplier : supplier2, i < 2 ? SVC_A : SVC_B, session, 1e12);
            }
        }
        _toSettlement(keys[11]);
        uint256 paid;
        for (uint256 i; i < keys.length; ++i) {
            uint256 expected = cap < ESCROW - paid ? cap : ESCROW - paid;
            vm.assertEq(mining.settle(keys[i]), expected);
            paid += expected;
        }
        vm.assertEq(paid, ESCROW);
        vm.assertEq(staking.applicationEscrow(application), 0);
        vm.assertEq(payToken.balanceOf(address(staking)), 0);
        vm.assertEq(
            payToken.balanceOf(supplier) + payToken.balanceOf(supplier2) + payToken.balanceOf(source)
                + payToken.balanceOf(dao),
            ESCROW
        );
    }

    function test_settle_paysWhileTheApplicationUnbonds() public {
        bytes32 key = _claimAndProve(1);
        vm.prank(application);
        staking.unstakeApplication();
        _toSettlement(key);
        vm.assertEq(mining.settle(key), PRICE);
    }

    // ------------------------------------------------------------------ voided claims

    function test_settle_voidsAClaimWithoutItsRequiredProofAndSlashes() public {
        bytes32 key = _claimRoot(supplier, SVC_A, S, 5);
        _toSettlement(key);
        vm.assertTrue(mining.isProofRequired(key));
        uint256 slash = SUPPLIER_STAKE * SLASH_BPS / 10_000;
        vm.expectEmit(true, true, false, true, address(mining));
        emit RelaySettlement.ClaimVoided(key, supplier, slash);
        vm.expectEmit(true, true, false, true, address(staking));
        emit SupplierStaking.SupplierSlashed(supplier, slash, dao);
        vm.assertEq(mining.settle(key), 0);

        vm.assertEq(uint256(mining.getClaim(key).status), uint256(ClaimStatus.Voided));
        vm.assertEq(staking.supplierStake(supplier), SUPPLIER_STAKE - slash);
        vm.assertEq(staking.totalSupplierStake(), 2 * SUPPLIER_STAKE - slash);
        vm.assertEq(stakeToken.balanceOf(dao), slash);
        vm.assertEq(stakeToken.balanceOf(address(staking)), 2 * SUPPLIER_STAKE + MIN_GATEWAY - slash);
        // Nothing is paid.
        vm.assertEq(staking.applicationEscrow(application), ESCROW);
        vm.assertEq(payToken.balanceOf(supplier), 0);
    }

    function test_settle_voidsAClaimAboveTheThresholdEvenWithoutProbability() public {
        vm.startPrank(gov);
        mining.setProofRequestProbabilityPpm(0);
        mining.setProofRequirementThreshold(5);
        vm.stopPrank();
        bytes32 small = _claimRoot(supplier, SVC_A, S, 4);
        bytes32 large = _claimRoot(supplier2, SVC_A, S, 5);
        _toSettlement(large);
        vm.assertFalse(mining.isProofRequired(small));
        vm.assertTrue(mining.isProofRequired(large));
        vm.assertEq(mining.settle(small), 4 * PRICE);
        vm.assertEq(mining.settle(large), 0);
        vm.assertEq(uint256(mining.getClaim(large).status), uint256(ClaimStatus.Voided));
    }

    function test_settle_slashesOnlyWhatIsLeftOfAWithdrawnStake() public {
        bytes32 key = _claimRoot(supplier, SVC_A, S, 5);
        vm.prank(supplier);
        staking.unstakeSupplier();
        (, uint64 withdrawable,) = staking.getSupplier(supplier);
        _toSession(withdrawable);
        vm.prank(supplier);
        staking.withdrawSupplier();
        vm.expectEmit(true, true, false, true, address(mining));
        emit RelaySettlement.ClaimVoided(key, supplier, 0);
        mining.settle(key);
        vm.assertEq(stakeToken.balanceOf(dao), 0);
    }

    // ------------------------------------------------------------------ rejections

    function test_settle_rejectsBeforeTheProofWindowCloses() public {
        bytes32 key = _claimAndProve(1);
        uint64 close = mining.getClaim(key).proofWindowClose;
        vm.roll(close - 1);
        vm.expectRevert(abi.encodeWithSelector(RelaySettlement.ProofWindowNotClosed.selector, key, close));
        mining.settle(key);
    }

    function test_settle_rejectsASecondSettlement() public {
        bytes32 key = _claimAndProve(1);
        _toSettlement(key);
        mining.settle(key);
        vm.expectRevert(abi.encodeWithSelector(RelaySettlement.AlreadySettled.selector, key));
        mining.settle(key);
    }

    function test_settle_rejectsASecondSettlementOfAVoidedClaim() public {
        bytes32 key = _claimRoot(supplier, SVC_A, S, 5);
        _toSettlement(key);
        mining.settle(key);
        vm.expectRevert(abi.encodeWithSelector(RelaySettlement.AlreadySettled.selector, key));
        mining.settle(key);
        vm.assertEq(staking.supplierStake(supplier), SUPPLIER_STAKE - SUPPLIER_STAKE * SLASH_BPS / 10_000);
    }

    function test_settle_rejectsAnUnknownClaim() public {
        vm.expectRevert(abi.encodeWithSelector(bytes4(keccak256("UnknownClaim(bytes32)")), bytes32(uint256(1))));
        mining.settle(bytes32(uint256(1)));
    }

    // ------------------------------------------------------------------ staking hooks

    function test_hooks_rejectEveryoneButTheSettlementContract() public {
        vm.expectRevert(abi.encodeWithSelector(StakingParams.NotSettlement.selector, address(this)));
        staking.payFromEscrow(application, supplier, source, 1, 0, 0);
        vm.expectRevert(abi.encodeWithSelector(StakingParams.NotSettlement.selector, gov));
        vm.prank(gov);
        staking.slashSupplier(supplier, 1, dao);
    }

    function test_hooks_payFromEscrowRejectsMoreThanTheEscrow() public {
        vm.expectRevert(
            abi.encodeWithSelector(ApplicationStaking.InsufficientEscrow.selector, application, ESCROW, ESCROW + 1)
        );
        vm.prank(address(mining));
        staking.payFromEscrow(application, supplier, source, ESCROW, 0, 1);
    }

    function test_setSettlement_isSetOnceByGovernance() public {
        vm.assertEq(staking.settlement(), address(mining));
        vm.expectRevert(abi.encodeWithSelector(StakingParams.SettlementAlreadySet.selector, address(mining)));
        vm.prank(gov);
        staking.setSettlement(address(1));
    }

    // ------------------------------------------------------------------ helpers

    /// @dev Claims a root of `sum` compute units as `who` for (application, serviceId, session).
    function _claimRoot(address who, bytes32 serviceId, uint64 session, uint64 sum) internal returns (bytes32 key) {
        (uint64 open,) = mining.claimWindow(session);
        if (block.number < open) vm.roll(open);
        vm.prank(who);
        key = mining.claim(application, serviceId, session, ROOT, sum, 1);
    }

    function _claimAndProve(uint64 nonce) internal returns (bytes32 key) {
        bytes memory relay;
        SmstLeaf[] memory leaves;
        (key, relay, leaves) = _claimOne(nonce);
        _toProofWindow(key);
        (bytes memory proof,) = _proofFor(key, leaves);
        mining.submitProof(key, proof, relay);
    }
}

/// @notice `setSettlement` on a fresh Staking.
contract StakingSetSettlementTest is MiningFixture {
    function test_setSettlement_rejectsZeroAndNonGovernance() public {
        _deploy(address(stakeToken), address(payToken));
        vm.expectRevert(abi.encodeWithSelector(bytes4(keccak256("NotGovernance(address)")), address(this)));
        staking.setSettlement(address(1));
        vm.expectRevert(bytes4(keccak256("ZeroAddress()")));
        vm.prank(gov);
        staking.setSettlement(address(0));
        vm.expectEmit(true, false, false, false, address(staking));
        emit StakingParams.SettlementSet(address(1));
        vm.prank(gov);
        staking.setSettlement(address(1));
    }
}
