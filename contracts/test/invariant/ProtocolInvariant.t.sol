// SPDX-License-Identifier: MIT
// Test code: never deployed.
pragma solidity ^0.8.24;

import {TestToken} from "../../src/TestToken.sol";
import {ClaimStatus} from "../../src/mining/RelayClaims.sol";
import {MiningFixture} from "../mining/MiningFixture.sol";
import {ProtocolHandler} from "./ProtocolHandler.sol";

/// @notice The whole protocol under random actors (stake, unstake, withdraw, delegate, claim, prove, settle,
///         governance parameter changes, time): funds are conserved, nothing is claimed or settled twice, nothing
///         is paid without a valid claim, and nothing is withdrawn before its unbonding ends.
abstract contract ProtocolInvariantBase is MiningFixture {
    uint256 internal constant APP2_KEY = 0xA22CE5;
    uint256 internal constant SUPPLIER3_KEY = 0x5B3;

    ProtocolHandler internal handler;

    function setUp() public override {
        super.setUp();
        address app2 = vm.addr(APP2_KEY);
        _fund(payToken, app2, ESCROW);
        vm.prank(app2);
        staking.stakeApplication(ESCROW, _ids(SVC_B));
        address supplier3 = vm.addr(SUPPLIER3_KEY);
        _stakeSupplier(supplier3, SUPPLIER_STAKE);
        _addService(supplier3, SVC_B, "https://relayminer.example");
        vm.prank(gov);
        mining.setProofRequestProbabilityPpm(500_000); // half the small claims must be proven

        uint256[] memory apps = new uint256[](2);
        (apps[0], apps[1]) = (APP_KEY, APP2_KEY);
        uint256[] memory suppliers = new uint256[](3);
        (suppliers[0], suppliers[1], suppliers[2]) = (SUPPLIER_KEY, SUPPLIER2_KEY, SUPPLIER3_KEY);
        handler = new ProtocolHandler(
            mining, SVC_B, apps, suppliers, GATEWAY_KEY, gov, source, 2 * ESCROW, 3 * SUPPLIER_STAKE + MIN_GATEWAY
        );
        targetContract(address(handler));
    }

    /// @dev Staking holds exactly its running totals, in the right token.
    function invariant_tokensHeldEqualTotals() public view {
        uint256 stakes = staking.totalSupplierStake() + staking.totalGatewayStake();
        if (address(stakeToken) == address(payToken)) {
            vm.assertEq(stakeToken.balanceOf(address(staking)), stakes + staking.totalApplicationEscrow());
        } else {
            vm.assertEq(stakeToken.balanceOf(address(staking)), stakes);
            vm.assertEq(payToken.balanceOf(address(staking)), staking.totalApplicationEscrow());
        }
    }

    /// @dev Escrow only grows by deposits and shrinks by withdrawals and settlements; stake only by deposits,
    ///      withdrawals and slashes; and every unit paid or slashed reached a payee: funds are conserved.
    function invariant_fundsConserved() public view {
        vm.assertEq(
            handler.escrowIn() - handler.escrowOut() - handler.totalPaid(), staking.totalApplicationEscrow(), "escrow"
        );
        vm.assertEq(
            handler.stakeIn() - handler.stakeOut() - handler.totalSlashed(),
            staking.totalSupplierStake() + staking.totalGatewayStake(),
            "stake"
        );
        uint256 sameTokenSlash = address(stakeToken) == address(payToken) ? handler.totalSlashed() : 0;
        vm.assertEq(handler.receivedBySettlement(), handler.totalPaid() + sameTokenSlash, "payees");
        address[] memory actors = handler.actors();
        uint256 escrows;
        for (uint256 i; i < actors.length; ++i) {
            (uint256 e,,,) = staking.getApplication(actors[i]);
            escrows += e;
        }
        (uint256 setupApp,,,) = staking.getApplication(application);
        vm.assertLe(escrows, staking.totalApplicationEscrow() + setupApp);
    }

    /// @dev A (supplier, application, service, session) is claimed once and settled at most once.
    function invariant_noDoubleClaimOrSettle() public view {
        vm.assertEq(handler.doubleClaims(), 0, "claimed twice");
        vm.assertEq(handler.doubleSettles(), 0, "settled twice");
        bytes32[] memory keys = handler.claimKeys();
        for (uint256 i; i < keys.length; ++i) {
            uint256 n = handler.settlements(keys[i]);
            vm.assertLe(n, 1);
            ClaimStatus status = mining.getClaim(keys[i]).status;
            vm.assertEq(status == ClaimStatus.Settled || status == ClaimStatus.Voided, n == 1);
        }
    }

    /// @dev Nothing is paid for a claim whose required proof was not accepted, a bogus root is never proven, and
    ///      no settlement pays past the relay meter's cap.
    function invariant_noPayoutWithoutAValidClaim() public view {
        vm.assertEq(handler.unprovenPayouts(), 0, "paid without a required proof");
        vm.assertEq(handler.bogusProven(), 0, "a bogus root was proven");
        vm.assertEq(handler.capViolations(), 0, "paid past the cap");
    }

    /// @dev No stake or escrow left before its unbonding ended (nor without unstaking).
    function invariant_nothingWithdrawableBeforeUnbonding() public view {
        vm.assertEq(handler.earlyWithdrawals(), 0);
    }
}

