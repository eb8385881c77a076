// SPDX-License-Identifier: MIT
// Test code: never deployed.
pragma solidity ^0.8.24;

import {StakingParams} from "../../src/StakingParams.sol";
import {TestToken} from "../../src/TestToken.sol";
import {ClaimStatus} from "../../src/mining/RelayClaims.sol";
import {RelaySettlement} from "../../src/mining/RelaySettlement.sol";
import {MiningFixture} from "../mining/MiningFixture.sol";
import {ReentrancyAttacker, ReentrantToken} from "./ReentrantToken.sol";

/// @notice Re-entrancy with a malicious ERC-20 whose transfers call the holder back (ERC-777 style): a supplier,
///         gateway, application or DAO contract re-enters Staking and RelayMining from inside the token moves of
///         settlement, slashing, withdrawals and stakes. Every re-entry that could take value twice fails, and
///         the contracts hold exactly their totals afterwards.
abstract contract ReentrancyBase is MiningFixture {
    ReentrancyAttacker internal attacker;
    ReentrantToken internal stakeR;
    ReentrantToken internal payR;

    function setUp() public override {
        super.setUp();
        attacker = new ReentrancyAttacker();
        stakeR.setHooked(address(attacker), true);
        payR.setHooked(address(attacker), true);
    }

    // ------------------------------------------------------------------ settlement and slashing

    /// @dev The attacker, a supplier drawn in session S + 1, is paid at settlement and re-enters `settle`.
    function test_settlementPaysOnceWhenThePayeeReenters() public {
        _attackerSupplies();
        vm.prank(gov);
        mining.setProofRequestProbabilityPpm(0); // a contract cannot sign relays: no proof asked
        _enterSession(S + 1);
        bytes32 key = _attackerClaims(S + 1, 100);
        vm.roll(_claimOf(key).proofWindowClose);

        attacker.arm(address(mining), abi.encodeCall(RelaySettlement.settle, (key)));
        uint256 escrowBefore = staking.applicationEscrow(application);
        uint256 amount = mining.settle(key);

        vm.assertGt(amount, 0);
        _assertReentryFailed(RelaySettlement.AlreadySettled.selector);
        vm.assertEq(uint8(_claimOf(key).status), uint8(ClaimStatus.Settled));
        vm.assertEq(escrowBefore - staking.applicationEscrow(application), amount);
        // The attacker got its part (the amount less the DAO and source shares) once.
        vm.assertLt(payToken.balanceOf(address(attacker)), amount);
        vm.assertGt(payToken.balanceOf(address(attacker)), amount / 2);
        _assertTotalsHeld();
    }

    /// @dev A payee that re-enters Staking's escrow payout directly is refused: only RelayMining may pay.
    function test_escrowPayoutCannotBeCalledFromAPayee() public {
        _attackerSupplies();
        vm.prank(gov);
        mining.setProofRequestProbabilityPpm(0);
        _enterSession(S + 1);
        bytes32 key = _attackerClaims(S + 1, 100);
        vm.roll(_claimOf(key).proofWindowClose);
        attacker.arm(
            address(staking), abi.encodeCall(staking.payFromEscrow, (application, address(attacker), source, 1, 0, 0))
        );
        mining.settle(key);
        _assertReentryFailed(StakingParams.NotSettlement.selector);
        _assertTotalsHeld();
    }

    /// @dev The DAO (a contract) receives a slashed stake when a claim is voided, and re-enters `settle`.
    function test_slashingHappensOnceWhenTheDaoReenters() public {
        vm.prank(gov);
        staking.setDao(address(attacker));
        (bytes32 key,,) = _claimOne(1); // every claim must be proven (fixture default); none will be
        _toSettlement(key);
        attacker.arm(address(mining), abi.encodeCall(RelaySettlement.settle, (key)));
        uint256 stakeBefore = staking.supplierStake(supplier);

        vm.assertEq(mining.settle(key), 0);

        _assertReentryFailed(RelaySettlement.AlreadySettled.selector);
        vm.assertEq(uint8(_claimOf(key).status), uint8(ClaimStatus.Voided));
        uint256 slashed = stakeBefore - staking.supplierStake(supplier);
        vm.assertEq(slashed, stakeBefore * SLASH_BPS / 10_000);
        vm.assertEq(stakeToken.balanceOf(address(attacker)), slashed);
        _assertTotalsHeld();
    }

    // ------------------------------------------------------------------ withdrawals

    function test_supplierWithdrawalPaysOnceOnReentry() public {
        _attackerSupplies();
        attacker.exec(address(staking), abi.encodeCall(staking.unstakeSupplier, ()));
        (, uint64 withdrawable,) = staking.getSupplier(address(attacker));
        _toSession(withdrawable);
        attacker.arm(address(staking), abi.encodeCall(staking.withdrawSupplier, ()));
        uint256 totalBefore = staking.totalSupplierStake();

        attacker.exec(address(staking), abi.encodeCall(staking.withdrawSupplier, ()));

        _assertReentryFailed(StakingParams.NotStaked.selector);
        vm.assertEq(stakeToken.balanceOf(address(attacker)), SUPPLIER_STAKE);
        vm.assertEq(totalBefore - staking.totalSupplierStake(), SUPPLIER_STAKE);
        _assertTotalsHeld();
    }

    function test_gatewayWithdrawalPaysOnceOnReentry() public {
        _mintAndApprove(stakeToken, MIN_GATEWAY);
        attacker.exec(address(staking), abi.encodeCall(staking.stakeGateway, (MIN_GATEWAY)));
        attacker.exec(address(staking), abi.encodeCall(staking.unstakeGateway, ()));
        (,, uint64 withdrawable) = staking.getGateway(address(attacker));
        _toSession(withdrawable);
        attacker.arm(address(staking), abi.encodeCall(staking.withdrawGateway, ()));

        attacker.exec(address(staking), abi.encodeCall(staking.withdrawGateway, ()));

        _assertReentryFailed(StakingParams.NotStaked.selector);
        vm.assertEq(stakeToken.balanceOf(address(attacker)), MIN_GATEWAY);
        _assertTotalsHeld();
    }

    function test_applicationWithdrawalPaysOnceOnReentry() public {
        uint256 escrow = 50e6;
        _mintAndApprove(payToken, escrow);
        attacker.exec(address(staking), abi.encodeCall(staking.stakeApplication, (escrow, _ids(SVC_A))));
        attacker.exec(address(staking), abi.encodeCall(staking.unstakeApplication, ()));
        (, uint64 withdrawable,,) = staking.getApplication(address(attacker));
        _toSession(withdrawable);
        attacker.arm(address(staking), abi.encodeCall(staking.withdrawApplication, ()));

        attacker.exec(address(staking), abi.encodeCall(staking.withdrawApplication, ()));

        _assertReentryFailed(StakingParams.NotStaked.selector);
        vm.assertEq(payToken.balanceOf(address(attacker)), escrow);
        _assertTotalsHeld();
    }

    // ------------------------------------------------------------------ stakes

    /// @dev Re-entering from the token pull of a stake cannot withdraw what is being staked.
    function test_stakeCannotBeWithdrawnFromInsideItsOwnTransfer() public {
        _mintAndApprove(stakeToken, SUPPLIER_STAKE);
        attacker.arm(address(staking), abi.encodeCall(staking.withdrawSupplier, ()));
        attacker.exec(address(staking), abi.encodeCall(staking.stakeSupplier, (SUPPLIER_STAKE)));
        _assertReentryFailed(StakingParams.NotUnbonding.selector);
        (uint256 stake,,) = staking.getSupplier(address(attacker));
        vm.assertEq(stake, SUPPLIER_STAKE);
        _assertTotalsHeld();
    }

    /// @dev Staking again from inside a stake's token pull pays for both: the books still match the balance.
    function test_nestedStakesAreEachPaidFor() public {
        _mintAndApprove(stakeToken, 2 * SUPPLIER_STAKE);
        attacker.arm(address(staking), abi.encodeCall(staking.stakeSupplier, (SUPPLIER_STAKE)));
        attacker.exec(address(staking), abi.encodeCall(staking.stakeSupplier, (SUPPLIER_STAKE)));
        vm.assertEq(attacker.successes(), 1);
        (uint256 stake,,) = staking.getSupplier(address(attacker));
        vm.assertEq(stake, 2 * SUPPLIER_STAKE);
        vm.assertEq(stakeToken.balanceOf(address(attacker)), 0);
        _assertTotalsHeld();
    }

    // ------------------------------------------------------------------ helpers

    /// @dev Mints `amount` of `token` to the attacker and approves Staking for it, as the attacker.
    function _mintAndApprove(TestToken token, uint256 amount) internal {
        token.mint(address(attacker), amount);
        attacker.exec(address(token), abi.encodeWithSignature("approve(address,uint256)", address(staking), amount));
    }

    /// @dev The attacker stakes as a supplier of SVC_A (drawn from the next session: 3 suppliers, 3 per session).
    function _attackerSupplies() internal {
        _mintAndApprove(stakeToken, SUPPLIER_STAKE);
        attacker.exec(address(staking), abi.encodeCall(staking.stakeSupplier, (SUPPLIER_STAKE)));
        attacker.exec(address(staking), abi.encodeCall(staking.addSupplierService, (SVC_A, "https://attacker.example")));
    }

    /// @dev The attacker claims a (never proven) root of `sum` compute units for `session` in its claim window.
    function _attackerClaims(uint64 session, uint64 sum) internal returns (bytes32 key) {
        (uint64 open,) = mining.claimWindow(session);
        vm.roll(open);
        bytes memory ret = attacker.exec(
            address(mining), abi.encodeCall(mining.claim, (application, SVC_A, session, keccak256("root"), sum, 1))
        );
        key = abi.decode(ret, (bytes32));
    }

    function _assertReentryFailed(bytes4 expected) internal view {
        vm.assertEq(attacker.attempts(), 1, "the re-entry was attempted");
        vm.assertEq(attacker.successes(), 0, "the re-entry failed");
        vm.assertEq(bytes4(attacker.lastRevert()), expected);
    }

    /// @dev Staking holds exactly its running totals.
    function _assertTotalsHeld() internal view {
        uint256 stakes = staking.totalSupplierStake() + staking.totalGatewayStake();
        if (address(stakeToken) == address(payToken)) {
            vm.assertEq(stakeToken.balanceOf(address(staking)), stakes + staking.totalApplicationEscrow());
        } else {
            vm.assertEq(stakeToken.balanceOf(address(staking)), stakes);
            vm.assertEq(payToken.balanceOf(address(staking)), staking.totalApplicationEscrow());
        }
    }
}

/// @notice Distinct malicious stake and payment tokens.
contract ReentrancyTest is ReentrancyBase {
    function _deployBase() internal override {
        stakeR = new ReentrantToken("Stake", "STK", 18);
        payR = new ReentrantToken("Pay", "PAY", 6);
        stakeToken = stakeR;
        payToken = payR;
        _deploy(address(stakeR), address(payR));
    }
}

/// @notice One malicious token for stakes and escrows.
contract ReentrancySameTokenTest is ReentrancyBase {
    function _deployBase() internal override {
        stakeR = new ReentrantToken("Decai", "DCT", 18);
        payR = stakeR;
        stakeToken = stakeR;
        payToken = payR;
        _deploy(address(stakeR), address(payR));
    }
}
