// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ServiceRegistry} from "../src/ServiceRegistry.sol";
import {ComputeUnitMode, Service} from "../src/interfaces/IServiceRegistry.sol";
import {Test} from "./utils/Test.sol";

contract ServiceRegistryTest is Test {
    ServiceRegistry internal registry;

    address internal constant SOURCE = address(0x50c);
    address internal constant OTHER = address(0x07e);
    bytes32 internal constant TINY = bytes32("tiny-llama");
    bytes32 internal constant DIGEST = keccak256("tiny-llama.gguf");

    function setUp() public {
        registry = new ServiceRegistry();
    }

    function _registerTiny() internal {
        vm.prank(SOURCE);
        registry.registerService(TINY, "tiny-llama-q4", DIGEST, 1000, ComputeUnitMode.PerToken, 0, 1, 3);
    }

    // ---------------------------------------------------------------- registerService

    function test_register_storesServiceAndEnumerates() public {
        _registerTiny();
        Service memory s = registry.getService(TINY);
        vm.assertEq(s.source, SOURCE);
        vm.assertEq(s.modelName, "tiny-llama-q4");
        vm.assertEq(s.weightsDigest, DIGEST);
        vm.assertEq(uint256(s.sourceShareBps), 1000);
        vm.assertEq(uint256(s.cuMode), uint256(ComputeUnitMode.PerToken));
        vm.assertEq(uint256(s.cuPerRelay), 0);
        vm.assertEq(uint256(s.cuPerInputToken), 1);
        vm.assertEq(uint256(s.cuPerOutputToken), 3);
        vm.assertTrue(registry.serviceExists(TINY));
        vm.assertFalse(registry.serviceExists(bytes32("other")));
        vm.assertEq(registry.serviceCount(), 1);
        vm.assertEq(registry.serviceIdAt(0), TINY);
    }

    function test_register_enumeratesInRegistrationOrder() public {
        _registerTiny();
        vm.prank(OTHER);
        registry.registerService(bytes32("big"), "big-70b", DIGEST, 0, ComputeUnitMode.PerRelay, 5, 0, 0);
        vm.assertEq(registry.serviceCount(), 2);
        vm.assertEq(registry.serviceIdAt(0), TINY);
        vm.assertEq(registry.serviceIdAt(1), bytes32("big"));
        vm.assertEq(registry.getService(bytes32("big")).source, OTHER);
    }

    function test_register_emitsServiceRegistered() public {
        vm.expectEmit(true, true, true, true, address(registry));
        emit ServiceRegistry.ServiceRegistered(
            TINY, SOURCE, "tiny-llama-q4", DIGEST, 1000, ComputeUnitMode.PerToken, 0, 1, 3
        );
        _registerTiny();
    }

    function test_register_acceptsMaxShareAndEitherTokenWeight() public {
        vm.startPrank(SOURCE);
        registry.registerService(bytes32("a"), "m", DIGEST, 5000, ComputeUnitMode.PerToken, 0, 1, 0);
        registry.registerService(bytes32("b"), "m", DIGEST, 0, ComputeUnitMode.PerToken, 0, 0, 1);
        // Token weights are ignored in PerRelay mode, so they may be anything.
        registry.registerService(bytes32("c"), "m", DIGEST, 0, ComputeUnitMode.PerRelay, 1, 0, 0);
        vm.stopPrank();
        vm.assertEq(registry.serviceCount(), 3);
        vm.assertEq(uint256(registry.getService(bytes32("a")).sourceShareBps), 5000);
    }

    function test_register_revertsOnZeroId() public {
        vm.expectRevert(ServiceRegistry.ZeroServiceId.selector);
        registry.registerService(bytes32(0), "m", DIGEST, 0, ComputeUnitMode.PerRelay, 1, 0, 0);
    }

    function test_register_revertsWhenIdTaken() public {
        _registerTiny();
        vm.prank(OTHER);
        vm.expectRevert(abi.encodeWithSelector(ServiceRegistry.ServiceAlreadyExists.selector, TINY));
        registry.registerService(TINY, "m", DIGEST, 0, ComputeUnitMode.PerRelay, 1, 0, 0);
        vm.assertEq(registry.getService(TINY).source, SOURCE);
    }

    function test_register_revertsOnEmptyModelName() public {
        vm.expectRevert(ServiceRegistry.EmptyModelName.selector);
        registry.registerService(TINY, "", DIGEST, 0, ComputeUnitMode.PerRelay, 1, 0, 0);
    }

    function test_register_revertsOnShareTooHigh() public {
        vm.expectRevert(abi.encodeWithSelector(ServiceRegistry.SourceShareTooHigh.selector, uint16(5001), uint16(5000)));
        registry.registerService(TINY, "m", DIGEST, 5001, ComputeUnitMode.PerRelay, 1, 0, 0);
    }

    function test_register_revertsOnWeightlessPerRelay() public {
        vm.expectRevert(
            abi.encodeWithSelector(
                ServiceRegistry.InvalidComputeUnits.selector, ComputeUnitMode.PerRelay, uint64(0), uint64(4), uint64(4)
            )
        );
        registry.registerService(TINY, "m", DIGEST, 0, ComputeUnitMode.PerRelay, 0, 4, 4);
    }

    function test_register_revertsOnWeightlessPerToken() public {
        vm.expectRevert(
            abi.encodeWithSelector(
                ServiceRegistry.InvalidComputeUnits.selector, ComputeUnitMode.PerToken, uint64(9), uint64(0), uint64(0)
            )
        );
        registry.registerService(TINY, "m", DIGEST, 0, ComputeUnitMode.PerToken, 9, 0, 0);
    }

    function test_register_revertsOnInvalidModeValue() public {
        // An out-of-range enum value is rejected by the ABI decoder before any state change.
        bytes memory data = abi.encodeWithSelector(
            ServiceRegistry.registerService.selector,
            TINY,
            "m",
            DIGEST,
            uint16(0),
            uint8(2),
            uint64(1),
            uint64(1),
            uint64(1)
        );
        (bool ok,) = address(registry).call(data);
        vm.assertFalse(ok);
        vm.assertFalse(registry.serviceExists(TINY));
    }

    function testFuzz_register_shareBound(bytes32 id, uint16 share) public {
        vm.assume(id != bytes32(0));
        vm.prank(SOURCE);
        if (share > 5000) {
            vm.expectRevert(abi.encodeWithSelector(ServiceRegistry.SourceShareTooHigh.selector, share, uint16(5000)));
        }
        registry.registerService(id, "m", DIGEST, share, ComputeUnitMode.PerRelay, 1, 0, 0);
        vm.assertEq(registry.serviceExists(id), share <= 5000);
    }

    // ---------------------------------------------------------------- updateService

    function test_update_replacesFieldsAndKeepsSource() public {
        _registerTiny();
        bytes32 digest2 = keccak256("v2");
        vm.prank(SOURCE);
        registry.updateService(TINY, "tiny-llama-q8", digest2, 2500, ComputeUnitMode.PerRelay, 7, 0, 0);
        Service memory s = registry.getService(TINY);
        vm.assertEq(s.source, SOURCE);
        vm.assertEq(s.modelName, "tiny-llama-q8");
        vm.assertEq(s.weightsDigest, digest2);
        vm.assertEq(uint256(s.sourceShareBps), 2500);
        vm.assertEq(uint256(s.cuMode), uint256(ComputeUnitMode.PerRelay));
        vm.assertEq(uint256(s.cuPerRelay), 7);
        vm.assertEq(uint256(s.cuPerInputToken), 0);
        vm.assertEq(uint256(s.cuPerOutputToken), 0);
        vm.assertEq(registry.serviceCount(), 1);
    }

    function test_update_emitsServiceUpdated() public {
        _registerTiny();
        vm.expectEmit(true, true, true, true, address(registry));
        emit ServiceRegistry.ServiceUpdated(TINY, SOURCE, "x", DIGEST, 0, ComputeUnitMode.PerRelay, 2, 0, 0);
        vm.prank(SOURCE);
        registry.updateService(TINY, "x", DIGEST, 0, ComputeUnitMode.PerRelay, 2, 0, 0);
    }

    function test_update_revertsForNonSource() public {
        _registerTiny();
        vm.prank(OTHER);
        vm.expectRevert(abi.encodeWithSelector(ServiceRegistry.NotServiceSource.selector, TINY, OTHER));
        registry.updateService(TINY, "x", DIGEST, 0, ComputeUnitMode.PerRelay, 2, 0, 0);
    }

    function test_update_revertsForUnknownService() public {
        vm.prank(SOURCE);
        vm.expectRevert(abi.encodeWithSelector(ServiceRegistry.UnknownService.selector, TINY));
        registry.updateService(TINY, "x", DIGEST, 0, ComputeUnitMode.PerRelay, 2, 0, 0);
    }

    function test_update_validatesLikeRegister() public {
        _registerTiny();
        vm.startPrank(SOURCE);
        vm.expectRevert(ServiceRegistry.EmptyModelName.selector);
        registry.updateService(TINY, "", DIGEST, 0, ComputeUnitMode.PerRelay, 2, 0, 0);
        vm.expectRevert(abi.encodeWithSelector(ServiceRegistry.SourceShareTooHigh.selector, uint16(9000), uint16(5000)));
        registry.updateService(TINY, "x", DIGEST, 9000, ComputeUnitMode.PerRelay, 2, 0, 0);
        vm.expectRevert(
            abi.encodeWithSelector(
                ServiceRegistry.InvalidComputeUnits.selector, ComputeUnitMode.PerToken, uint64(2), uint64(0), uint64(0)
            )
        );
        registry.updateService(TINY, "x", DIGEST, 0, ComputeUnitMode.PerToken, 2, 0, 0);
        vm.stopPrank();
        vm.assertEq(registry.getService(TINY).modelName, "tiny-llama-q4");
    }

    // ---------------------------------------------------------------- transferServiceOwnership

    function test_transfer_movesControlToNewSource() public {
        _registerTiny();
        vm.prank(SOURCE);
        registry.transferServiceOwnership(TINY, OTHER);
        vm.assertEq(registry.getService(TINY).source, OTHER);

        vm.prank(SOURCE);
        vm.expectRevert(abi.encodeWithSelector(ServiceRegistry.NotServiceSource.selector, TINY, SOURCE));
        registry.updateService(TINY, "x", DIGEST, 0, ComputeUnitMode.PerRelay, 2, 0, 0);

        vm.prank(OTHER);
        registry.updateService(TINY, "x", DIGEST, 0, ComputeUnitMode.PerRelay, 2, 0, 0);
        vm.assertEq(registry.getService(TINY).modelName, "x");
    }

    function test_transfer_emitsServiceOwnershipTransferred() public {
        _registerTiny();
        vm.expectEmit(true, true, true, true, address(registry));
        emit ServiceRegistry.ServiceOwnershipTransferred(TINY, SOURCE, OTHER);
        vm.prank(SOURCE);
        registry.transferServiceOwnership(TINY, OTHER);
    }

    function test_transfer_revertsOnZeroAddress() public {
        _registerTiny();
        vm.prank(SOURCE);
        vm.expectRevert(ServiceRegistry.ZeroAddress.selector);
        registry.transferServiceOwnership(TINY, address(0));
    }

    function test_transfer_revertsForNonSource() public {
        _registerTiny();
        vm.prank(OTHER);
        vm.expectRevert(abi.encodeWithSelector(ServiceRegistry.NotServiceSource.selector, TINY, OTHER));
        registry.transferServiceOwnership(TINY, OTHER);
    }

    function test_transfer_revertsForUnknownService() public {
        vm.prank(SOURCE);
        vm.expectRevert(abi.encodeWithSelector(ServiceRegistry.UnknownService.selector, TINY));
        registry.transferServiceOwnership(TINY, OTHER);
    }

    // ---------------------------------------------------------------- views

    function test_getService_revertsForUnknownService() public {
        vm.expectRevert(abi.encodeWithSelector(ServiceRegistry.UnknownService.selector, TINY));
        registry.getService(TINY);
    }

    function test_serviceIdAt_revertsPastTheEnd() public {
        vm.expectRevert(abi.encodeWithSelector(ServiceRegistry.IndexOutOfBounds.selector, uint256(0), uint256(0)));
        registry.serviceIdAt(0);
        _registerTiny();
        vm.expectRevert(abi.encodeWithSelector(ServiceRegistry.IndexOutOfBounds.selector, uint256(1), uint256(1)));
        registry.serviceIdAt(1);
    }
}
