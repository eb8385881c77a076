// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {SessionClock} from "../../../src/SessionClock.sol";
import {Staking} from "../../../src/Staking.sol";
import {TestToken} from "../../../src/TestToken.sol";
import {ClaimStatus} from "../../../src/mining/RelayClaims.sol";
import {RelayMining} from "../../../src/mining/RelayMining.sol";
import {RelayLib, RelayRequest, RelayResponse} from "../../../src/relay/RelayLib.sol";
import {Test} from "../../utils/Test.sol";

/// @notice Drives random relay-mining actions (time, claims with provable or bogus roots, proofs,
///         settlements, top-ups, difficulty updates) and keeps ghost accounting of every token movement.
/// @dev Actions move time forward only, record the session seed whenever they enter a session, and swallow
///      rejections: the invariants must hold whatever the order. Claims hold one real relay, so their closest
///      proof (a single leaf: depth 0, no siblings) is known at claim time whatever the path.
contract RelayMiningHandler is Test {
    struct Claimed {
        bytes32 key;
        bytes proof; // empty for a bogus root
        bytes relay;
    }

    RelayMining public immutable mining;
    Staking public immutable staking;
    SessionClock public immutable clock;
    TestToken public immutable payToken;
    bytes32 public immutable serviceId;

    uint256[] internal _appKeys;
    uint256[] internal _supplierKeys;
    Claimed[] internal _claims;
    uint64 internal _nonce;

    /// @notice Escrow ever deposited (setup included).
    uint256 public escrowDeposited;
    /// @notice Sum of every amount `settle` returned.
    uint256 public totalPaid;
    /// @notice Stake moved by slashing.
    uint256 public totalSlashed;
    /// @notice Successful settlements per claim key.
    mapping(bytes32 key => uint256) public settlements;
    /// @notice Settlements that paid more than the meter's cap (must stay 0).
    uint256 public capViolations;
    /// @notice Successful calls per action (keyed by keccak256 of its name), to see what a run exercised.
    mapping(bytes32 action => uint256) internal calls;

    constructor(
        RelayMining mining_,
        bytes32 serviceId_,
        uint256[] memory appKeys,
        uint256[] memory supplierKeys,
        uint256 initialEscrow
    ) {
        mining = mining_;
        staking = Staking(address(mining_.staking()));
        clock = SessionClock(address(mining_.clock()));
        payToken = TestToken(address(staking.paymentToken()));
        serviceId = serviceId_;
        _appKeys = appKeys;
        _supplierKeys = supplierKeys;
        escrowDeposited = initialEscrow;
        for (uint256 i; i < appKeys.length; ++i) {
            vm.prank(vm.addr(appKeys[i]));
            payToken.approve(address(staking), type(uint256).max);
        }
    }

    // ------------------------------------------------------------------ actions

    function advance(uint256 blocks) external {
        vm.roll(block.number + bound(blocks, 1, 8));
        clock.recordSessionSeed();
        _count("advance");
    }

    /// @dev Claims one relay of weight in [1, ~2^32] (provable) or a bogus root (never provable).
    function claim(uint256 appSeed, uint256 supplierSeed, uint32 inputTokens, bool bogus) external {
        uint64 session = _toAClaimWindow();
        uint256 appKey = _appKeys[appSeed % _appKeys.length];
        uint256 supplierKey = _supplierKeys[supplierSeed % _supplierKeys.length];
        address supplier = vm.addr(supplierKey);
        RelayRequest memory request = RelayRequest({
            application: vm.addr(appKey),
            serviceId: serviceId,
            session: session,
            supplier: supplier,
            requestDigest: bytes32(uint256(_nonce)),
            maxTokens: 100,
            nonce: ++_nonce
        });
        bytes memory relay = _signRelay(request, appKey, supplierKey, inputTokens);
        bytes32 path = sha256(abi.encodePacked(RelayLib.hashRequest(mining.relayDomainSeparator(), request)));
        // Service weights: 1 per input token, 3 per output token (output fixed at 50 here).
        uint64 weight = uint64(inputTokens) + 150;
        bytes32 root = sha256(abi.encodePacked(bytes1(0x00), path, sha256(relay), weight, uint64(1)));
        if (bogus) root = keccak256(abi.encode(root));
        vm.prank(supplier);
        try mining.claim(request.application, serviceId, session, root, weight, 1) returns (bytes32 key) {
            bytes memory proof =
                bogus ? bytes("") : abi.encodePacked(path, sha256(relay), weight, uint16(0), bytes32(0));
            _claims.push(Claimed(key, proof, relay));
            _count(bogus ? "claimBogus" : "claim");
        } catch {}
    }

    function prove(uint256 claimSeed) external {
        if (_claims.length == 0) return;
        Claimed storage c = _claims[claimSeed % _claims.length];
        uint64 open = mining.getClaim(c.key).proofWindowOpen;
        if (block.number < open) vm.roll(open);
        clock.recordSessionSeed();
        try mining.submitProof(c.key, c.proof, c.relay) {
            _count("prove");
        } catch {}
    }

    /// @dev Settles a claim (possibly one already settled: that must fail) and books what moved.
    function settle(uint256 claimSeed) external {
        if (_claims.length == 0) return;
        bytes32 key = _claims[claimSeed % _claims.length].key;
        (address supplier, address application, uint64 session) = _parties(key);
        uint256 close = mining.getClaim(key).proofWindowClose;
        if (block.number < close) vm.roll(close);
        clock.recordSessionSeed();
        uint256 cap = mining.maxPayablePerSupplier(application, session);
        uint256 stakeBefore = staking.supplierStake(supplier);
        try mining.settle(key) returns (uint256 amount) {
            ++settlements[key];
            totalPaid += amount;
            totalSlashed += stakeBefore - staking.supplierStake(supplier);
            if (amount > cap) ++capViolations;
            _count(mining.getClaim(key).status == ClaimStatus.Voided ? "void" : "settle");
        } catch {}
    }

    function topUp(uint256 appSeed, uint256 amount) external {
        address application = vm.addr(_appKeys[appSeed % _appKeys.length]);
        amount = bound(amount, 1, 1e15);
        payToken.mint(application, amount);
        vm.prank(application);
        try staking.stakeApplication(amount, new bytes32[](0)) {
            escrowDeposited += amount;
            _count("topUp");
        } catch {}
    }

    /// @dev Folds one of the last sessions into the EMA, first moving past its claim window if needed.
    function updateDifficulty(uint256 back) external {
        uint64 current = clock.currentSession();
        uint64 session = current - uint64(bound(back, 0, current < 3 ? current : 3));
        (, uint64 close) = mining.claimWindow(session);
        if (block.number < close) vm.roll(close);
        clock.recordSessionSeed();
        try mining.updateDifficulty(serviceId, session) {
            _count("updateDifficulty");
        } catch {}
    }

    // ------------------------------------------------------------------ views

    /// @notice Successful calls of `action` ("claim", "claimBogus", "prove", "settle", "void", ...).
    function callsOf(string calldata action) external view returns (uint256) {
        return calls[keccak256(bytes(action))];
    }

    /// @notice Every claim key made so far.
    function claimKeys() external view returns (bytes32[] memory keys) {
        keys = new bytes32[](_claims.length);
        for (uint256 i; i < keys.length; ++i) {
            keys[i] = _claims[i].key;
        }
    }

    // ------------------------------------------------------------------ helpers

    function _count(string memory action) internal {
        ++calls[keccak256(bytes(action))];
    }

    /// @dev Moves (forward only) into the claim window of the previous session (when it is still open and has
    ///      suppliers) or else of the current one.
    function _toAClaimWindow() internal returns (uint64 session) {
        session = clock.currentSession();
        if (session > 0 && clock.sessionSeed(session - 1) != bytes32(0)) {
            (uint64 open, uint64 close) = mining.claimWindow(session - 1);
            if (block.number < close) {
                if (block.number < open) vm.roll(open);
                clock.recordSessionSeed();
                return session - 1;
            }
        }
        (uint64 nextOpen,) = mining.claimWindow(session);
        vm.roll(nextOpen);
        clock.recordSessionSeed();
    }

    function _parties(bytes32 key) internal view returns (address supplier, address application, uint64 session) {
        (supplier, application, session) =
        (mining.getClaim(key).supplier, mining.getClaim(key).application, mining.getClaim(key).session);
    }

    function _signRelay(RelayRequest memory request, uint256 appKey, uint256 supplierKey, uint32 inputTokens)
        internal
        view
        returns (bytes memory)
    {
        bytes32 separator = mining.relayDomainSeparator();
        bytes32 hash = RelayLib.hashRequest(separator, request);
        RelayResponse memory response = RelayResponse(hash, keccak256("body"), inputTokens, 50);
        return abi.encode(
            request, _sig(appKey, hash), response, _sig(supplierKey, RelayLib.hashResponse(separator, response))
        );
    }

    function _sig(uint256 key, bytes32 digest) internal pure returns (bytes memory) {
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(key, digest);
        return abi.encodePacked(r, s, v);
    }
}
