// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ServiceRegistry} from "../src/ServiceRegistry.sol";
import {ComputeUnitMode, Service} from "../src/interfaces/IServiceRegistry.sol";
import {Test} from "./utils/Test.sol";

/// @notice Batch tiers: a cheaper service for the same weights, linked to its interactive service.
contract ServiceRegistryBatchTest is Test {
    ServiceRegistry internal registry;

    address internal constant SOURCE = address(0x50c);
    address internal constant OTHER = address(0x07e);
    bytes32 internal constant TINY = bytes32("tiny-llama");
    bytes32 internal constant BATCH = bytes32("tiny-llama.batch");
    bytes32 internal constant DIGEST = keccak256("tiny-llama.gguf");

    function setUp() public {
        registry = new ServiceRegistry();
        vm.prank(SOURCE);
        registry.registerService(TINY, "tiny-llama-q4", DIGEST, 1000, ComputeUnitMode.PerToken, 0, 2, 4);
    }

    function _registerBatch(uint64 cuIn, uint64 cuOut) internal {
        vm.prank(SOURCE);
        registry.registerBatchService(BATCH, TINY, 500, ComputeUnitMode.PerToken, 0, cuIn, cuOut);
    }

    // ---------------------------------------------------------------- registerBatchService

    function test_registerBatch_copiesModelAndLinksBothWays() public {
        _registerBatch(1, 2);
        Service memory s = registry.getService(BATCH);
        vm.assertEq(s.source, SOURCE);
        vm.assertEq(s.modelName, "tiny-llama-q4");
        vm.assertEq(s.weightsDigest, DIGEST);
        vm.assertEq(uint256(s.sourceShareBps), 500);
        vm.assertEq(uint256(s.cuPerInputToken), 1);
        vm.assertEq(uint256(s.cuPerOutputToken), 2);
        vm.assertEq(registry.batchOf(BATCH), TINY);
        vm.assertEq(registry.batchTierOf(TINY), BATCH);
        vm.assertEq(registry.batchOf(TINY), bytes32(0));
        vm.assertEq(registry.batchTierOf(BATCH), bytes32(0));
        vm.assertEq(registry.serviceCount(), 2);
        vm.assertEq(registry.serviceIdAt(1), BATCH);
        vm.assertTrue(registry.serviceExists(BATCH));
    }

    function test_registerBatch_emitsRegisteredThenLinked() public {
        vm.expectEmit(true, true, true, true, address(registry));
        emit ServiceRegistry.ServiceRegistered(
            BATCH, SOURCE, "tiny-llama-q4", DIGEST, 500, ComputeUnitMode.PerToken, 0, 2, 2
        );
        vm.expectEmit(true, true, true, true, address(registry));
        emit ServiceRegistry.BatchServiceRegistered(BATCH, TINY, SOURCE);
        _registerBatch(2, 2);
    }

    function test_registerBatch_onlyTheInteractiveSource() public {
        vm.prank(OTHER);
        vm.expectRevert(abi.encodeWithSelector(ServiceRegistry.NotServiceSource.selector, TINY, OTHER));
        registry.registerBatchService(BATCH, TINY, 500, ComputeUnitMode.PerToken, 0, 1, 1);
    }

    function test_registerBatch_revertsForUnknownInteractive() public {
        vm.prank(SOURCE);
        vm.expectRevert(abi.encodeWithSelector(ServiceRegistry.UnknownService.selector, bytes32("nope")));
        registry.registerBatchService(BATCH, bytes32("nope"), 500, ComputeUnitMode.PerToken, 0, 1, 1);
    }

    function test_registerBatch_oncePerInteractiveService() public {
        _registerBatch(1, 2);
        vm.prank(SOURCE);
        vm.expectRevert(abi.encodeWithSelector(ServiceRegistry.BatchTierExists.selector, TINY, BATCH));
        registry.registerBatchService(bytes32("second"), TINY, 500, ComputeUnitMode.PerToken, 0, 1, 1);
    }

    function test_registerBatch_notOfABatchTier() public {
        _registerBatch(1, 2);
        vm.prank(SOURCE);
        vm.expectRevert(abi.encodeWithSelector(ServiceRegistry.NotInteractiveService.selector, BATCH));
        registry.registerBatchService(bytes32("batch2"), BATCH, 500, ComputeUnitMode.PerToken, 0, 1, 1);
    }

    function test_registerBatch_revertsOnTakenOrZeroId() public {
        vm.startPrank(SOURCE);
        vm.expectRevert(abi.encodeWithSelector(ServiceRegistry.ServiceAlreadyExists.selector, TINY));
        registry.registerBatchService(TINY, TINY, 500, ComputeUnitMode.PerToken, 0, 1, 1);
        vm.expectRevert(ServiceRegistry.ZeroServiceId.selector);
        registry.registerBatchService(bytes32(0), TINY, 500, ComputeUnitMode.PerToken, 0, 1, 1);
        vm.stopPrank();
    }

    function test_registerBatch_mustBeCheaper() public {
        vm.startPrank(SOURCE);
        // Same price: not a discount.
        vm.expectRevert(abi.encodeWithSelector(ServiceRegistry.BatchPriceNotLower.selector, BATCH, TINY));
        registry.registerBatchService(BATCH, TINY, 500, ComputeUnitMode.PerToken, 0, 2, 4);
        // Cheaper output, dearer input.
        vm.expectRevert(abi.encodeWithSelector(ServiceRegistry.BatchPriceNotLower.selector, BATCH, TINY));
        registry.registerBatchService(BATCH, TINY, 500, ComputeUnitMode.PerToken, 0, 3, 1);
        // Another weighing mode cannot be compared.
        vm.expectRevert(abi.encodeWithSelector(ServiceRegistry.BatchPriceNotLower.selector, BATCH, TINY));
        registry.registerBatchService(BATCH, TINY, 500, ComputeUnitMode.PerRelay, 1, 0, 0);
        vm.stopPrank();
        vm.assertFalse(registry.serviceExists(BATCH), "nothing half-registered");
        _registerBatch(2, 3);
    }

    function test_registerBatch_validatesLikeRegister() public {
        vm.startPrank(SOURCE);
        vm.expectRevert(abi.encodeWithSelector(ServiceRegistry.SourceShareTooHigh.selector, uint16(5001), uint16(5000)));
        registry.registerBatchService(BATCH, TINY, 5001, ComputeUnitMode.PerToken, 0, 1, 1);
        vm.expectRevert(
            abi.encodeWithSelector(
                ServiceRegistry.InvalidComputeUnits.selector, ComputeUnitMode.PerToken, uint64(0), uint64(0), uint64(0)
            )
        );
        registry.registerBatchService(BATCH, TINY, 500, ComputeUnitMode.PerToken, 0, 0, 0);
        vm.stopPrank();
    }

    // ---------------------------------------------------------------- updateService with tiers

    function test_update_batchTierKeepsTheInteractiveDigest() public {
        _registerBatch(1, 2);
        vm.prank(SOURCE);
        vm.expectRevert(abi.encodeWithSelector(ServiceRegistry.BatchDigestMismatch.selector, BATCH, DIGEST));
        registry.updateService(BATCH, "x", bytes32("other"), 500, ComputeUnitMode.PerToken, 0, 1, 2);
        vm.prank(SOURCE);
        registry.updateService(BATCH, "renamed", DIGEST, 100, ComputeUnitMode.PerToken, 0, 1, 1);
        vm.assertEq(registry.getService(BATCH).modelName, "renamed");
    }

    function test_update_batchTierMustStayCheaper() public {
        _registerBatch(1, 2);
        vm.prank(SOURCE);
        vm.expectRevert(abi.encodeWithSelector(ServiceRegistry.BatchPriceNotLower.selector, BATCH, TINY));
        registry.updateService(BATCH, "tiny-llama-q4", DIGEST, 500, ComputeUnitMode.PerToken, 0, 2, 4);
    }

    function test_update_interactiveCannotUndercutItsBatchTier() public {
        _registerBatch(1, 2);
        vm.prank(SOURCE);
        vm.expectRevert(abi.encodeWithSelector(ServiceRegistry.BatchPriceNotLower.selector, BATCH, TINY));
        registry.updateService(TINY, "tiny-llama-q4", DIGEST, 1000, ComputeUnitMode.PerToken, 0, 1, 2);
    }

    function test_update_interactiveDigestMovesTheBatchTier() public {
        _registerBatch(1, 2);
        bytes32 next = keccak256("tiny-llama-v2.gguf");
        vm.expectEmit(true, true, true, true, address(registry));
        emit ServiceRegistry.ServiceUpdated(TINY, SOURCE, "v2", next, 1000, ComputeUnitMode.PerToken, 0, 2, 4);
        vm.expectEmit(true, true, true, true, address(registry));
        emit ServiceRegistry.ServiceUpdated(
            BATCH, SOURCE, "tiny-llama-q4", next, 500, ComputeUnitMode.PerToken, 0, 1, 2
        );
        vm.prank(SOURCE);
        registry.updateService(TINY, "v2", next, 1000, ComputeUnitMode.PerToken, 0, 2, 4);
        vm.assertEq(registry.getService(BATCH).weightsDigest, next);
    }

    function testFuzz_registerBatch_acceptsExactlyTheCheaperWeights(uint64 cuIn, uint64 cuOut) public {
        cuIn = uint64(bound(cuIn, 0, 6));
        cuOut = uint64(bound(cuOut, 0, 6));
        bool cheaper = cuIn <= 2 && cuOut <= 4 && (cuIn < 2 || cuOut < 4) && (cuIn > 0 || cuOut > 0);
        vm.prank(SOURCE);
        if (!cheaper) vm.expectRevert();
        registry.registerBatchService(BATCH, TINY, 500, ComputeUnitMode.PerToken, 0, cuIn, cuOut);
        vm.assertEq(registry.serviceExists(BATCH), cheaper);
    }
}
