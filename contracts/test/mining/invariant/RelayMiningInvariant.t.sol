// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {TestToken} from "../../../src/TestToken.sol";
import {ClaimStatus} from "../../../src/mining/RelayClaims.sol";
import {MiningFixture} from "../MiningFixture.sol";
import {RelayMiningHandler} from "./RelayMiningHandler.sol";

/// @notice Conservation and settle-once invariants of relay mining under random sequences of claims,
///         proofs, settlements, top-ups, difficulty updates and time.
abstract contract RelayMiningInvariantBase is MiningFixture {
    uint256 internal constant APP2_KEY = 0xA22CE5;

    RelayMiningHandler internal handler;

    function setUp() public override {
        super.setUp();
        address app2 = vm.addr(APP2_KEY);
        _fund(payToken, app2, ESCROW);
        vm.prank(app2);
        staking.stakeApplication(ESCROW, _ids(SVC_B));
        vm.prank(gov);
        mining.setProofRequestProbabilityPpm(500_000); // half the unproven claims are voided

        uint256[] memory apps = new uint256[](2);
        (apps[0], apps[1]) = (APP_KEY, APP2_KEY);
        uint256[] memory suppliers = new uint256[](2);
        (suppliers[0], suppliers[1]) = (SUPPLIER_KEY, SUPPLIER2_KEY);
        handler = new RelayMiningHandler(mining, SVC_B, apps, suppliers, 2 * ESCROW);
        targetContract(address(handler));
    }

    /// @dev Staking holds exactly its running totals, in the right token.
    function invariant_tokensHeldEqualTotals() public view {
        uint256 stakes = staking.totalSupplierStake() + staking.totalGatewayStake();
        if (address(stakeToken) == address(payToken)) {
            vm.assertEq(stakeToken.balanceOf(address(staking)), stakes + staking.totalApplicationEscrow());
        } else {
            vm.assertEq(payToken.balanceOf(address(staking)), staking.totalApplicationEscrow());
            vm.assertEq(stakeToken.balanceOf(address(staking)), stakes);
        }
    }

    /// @dev Escrow only leaves through settlements, and exactly by what they paid.
    function invariant_settledPayoutsEqualTheEscrowDecrease() public view {
        vm.assertEq(handler.escrowDeposited() - staking.totalApplicationEscrow(), handler.totalPaid());
    }

    /// @dev What left Staking reached the payees (nothing minted or burned); slashes went to the DAO.
    function invariant_payeesReceivedExactlyWhatLeft() public view {
        uint256 received = payToken.balanceOf(supplier) + payToken.balanceOf(supplier2) + payToken.balanceOf(source)
            + payToken.balanceOf(dao);
        if (address(stakeToken) == address(payToken)) {
            vm.assertEq(received, handler.totalPaid() + handler.totalSlashed());
        } else {
            vm.assertEq(received, handler.totalPaid());
            vm.assertEq(stakeToken.balanceOf(dao), handler.totalSlashed());
        }
        vm.assertEq(staking.totalSupplierStake(), 2 * SUPPLIER_STAKE - handler.totalSlashed());
    }

    /// @dev Every claim is settled at most once, and a claim is final exactly when it was settled.
    function invariant_noClaimSettledTwice() public view {
        bytes32[] memory keys = handler.claimKeys();
        for (uint256 i; i < keys.length; ++i) {
            uint256 n = handler.settlements(keys[i]);
            vm.assertLe(n, 1);
            ClaimStatus status = mining.getClaim(keys[i]).status;
            vm.assertEq(status == ClaimStatus.Settled || status == ClaimStatus.Voided, n == 1);
        }
    }

    /// @dev No settlement paid more than the relay meter's cap.
    function invariant_paymentsRespectTheCap() public view {
        vm.assertEq(handler.capViolations(), 0);
    }
}

/// @notice Distinct stake and payment tokens.
contract RelayMiningInvariantTest is RelayMiningInvariantBase {
    /// @dev The handler reaches every path (guards against a handler that silently does nothing).
    function test_handlerExercisesEveryPath() public {
        // Four distinct (application, supplier) pairs in one session; the last root is bogus.
        for (uint256 i; i < 4; ++i) {
            // casting to 'uint32' is safe because i < 4
            // forge-lint: disable-next-line(unsafe-typecast)
            handler.claim(i / 2, i % 2, uint32(1000 * i), i == 3);
        }
        handler.prove(0);
        handler.prove(1);
        for (uint256 i; i < 4; ++i) {
            handler.settle(i);
        }
        handler.settle(0); // a second settlement is rejected
        handler.topUp(0, 1e9);
        handler.updateDifficulty(1);
        vm.assertEq(handler.callsOf("claim"), 3);
        vm.assertEq(handler.callsOf("claimBogus"), 1);
        vm.assertEq(handler.callsOf("prove"), 2);
        vm.assertEq(handler.callsOf("settle") + handler.callsOf("void"), 4);
        vm.assertGe(handler.callsOf("settle"), 2); // the proven ones are paid
        vm.assertGt(handler.totalPaid(), 0);
        vm.assertEq(handler.callsOf("topUp"), 1);
        vm.assertEq(handler.callsOf("updateDifficulty"), 1);
        invariant_tokensHeldEqualTotals();
        invariant_settledPayoutsEqualTheEscrowDecrease();
        invariant_payeesReceivedExactlyWhatLeft();
        invariant_noClaimSettledTwice();
    }
}

/// @notice One token for stakes and escrows: the totals must still add up.
contract RelayMiningSameTokenInvariantTest is RelayMiningInvariantBase {
    function _deployBase() internal override {
        stakeToken = new TestToken("Decai", "DCT", 18);
        payToken = stakeToken;
        _deploy(address(stakeToken), address(payToken));
    }
}
