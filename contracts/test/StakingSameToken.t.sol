// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Sessions} from "../src/Sessions.sol";
import {TestToken} from "../src/TestToken.sol";
import {StakingFixture} from "./StakingFixture.t.sol";

/// @notice One token for stakes and escrows, and the hand-off to the session draw.
contract StakingSameTokenTest is StakingFixture {
    TestToken internal token;

    function setUp() public override {
        token = new TestToken("Decai", "DCT", 18);
        stakeToken = token;
        payToken = token;
        _deploy(address(token), address(token));
    }

    function test_sameToken_eachPoolIsAccountedAndReturnedSeparately() public {
        _stakeSupplier(alice, MIN_SUPPLIER);
        _stakeGateway(gw, MIN_GATEWAY);
        _stakeApp(app, MIN_APP, SVC_A);
        vm.assertEq(address(staking.stakeToken()), address(staking.paymentToken()));
        vm.assertEq(token.balanceOf(address(staking)), MIN_SUPPLIER + MIN_GATEWAY + MIN_APP);
        vm.assertEq(staking.totalSupplierStake(), MIN_SUPPLIER);
        vm.assertEq(staking.totalGatewayStake(), MIN_GATEWAY);
        vm.assertEq(staking.totalApplicationEscrow(), MIN_APP);

        vm.prank(app);
        staking.unstakeApplication();
        vm.prank(alice);
        staking.unstakeSupplier();
        _toSession(1 + UNBONDING);
        vm.prank(app);
        staking.withdrawApplication();
        vm.assertEq(token.balanceOf(app), MIN_APP);
        vm.assertEq(token.balanceOf(address(staking)), MIN_SUPPLIER + MIN_GATEWAY);
        vm.prank(alice);
        staking.withdrawSupplier();
        vm.assertEq(token.balanceOf(alice), MIN_SUPPLIER);
        // The gateway's stake is untouched by the others leaving.
        vm.assertEq(token.balanceOf(address(staking)), MIN_GATEWAY);
        vm.assertEq(staking.totalGatewayStake(), MIN_GATEWAY);
    }

    function test_sessionDraw_seesSuppliersFromTheNextSessionUntilTheyLeave() public {
        Sessions sessions = new Sessions(address(staking), address(clock));
        _stakeSupplier(alice, MIN_SUPPLIER);
        _stakeSupplier(bob, MIN_SUPPLIER);
        _addService(alice, SVC_A, "https://a");
        _addService(bob, SVC_A, "https://b");
        clock.recordSessionSeed();
        vm.assertEq(sessions.getSessionSuppliers(app, SVC_A, 0).length, 0);

        _toSession(1);
        clock.recordSessionSeed();
        vm.assertEq(sessions.getSessionSuppliers(app, SVC_A, 1).length, 2);
        vm.assertTrue(sessions.isSessionSupplier(app, SVC_A, 1, alice));
        vm.prank(alice);
        staking.removeSupplierService(SVC_A);
        // Removal does not change the running session.
        vm.assertTrue(sessions.isSessionSupplier(app, SVC_A, 1, alice));

        _toSession(2);
        clock.recordSessionSeed();
        address[] memory set = sessions.getSessionSuppliers(app, SVC_A, 2);
        vm.assertEq(set.length, 1);
        vm.assertEq(set[0], bob);
        // Past sessions stay reproducible.
        vm.assertTrue(sessions.isSessionSupplier(app, SVC_A, 1, alice));
    }
}