/// @notice Distinct stake and payment tokens.
contract ProtocolInvariantTest is ProtocolInvariantBase {
    /// @dev The handler reaches every path (guards against a handler that silently does nothing).
    function test_handlerExercisesEveryPath() public {
        handler.claim(0, 0, 1000, 0); // signed by the application
        handler.claim(0, 1, 2000, 1); // signed by its gateway
        handler.claim(1, 0, 3000, 2); // a bogus root
        handler.claimAgain(0);
        handler.prove(0, 0);
        handler.prove(1, 1);
        handler.prove(2, 0); // a forged proof of the bogus root
        for (uint256 i; i < 3; ++i) {
            handler.settle(i);
        }
        handler.settle(0); // a second settlement is refused
        handler.withdrawSupplier(0); // not unbonding: refused
        handler.unstakeSupplier(2);
        handler.withdrawSupplier(2); // still unbonding: refused
        handler.unstakeApplication(1);
        for (uint256 i; i < 8; ++i) {
            handler.advance(12);
        }
        handler.withdrawSupplier(2);
        handler.withdrawApplication(1);
        handler.stakeSupplier(2, 0);
        handler.topUp(1, 1e9);
        handler.undelegate(0);
        handler.delegate(0);
        handler.setParameter(1, 5000);
        handler.updateDifficulty(1);
        vm.assertEq(handler.callsOf("claim") + handler.callsOf("claimViaGateway"), 2);
        vm.assertEq(handler.callsOf("claimBogus"), 1);
        vm.assertEq(handler.callsOf("claimAgainRefused"), 1);
        vm.assertEq(handler.callsOf("prove"), 2);
        vm.assertEq(handler.callsOf("settle") + handler.callsOf("void"), 3);
        vm.assertGt(handler.totalPaid(), 0);
        vm.assertEq(handler.callsOf("withdrawSupplier"), 1);
        vm.assertEq(handler.callsOf("withdrawApplication"), 1);
        vm.assertEq(handler.callsOf("stakeSupplier"), 1);
        vm.assertEq(handler.callsOf("topUp"), 1);
        vm.assertEq(handler.callsOf("undelegate") + handler.callsOf("delegate"), 2);
        vm.assertEq(handler.callsOf("setParameter"), 1);
        invariant_tokensHeldEqualTotals();
        invariant_fundsConserved();
        invariant_noDoubleClaimOrSettle();
        invariant_noPayoutWithoutAValidClaim();
        invariant_nothingWithdrawableBeforeUnbonding();
    }
}

/// @notice One token for stakes and escrows.
contract ProtocolSameTokenInvariantTest is ProtocolInvariantBase {
    function _deployBase() internal override {
        stakeToken = new TestToken("Decai", "DCT", 18);
        payToken = stakeToken;
        _deploy(address(stakeToken), address(payToken));
    }
}
