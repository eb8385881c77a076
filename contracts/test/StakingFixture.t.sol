// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ServiceRegistry} from "../src/ServiceRegistry.sol";
import {SessionClock} from "../src/SessionClock.sol";
import {Staking} from "../src/Staking.sol";
import {TestToken} from "../src/TestToken.sol";
import {ComputeUnitMode} from "../src/interfaces/IServiceRegistry.sol";
import {Test} from "./utils/Test.sol";

/// @notice Deploys the real registry, clock, tokens and `Staking`, with helpers shared by the staking tests.
abstract contract StakingFixture is Test {
    uint32 internal constant BLOCKS_PER_SESSION = 10;
    uint16 internal constant SUPPLIERS_PER_SESSION = 3;
    uint256 internal constant MIN_SUPPLIER = 100e18;
    uint256 internal constant MIN_GATEWAY = 50e18;
    uint256 internal constant MIN_APP = 10e6;
    uint32 internal constant UNBONDING = 2;
    uint16 internal constant DAO_SHARE = 1000;
    uint64 internal constant OPEN = type(uint64).max;
    /// @dev Services registered in `setUp`: SVC_A, SVC_B and `EXTRA_SERVICES` numbered ones.
    uint256 internal constant EXTRA_SERVICES = 16;

    bytes32 internal constant SVC_A = "tiny-llama";
    bytes32 internal constant SVC_B = "llama-8b";
    bytes32 internal constant UNKNOWN_SVC = "not-registered";

    address internal gov = address(0x60);
    address internal dao = address(0xDA0);
    address internal source = address(0x50);
    address internal alice = address(0xA11CE);
    address internal bob = address(0xB0B);
    address internal carol = address(0xCA701);
    address internal app = address(0xA99);
    address internal gw = address(0x6A7E);

    TestToken internal stakeToken;
    TestToken internal payToken;
    ServiceRegistry internal registry;
    SessionClock internal clock;
    Staking internal staking;

    function setUp() public virtual {
        stakeToken = new TestToken("Stake", "STK", 18);
        payToken = new TestToken("Pay", "PAY", 6);
        _deploy(address(stakeToken), address(payToken));
    }

    /// @dev Deploys registry, clock and staking over the given tokens, and registers the services.
    function _deploy(address stakeToken_, address payToken_) internal {
        registry = new ServiceRegistry();
        clock = new SessionClock(gov, BLOCKS_PER_SESSION, SUPPLIERS_PER_SESSION);
        staking = new Staking(
            gov,
            stakeToken_,
            payToken_,
            address(registry),
            address(clock),
            MIN_SUPPLIER,
            MIN_GATEWAY,
            MIN_APP,
            UNBONDING,
            dao,
            DAO_SHARE
        );
        vm.startPrank(source);
        registry.registerService(SVC_A, "tiny-llama-q4", bytes32(uint256(1)), 1000, ComputeUnitMode.PerRelay, 1, 0, 0);
        registry.registerService(SVC_B, "llama-8b-q4", bytes32(uint256(2)), 500, ComputeUnitMode.PerToken, 0, 1, 3);
        for (uint256 i; i < EXTRA_SERVICES; ++i) {
            registry.registerService(_svc(i), "m", bytes32(0), 0, ComputeUnitMode.PerRelay, 1, 0, 0);
        }
        vm.stopPrank();
    }

    /// @dev The i-th extra registered service id.
    function _svc(uint256 i) internal pure returns (bytes32) {
        return bytes32(0x100 + i);
    }

    /// @dev Mints `amount` of `token` to `who` and approves staking for it.
    function _fund(TestToken token, address who, uint256 amount) internal {
        token.mint(who, amount);
        vm.prank(who);
        token.approve(address(staking), type(uint256).max);
    }

    function _stakeSupplier(address who, uint256 amount) internal {
        _fund(stakeToken, who, amount);
        vm.prank(who);
        staking.stakeSupplier(amount);
    }

    function _addService(address who, bytes32 serviceId, string memory endpoint) internal {
        vm.prank(who);
        staking.addSupplierService(serviceId, endpoint);
    }

    function _stakeGateway(address who, uint256 amount) internal {
        _fund(stakeToken, who, amount);
        vm.prank(who);
        staking.stakeGateway(amount);
    }

    function _stakeApp(address who, uint256 amount, bytes32 serviceId) internal {
        _fund(payToken, who, amount);
        bytes32[] memory ids = new bytes32[](1);
        ids[0] = serviceId;
        vm.prank(who);
        staking.stakeApplication(amount, ids);
    }

    function _delegate(address who, address gateway) internal {
        vm.prank(who);
        staking.delegateToGateway(gateway);
    }

    function _undelegate(address who, address gateway) internal {
        vm.prank(who);
        staking.undelegateFromGateway(gateway);
    }

    /// @dev Moves to the first block of `session`.
    function _toSession(uint64 session) internal {
        vm.roll(clock.sessionStartBlock(session));
    }

    /// @dev Moves to the last block of `session`.
    function _toSessionEnd(uint64 session) internal {
        vm.roll(clock.sessionEndBlock(session));
    }

    function _ids(bytes32 a) internal pure returns (bytes32[] memory ids) {
        ids = new bytes32[](1);
        ids[0] = a;
    }

    function _ids(bytes32 a, bytes32 b) internal pure returns (bytes32[] memory ids) {
        ids = new bytes32[](2);
        ids[0] = a;
        ids[1] = b;
    }
}
