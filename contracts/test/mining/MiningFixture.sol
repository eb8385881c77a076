// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Sessions} from "../../src/Sessions.sol";
import {Claim} from "../../src/mining/RelayClaims.sol";
import {MiningParameters} from "../../src/mining/MiningParams.sol";
import {RelayMining} from "../../src/mining/RelayMining.sol";
import {RelayLib, RelayRequest, RelayResponse} from "../../src/relay/RelayLib.sol";
import {StakingFixture} from "../StakingFixture.t.sol";
import {SmstBuilder, SmstLeaf} from "./utils/SmstBuilder.sol";

/// @notice Staking fixture plus `Sessions` and `RelayMining`, actors with private keys (to sign relays),
///         and helpers to mine relays, build trees, claim, prove and move through the windows.
/// @dev Sessions are 10 blocks, genesis at block 1. With the default parameters the claim window of session
///      S is [start(S+1) + 2, + 5) and its proof window the 5 blocks after. Every test serves session `S`.
abstract contract MiningFixture is StakingFixture {
    uint256 internal constant APP_KEY = 0xA11CE5;
    uint256 internal constant GATEWAY_KEY = 0x6A7E5;
    uint256 internal constant SUPPLIER_KEY = 0x5B1;
    uint256 internal constant SUPPLIER2_KEY = 0x5B2;
    uint256 internal constant STRANGER_KEY = 0xBAD;

    uint64 internal constant S = 3;
    uint64 internal constant OFFSET = 2;
    uint64 internal constant CLAIM_BLOCKS = 5;
    uint64 internal constant PROOF_BLOCKS = 5;
    uint256 internal constant PRICE = 1000; // payment units per compute unit
    uint256 internal constant ESCROW = 1_000_000e6;
    uint256 internal constant SUPPLIER_STAKE = 1000e18;
    uint16 internal constant SLASH_BPS = 2500;
    uint256 internal constant MAX = type(uint256).max;

    Sessions internal sessions;
    RelayMining internal mining;

    address internal application;
    address internal gateway;
    address internal supplier;
    address internal supplier2;
    address internal stranger;

    function setUp() public virtual override {
        _deployBase();
        sessions = new Sessions(address(staking), address(clock));
        mining = new RelayMining(gov, address(staking), address(sessions), _params());
        vm.prank(gov);
        staking.setSettlement(address(mining));

        application = vm.addr(APP_KEY);
        gateway = vm.addr(GATEWAY_KEY);
        supplier = vm.addr(SUPPLIER_KEY);
        supplier2 = vm.addr(SUPPLIER2_KEY);
        stranger = vm.addr(STRANGER_KEY);

        for (uint256 i; i < 2; ++i) {
            address who = i == 0 ? supplier : supplier2;
            _stakeSupplier(who, SUPPLIER_STAKE);
            _addService(who, SVC_A, "https://relayminer.example");
            _addService(who, SVC_B, "https://relayminer.example");
        }
        _stakeGateway(gateway, MIN_GATEWAY);
        _fund(payToken, application, ESCROW);
        vm.prank(application);
        staking.stakeApplication(ESCROW, _ids(SVC_A, SVC_B));
        _delegate(application, gateway);
        _enterSession(S);
    }

    /// @dev Tokens, registry, clock and staking (two tokens); the same-token tests override it.
    function _deployBase() internal virtual {
        super.setUp();
    }

    /// @dev The parameters `RelayMining` is deployed with; tests override them.
    function _params() internal view virtual returns (MiningParameters memory p) {
        p.claimWindowOpenOffsetBlocks = OFFSET;
        p.claimWindowBlocks = CLAIM_BLOCKS;
        p.proofWindowBlocks = PROOF_BLOCKS;
        p.proofRequirementThreshold = MAX; // only the probability asks for proofs
        p.proofRequestProbabilityPpm = 1_000_000; // every claim must be proven
        p.slashFractionBps = SLASH_BPS;
        p.paymentPerComputeUnit = PRICE;
        p.targetRelaysPerSession = 4;
        p.difficultyEmaAlphaBps = 5000;
        p.initialTarget = MAX;
    }

    /// @dev Moves to the first block of `session` and records its seed, so its supplier set exists.
    function _enterSession(uint64 session) internal {
        _toSession(session);
        clock.recordSessionSeed();
    }

    // ------------------------------------------------------------------ relays

    function _request(bytes32 serviceId, uint64 session, address supplier_, uint64 nonce)
        internal
        view
        returns (RelayRequest memory)
    {
        return RelayRequest({
            application: application,
            serviceId: serviceId,
            session: session,
            supplier: supplier_,
            requestDigest: sha256("POST\x00/v1/chat/completions\x00{}"),
            maxTokens: 100,
            nonce: nonce
        });
    }

    /// @dev A relay of the default request (SVC_A, session S, `supplier`) signed by the application.
    function _relay(uint64 nonce) internal view returns (bytes memory relay, bytes32 hash) {
        return _sign(_request(SVC_A, S, supplier, nonce), APP_KEY, SUPPLIER_KEY, 12, 30);
    }

    /// @dev Signs `request` with `requestKey` and a response with `responseKey`; returns the canonical encoding.
    function _sign(
        RelayRequest memory request,
        uint256 requestKey,
        uint256 responseKey,
        uint32 inputTokens,
        uint32 outputTokens
    ) internal view returns (bytes memory relay, bytes32 hash) {
        bytes32 separator = mining.relayDomainSeparator();
        hash = RelayLib.hashRequest(separator, request);
        RelayResponse memory response = RelayResponse(hash, sha256("data: hi\n\n"), inputTokens, outputTokens);
        relay = abi.encode(
            request,
            _signature(requestKey, hash),
            response,
            _signature(responseKey, RelayLib.hashResponse(separator, response))
        );
    }

    function _signature(uint256 key, bytes32 digest) internal pure returns (bytes memory) {
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(key, digest);
        return abi.encodePacked(r, s, v);
    }

    /// @dev A single-leaf tree holding `relay` with `weight`: it is the closest leaf to every path.
    function _single(bytes memory relay, bytes32 hash, uint64 weight) internal pure returns (SmstLeaf[] memory t) {
        t = new SmstLeaf[](1);
        t[0] = SmstBuilder.relayLeaf(hash, relay, weight);
    }

    // ------------------------------------------------------------------ claims and proofs

    /// @dev Moves to the claim window of `session` and claims `leaves` as `who` for (application, serviceId).
    function _claim(address who, bytes32 serviceId, uint64 session, SmstLeaf[] memory leaves)
        internal
        returns (bytes32 key)
    {
        (uint64 open,) = mining.claimWindow(session);
        if (block.number < open) vm.roll(open);
        (bytes32 hash, uint64 sum, uint64 count) = SmstBuilder.root(leaves);
        vm.prank(who);
        key = mining.claim(application, serviceId, session, hash, sum, count);
    }

    /// @dev Claims a one-relay tree (SVC_A, session S, `supplier`, weight 1) and returns the relay too.
    function _claimOne(uint64 nonce) internal returns (bytes32 key, bytes memory relay, SmstLeaf[] memory leaves) {
        bytes32 hash;
        (relay, hash) = _relay(nonce);
        leaves = _single(relay, hash, 1);
        key = _claim(supplier, SVC_A, S, leaves);
    }

    function _toProofWindow(bytes32 key) internal {
        vm.roll(_claimOf(key).proofWindowOpen);
    }

    function _toSettlement(bytes32 key) internal {
        vm.roll(_claimOf(key).proofWindowClose);
    }

    /// @dev The closest proof of `leaves` for the claim's path, and the index of its leaf.
    function _proofFor(bytes32 key, SmstLeaf[] memory leaves) internal view returns (bytes memory, uint256) {
        return SmstBuilder.closestProof(leaves, mining.proofPath(key));
    }

    function _claimOf(bytes32 key) internal view returns (Claim memory) {
        return mining.getClaim(key);
    }
}
