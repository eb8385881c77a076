// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Sessions} from "../../src/Sessions.sol";
import {Claim, ClaimStatus, RelayClaims} from "../../src/mining/RelayClaims.sol";
import {MiningFixture} from "./MiningFixture.sol";

/// @notice `claim`: windows, membership, duplicates, the stored claim and the relay meter's cap.
contract RelayMiningClaimsTest is MiningFixture {
    bytes32 internal constant ROOT = keccak256("root");

    function test_claimWindow_followsTheSessionEnd() public view {
        (uint64 open, uint64 close) = mining.claimWindow(S);
        vm.assertEq(uint256(open), uint256(clock.sessionEndBlock(S)) + 1 + OFFSET);
        vm.assertEq(uint256(close), uint256(open) + CLAIM_BLOCKS);
        (uint64 proofOpen, uint64 proofClose) = mining.proofWindow(S);
        vm.assertEq(uint256(proofOpen), close);
        vm.assertEq(uint256(proofClose), uint256(close) + PROOF_BLOCKS);
    }

    function test_claim_storesTheClaimAndEmits() public {
        (uint64 open, uint64 close) = mining.claimWindow(S);
        vm.roll(open);
        bytes32 key = mining.claimKey(supplier, application, SVC_A, S);
        vm.assertEq(key, keccak256(abi.encode(supplier, application, SVC_A, S)));
        vm.expectEmit(true, true, true, true, address(mining));
        emit RelayClaims.ClaimSubmitted(key, supplier, application, SVC_A, S, ROOT, 40, 7);
        vm.prank(supplier);
        vm.assertEq(mining.claim(application, SVC_A, S, ROOT, 40, 7), key);

        Claim memory c = mining.getClaim(key);
        vm.assertEq(c.supplier, supplier);
        vm.assertEq(c.application, application);
        vm.assertEq(c.serviceId, SVC_A);
        vm.assertEq(uint256(c.session), S);
        vm.assertEq(c.rootHash, ROOT);
        vm.assertEq(uint256(c.rootSum), 40);
        vm.assertEq(uint256(c.rootCount), 7);
        vm.assertEq(uint256(c.status), uint256(ClaimStatus.Claimed));
        vm.assertEq(uint256(c.proofWindowOpen), close);
        vm.assertEq(uint256(c.proofWindowClose), uint256(close) + PROOF_BLOCKS);
        vm.assertEq(mining.claimedCount(SVC_A, S), 7);
    }

    function test_claim_acceptsTheLastBlockOfTheWindow() public {
        (, uint64 close) = mining.claimWindow(S);
        vm.roll(close - 1);
        vm.prank(supplier);
        mining.claim(application, SVC_A, S, ROOT, 1, 1);
        vm.assertEq(uint256(mining.getClaim(mining.claimKey(supplier, application, SVC_A, S)).status), 1);
    }

    function test_claim_rejectsAnEarlyClaim() public {
        (uint64 open, uint64 close) = mining.claimWindow(S);
        vm.roll(open - 1); // still in the grace period after the session
        vm.expectRevert(abi.encodeWithSelector(RelayClaims.ClaimOutsideWindow.selector, open - 1, open, close));
        vm.prank(supplier);
        mining.claim(application, SVC_A, S, ROOT, 1, 1);
    }

    function test_claim_rejectsAClaimDuringTheSession() public {
        (uint64 open, uint64 close) = mining.claimWindow(S);
        vm.expectRevert(abi.encodeWithSelector(RelayClaims.ClaimOutsideWindow.selector, block.number, open, close));
        vm.prank(supplier);
        mining.claim(application, SVC_A, S, ROOT, 1, 1);
    }

    function test_claim_rejectsALateClaim() public {
        (uint64 open, uint64 close) = mining.claimWindow(S);
        vm.roll(close);
        vm.expectRevert(abi.encodeWithSelector(RelayClaims.ClaimOutsideWindow.selector, close, open, close));
        vm.prank(supplier);
        mining.claim(application, SVC_A, S, ROOT, 1, 1);
    }

    function test_claim_rejectsADuplicate() public {
        _rollToWindow();
        vm.prank(supplier);
        bytes32 key = mining.claim(application, SVC_A, S, ROOT, 1, 1);
        vm.expectRevert(abi.encodeWithSelector(RelayClaims.DuplicateClaim.selector, key));
        vm.prank(supplier);
        mining.claim(application, SVC_A, S, keccak256("another root"), 2, 2);
    }

    function test_claim_keysEachSupplierServiceAndSessionApart() public {
        _rollToWindow();
        vm.prank(supplier);
        bytes32 a = mining.claim(application, SVC_A, S, ROOT, 1, 1);
        vm.prank(supplier);
        bytes32 b = mining.claim(application, SVC_B, S, ROOT, 1, 1);
        vm.prank(supplier2);
        bytes32 c = mining.claim(application, SVC_A, S, ROOT, 1, 1);
        vm.assertNotEq(a, b);
        vm.assertNotEq(a, c);
        vm.assertEq(mining.claimedCount(SVC_A, S), 2);
    }

    function test_claim_rejectsAnEmptyRoot() public {
        _rollToWindow();
        vm.startPrank(supplier);
        vm.expectRevert(RelayClaims.EmptyClaim.selector);
        mining.claim(application, SVC_A, S, ROOT, 0, 1);
        vm.expectRevert(RelayClaims.EmptyClaim.selector);
        mining.claim(application, SVC_A, S, ROOT, 1, 0);
        vm.stopPrank();
    }

    function test_claim_rejectsAnUnstakedSupplier() public {
        _rollToWindow();
        vm.expectRevert(
            abi.encodeWithSelector(RelayClaims.NotSessionSupplier.selector, stranger, application, SVC_A, S)
        );
        vm.prank(stranger);
        mining.claim(application, SVC_A, S, ROOT, 1, 1);
    }

    function test_claim_rejectsAStakedSupplierNotDrawnForTheSession() public {
        // Five suppliers for three seats: at least two are staked for the service but not drawn.
        for (uint256 i; i < 3; ++i) {
            address extra = vm.addr(0xE00 + i);
            _stakeSupplier(extra, SUPPLIER_STAKE);
            _addService(extra, SVC_A, "https://relayminer.example");
        }
        uint64 session = S + 1;
        _enterSession(session);
        address[] memory drawn = sessions.getSessionSuppliers(application, SVC_A, session);
        vm.assertEq(drawn.length, SUPPLIERS_PER_SESSION);
        address outsider = _notDrawn(drawn);
        (uint64 open,) = mining.claimWindow(session);
        vm.roll(open);
        vm.expectRevert(
            abi.encodeWithSelector(RelayClaims.NotSessionSupplier.selector, outsider, application, SVC_A, session)
        );
        vm.prank(outsider);
        mining.claim(application, SVC_A, session, ROOT, 1, 1);
        vm.prank(drawn[0]);
        mining.claim(application, SVC_A, session, ROOT, 1, 1);
    }

    function test_claim_rejectsAServiceTheApplicationDoesNotUse() public {
        _addService(supplier, _svc(0), "https://relayminer.example");
        uint64 session = S + 1;
        _enterSession(session);
        (uint64 open,) = mining.claimWindow(session);
        vm.roll(open);
        vm.expectRevert(abi.encodeWithSelector(RelayClaims.ServiceNotUsed.selector, application, _svc(0)));
        vm.prank(supplier);
        mining.claim(application, _svc(0), session, ROOT, 1, 1);
    }

    function test_claim_rejectsASessionWithoutSeed() public {
        // Session S + 1 is skipped without anyone recording its seed: it has no suppliers.
        uint64 session = S + 1;
        (uint64 open,) = mining.claimWindow(session);
        vm.roll(open);
        vm.expectRevert(abi.encodeWithSelector(Sessions.SessionSeedNotRecorded.selector, session));
        vm.prank(supplier);
        mining.claim(application, SVC_A, session, ROOT, 1, 1);
    }

    function test_claim_keepsItsProofWindowWhenGovernanceChangesIt() public {
        _rollToWindow();
        vm.prank(supplier);
        bytes32 key = mining.claim(application, SVC_A, S, ROOT, 1, 1);
        uint64 closeBefore = mining.getClaim(key).proofWindowClose;
        vm.prank(gov);
        mining.setProofWindowBlocks(200);
        vm.assertEq(uint256(mining.getClaim(key).proofWindowClose), closeBefore);
        (, uint64 newClose) = mining.proofWindow(S);
        vm.assertEq(uint256(newClose), uint256(closeBefore) - PROOF_BLOCKS + 200);
    }

    // ------------------------------------------------------------------ relay meter

    function test_maxPayablePerSupplier_dividesTheEscrow() public view {
        // pendingSessions = ceil((2 + 5 + 5) / 10) + 1 = 3, suppliersPerSession = 3.
        vm.assertEq(mining.pendingSessions(S), 3);
        vm.assertEq(mining.maxPayablePerSupplier(application, S), ESCROW / 9);
    }

    function test_maxPayablePerSupplier_usesTheEscrowAtTheFirstClaim() public {
        _rollToWindow();
        vm.prank(supplier);
        mining.claim(application, SVC_A, S, ROOT, 1, 1);
        // A top-up after the first claim raises the cap of later sessions, not of this one.
        _fund(payToken, application, ESCROW);
        vm.prank(application);
        staking.stakeApplication(ESCROW, new bytes32[](0));
        vm.assertEq(mining.maxPayablePerSupplier(application, S), ESCROW / 9);
        vm.assertEq(mining.maxPayablePerSupplier(application, S + 1), 2 * ESCROW / 9);
    }

    function _rollToWindow() internal {
        (uint64 open,) = mining.claimWindow(S);
        vm.roll(open);
    }

    function _notDrawn(address[] memory drawn) internal view returns (address) {
        for (uint256 i; i < 3; ++i) {
            address candidate = vm.addr(0xE00 + i);
            bool found;
            for (uint256 j; j < drawn.length; ++j) {
                if (drawn[j] == candidate) found = true;
            }
            if (!found && candidate != supplier && candidate != supplier2) return candidate;
        }
        for (uint256 j; j < drawn.length; ++j) {
            if (drawn[j] == supplier) return supplier2;
        }
        return supplier;
    }
}
