// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Governed} from "../../src/Governed.sol";
import {Sessions} from "../../src/Sessions.sol";
import {SessionClock} from "../../src/SessionClock.sol";
import {MiningParameters, MiningParams} from "../../src/mining/MiningParams.sol";
import {RelayMining} from "../../src/mining/RelayMining.sol";
import {MiningFixture} from "./MiningFixture.sol";

/// @notice Deployment and governance of the relay-mining parameters.
contract MiningParamsTest is MiningFixture {
    function test_constructor_setsEverything() public view {
        vm.assertEq(mining.governance(), gov);
        vm.assertEq(address(mining.staking()), address(staking));
        vm.assertEq(address(mining.sessions()), address(sessions));
        vm.assertEq(address(mining.registry()), address(registry));
        vm.assertEq(address(mining.clock()), address(clock));
        vm.assertEq(uint256(mining.claimWindowOpenOffsetBlocks()), OFFSET);
        vm.assertEq(uint256(mining.claimWindowBlocks()), CLAIM_BLOCKS);
        vm.assertEq(uint256(mining.proofWindowBlocks()), PROOF_BLOCKS);
        vm.assertEq(mining.proofRequirementThreshold(), MAX);
        vm.assertEq(uint256(mining.proofRequestProbabilityPpm()), 1_000_000);
        vm.assertEq(uint256(mining.slashFractionBps()), SLASH_BPS);
        vm.assertEq(mining.paymentPerComputeUnit(), PRICE);
        vm.assertEq(uint256(mining.targetRelaysPerSession()), 4);
        vm.assertEq(uint256(mining.difficultyEmaAlphaBps()), 5000);
        vm.assertEq(mining.targetAt(SVC_A, 0), MAX);
    }

    function test_constructor_emitsEveryParameter() public {
        vm.expectEmit(true, false, false, true);
        emit MiningParams.ParameterUpdated("claimWindowOpenOffsetBlocks", OFFSET);
        vm.expectEmit(true, false, false, true);
        emit MiningParams.ParameterUpdated("claimWindowBlocks", CLAIM_BLOCKS);
        vm.expectEmit(true, false, false, true);
        emit MiningParams.ParameterUpdated("proofWindowBlocks", PROOF_BLOCKS);
        new RelayMining(gov, address(staking), address(sessions), _params());
    }

    function test_constructor_rejectsZeroAddresses() public {
        MiningParameters memory p = _params();
        vm.expectRevert(Governed.ZeroAddress.selector);
        new RelayMining(gov, address(0), address(sessions), p);
        vm.expectRevert(Governed.ZeroAddress.selector);
        new RelayMining(gov, address(staking), address(0), p);
        vm.expectRevert(Governed.ZeroAddress.selector);
        new RelayMining(address(0), address(staking), address(sessions), p);
    }

    function test_constructor_rejectsSessionsOfAnotherDeployment() public {
        Sessions otherClock = new Sessions(address(staking), address(new SessionClock(gov, 10, 3)));
        vm.expectRevert(MiningParams.MismatchedDeployment.selector);
        new RelayMining(gov, address(staking), address(otherClock), _params());
        Sessions otherStaking = new Sessions(address(registry), address(clock));
        vm.expectRevert(MiningParams.MismatchedDeployment.selector);
        new RelayMining(gov, address(staking), address(otherStaking), _params());
    }

    function test_constructor_rejectsOutOfBoundsParameters() public {
        MiningParameters memory p = _params();
        p.proofWindowBlocks = 256;
        _expectBounds("proofWindowBlocks", 256, 1, 255);
        new RelayMining(gov, address(staking), address(sessions), p);
        p = _params();
        p.initialTarget = 0;
        _expectBounds("initialTarget", 0, 1, MAX);
        new RelayMining(gov, address(staking), address(sessions), p);
    }

    function test_setters_updateAndEmit() public {
        vm.startPrank(gov);
        _expectUpdate("claimWindowOpenOffsetBlocks", 7);
        mining.setClaimWindowOpenOffsetBlocks(7);
        _expectUpdate("claimWindowBlocks", 8);
        mining.setClaimWindowBlocks(8);
        _expectUpdate("proofWindowBlocks", 255);
        mining.setProofWindowBlocks(255);
        _expectUpdate("proofRequirementThreshold", 9);
        mining.setProofRequirementThreshold(9);
        _expectUpdate("proofRequestProbabilityPpm", 10);
        mining.setProofRequestProbabilityPpm(10);
        _expectUpdate("slashFractionBps", 10_000);
        mining.setSlashFractionBps(10_000);
        _expectUpdate("paymentPerComputeUnit", 2 ** 128);
        mining.setPaymentPerComputeUnit(2 ** 128);
        _expectUpdate("targetRelaysPerSession", 12);
        mining.setTargetRelaysPerSession(12);
        _expectUpdate("difficultyEmaAlphaBps", 1);
        mining.setDifficultyEmaAlphaBps(1);
        vm.stopPrank();
        vm.assertEq(uint256(mining.claimWindowOpenOffsetBlocks()), 7);
        vm.assertEq(uint256(mining.claimWindowBlocks()), 8);
        vm.assertEq(uint256(mining.proofWindowBlocks()), 255);
        vm.assertEq(mining.proofRequirementThreshold(), 9);
        vm.assertEq(uint256(mining.proofRequestProbabilityPpm()), 10);
        vm.assertEq(uint256(mining.slashFractionBps()), 10_000);
        vm.assertEq(mining.paymentPerComputeUnit(), 2 ** 128);
        vm.assertEq(uint256(mining.targetRelaysPerSession()), 12);
        vm.assertEq(uint256(mining.difficultyEmaAlphaBps()), 1);
        // pendingSessions = ceil((7 + 8 + 255) / 10) + 1
        vm.assertEq(mining.pendingSessions(S), 28);
    }

    function test_setters_rejectOutOfBounds() public {
        vm.startPrank(gov);
        _expectBounds("claimWindowOpenOffsetBlocks", 1_000_001, 0, 1_000_000);
        mining.setClaimWindowOpenOffsetBlocks(1_000_001);
        _expectBounds("claimWindowBlocks", 0, 1, 1_000_000);
        mining.setClaimWindowBlocks(0);
        _expectBounds("proofWindowBlocks", 0, 1, 255);
        mining.setProofWindowBlocks(0);
        _expectBounds("proofRequestProbabilityPpm", 1_000_001, 0, 1_000_000);
        mining.setProofRequestProbabilityPpm(1_000_001);
        _expectBounds("slashFractionBps", 10_001, 0, 10_000);
        mining.setSlashFractionBps(10_001);
        _expectBounds("paymentPerComputeUnit", 2 ** 128 + 1, 0, 2 ** 128);
        mining.setPaymentPerComputeUnit(2 ** 128 + 1);
        _expectBounds("targetRelaysPerSession", 0, 1, type(uint64).max);
        mining.setTargetRelaysPerSession(0);
        _expectBounds("difficultyEmaAlphaBps", 0, 1, 10_000);
        mining.setDifficultyEmaAlphaBps(0);
        _expectBounds("difficultyEmaAlphaBps", 10_001, 1, 10_000);
        mining.setDifficultyEmaAlphaBps(10_001);
        vm.stopPrank();
    }

    function test_setters_areGoverned() public {
        bytes memory err = abi.encodeWithSelector(Governed.NotGovernance.selector, address(this));
        vm.expectRevert(err);
        mining.setClaimWindowOpenOffsetBlocks(1);
        vm.expectRevert(err);
        mining.setClaimWindowBlocks(1);
        vm.expectRevert(err);
        mining.setProofWindowBlocks(1);
        vm.expectRevert(err);
        mining.setProofRequirementThreshold(1);
        vm.expectRevert(err);
        mining.setProofRequestProbabilityPpm(1);
        vm.expectRevert(err);
        mining.setSlashFractionBps(1);
        vm.expectRevert(err);
        mining.setPaymentPerComputeUnit(1);
        vm.expectRevert(err);
        mining.setTargetRelaysPerSession(1);
        vm.expectRevert(err);
        mining.setDifficultyEmaAlphaBps(1);
    }

    function test_relayDomainSeparator_namesThisContract() public view {
        bytes32 expected = keccak256(
            abi.encode(
                keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"),
                keccak256("Decai"),
                keccak256("1"),
                block.chainid,
                address(mining)
            )
        );
        vm.assertEq(mining.relayDomainSeparator(), expected);
    }

    function _expectUpdate(bytes32 name, uint256 value) internal {
        vm.expectEmit(true, false, false, true, address(mining));
        emit MiningParams.ParameterUpdated(name, value);
    }

    function _expectBounds(bytes32 name, uint256 value, uint256 min, uint256 max) internal {
        vm.expectRevert(abi.encodeWithSelector(MiningParams.ParameterOutOfBounds.selector, name, value, min, max));
    }
}
