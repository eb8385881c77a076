// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {StakingParams} from "../src/StakingParams.sol";
import {SupplierStaking} from "../src/SupplierStaking.sol";
import {StakingFixture} from "./StakingFixture.t.sol";

/// @notice A supplier's declaration of the weights digest it serves (artifact commitment).
contract StakingWeightsDigestTest is StakingFixture {
    bytes32 internal constant DIGEST = keccak256("tiny-llama.gguf");
    bytes32 internal constant OTHER = keccak256("tiny-llama-q2.gguf");

    function _declare(address who, bytes32 serviceId, bytes32 digest) internal {
        vm.prank(who);
        staking.declareWeightsDigest(serviceId, digest);
    }

    function test_declareWeightsDigest_storesAndEmits() public {
        _stakeSupplier(alice, MIN_SUPPLIER);
        _addService(alice, SVC_A, "https://a");
        vm.assertEq(staking.supplierWeightsDigest(alice, SVC_A), bytes32(0));

        vm.expectEmit(true, true, false, true, address(staking));
        emit SupplierStaking.SupplierWeightsDigestDeclared(alice, SVC_A, DIGEST);
        _declare(alice, SVC_A, DIGEST);

        vm.assertEq(staking.supplierWeightsDigest(alice, SVC_A), DIGEST);
        // Per supplier and per service.
        vm.assertEq(staking.supplierWeightsDigest(alice, SVC_B), bytes32(0));
        vm.assertEq(staking.supplierWeightsDigest(bob, SVC_A), bytes32(0));
    }

    function test_declareWeightsDigest_overwritesEarlierDeclaration() public {
        _stakeSupplier(alice, MIN_SUPPLIER);
        _addService(alice, SVC_A, "https://a");
        _declare(alice, SVC_A, DIGEST);
        vm.expectEmit(true, true, false, true, address(staking));
        emit SupplierStaking.SupplierWeightsDigestDeclared(alice, SVC_A, OTHER);
        _declare(alice, SVC_A, OTHER);
        vm.assertEq(staking.supplierWeightsDigest(alice, SVC_A), OTHER);
    }

    function test_declareWeightsDigest_mayDifferFromTheServiceDigest() public {
        // The registry holds bytes32(uint256(1)) for SVC_A: a supplier can still say openly what it serves.
        _stakeSupplier(alice, MIN_SUPPLIER);
        _addService(alice, SVC_A, "https://a");
        _declare(alice, SVC_A, OTHER);
        vm.assertEq(staking.supplierWeightsDigest(alice, SVC_A), OTHER);
        vm.assertTrue(staking.supplierWeightsDigest(alice, SVC_A) != registry.getService(SVC_A).weightsDigest);
    }

    function test_declareWeightsDigest_worksBeforeTheEntryStarts() public {
        // Entries start next session; the declaration can (and should) come with the stake.
        _toSession(4);
        _stakeSupplier(alice, MIN_SUPPLIER);
        _addService(alice, SVC_A, "https://a");
        _declare(alice, SVC_A, DIGEST);
        vm.assertEq(uint256(staking.getServiceSupplierEntries(SVC_A)[0].fromSession), 5);
        vm.assertEq(staking.supplierWeightsDigest(alice, SVC_A), DIGEST);
    }

    function test_declareWeightsDigest_rejections() public {
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(StakingParams.NotStaked.selector, alice));
        staking.declareWeightsDigest(SVC_A, DIGEST);

        _stakeSupplier(alice, MIN_SUPPLIER);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(SupplierStaking.ServiceNotStaked.selector, alice, SVC_A));
        staking.declareWeightsDigest(SVC_A, DIGEST);

        _addService(alice, SVC_A, "https://a");
        vm.prank(alice);
        vm.expectRevert(SupplierStaking.ZeroWeightsDigest.selector);
        staking.declareWeightsDigest(SVC_A, bytes32(0));

        // A removed service keeps its last declaration readable but takes no new one.
        _declare(alice, SVC_A, DIGEST);
        vm.prank(alice);
        staking.removeSupplierService(SVC_A);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(SupplierStaking.ServiceNotStaked.selector, alice, SVC_A));
        staking.declareWeightsDigest(SVC_A, OTHER);
        vm.assertEq(staking.supplierWeightsDigest(alice, SVC_A), DIGEST);

        _addService(alice, SVC_B, "https://b");
        vm.prank(alice);
        staking.unstakeSupplier();
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(StakingParams.Unbonding.selector, alice, uint64(1 + UNBONDING)));
        staking.declareWeightsDigest(SVC_B, DIGEST);
    }

    function test_withdrawSupplier_deletesDeclarations() public {
        _stakeSupplier(alice, MIN_SUPPLIER);
        _addService(alice, SVC_A, "https://a");
        _declare(alice, SVC_A, DIGEST);
        vm.prank(alice);
        staking.unstakeSupplier();
        // Readable while unbonding: sessions it served may still be checked against it.
        vm.assertEq(staking.supplierWeightsDigest(alice, SVC_A), DIGEST);
        _toSession(1 + UNBONDING);
        vm.prank(alice);
        staking.withdrawSupplier();
        vm.assertEq(staking.supplierWeightsDigest(alice, SVC_A), bytes32(0));

        // A fresh stake starts without a declaration.
        _stakeSupplier(alice, MIN_SUPPLIER);
        _addService(alice, SVC_A, "https://again");
        vm.assertEq(staking.supplierWeightsDigest(alice, SVC_A), bytes32(0));
    }

    function testFuzz_declareWeightsDigest_readsBackWhatWasDeclared(bytes32 digest) public {
        vm.assume(digest != bytes32(0));
        _stakeSupplier(alice, MIN_SUPPLIER);
        _addService(alice, SVC_A, "https://a");
        _declare(alice, SVC_A, digest);
        vm.assertEq(staking.supplierWeightsDigest(alice, SVC_A), digest);
    }
}
