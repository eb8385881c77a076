// SPDX-License-Identifier: MIT
// Test code: never deployed.
pragma solidity ^0.8.24;

import {SessionClock} from "../../src/SessionClock.sol";
import {Staking} from "../../src/Staking.sol";
import {TestToken} from "../../src/TestToken.sol";
import {ClaimStatus} from "../../src/mining/RelayClaims.sol";
import {RelayMining} from "../../src/mining/RelayMining.sol";
import {RelayLib, RelayRequest, RelayResponse} from "../../src/relay/RelayLib.sol";
import {Test} from "../utils/Test.sol";

/// @notice Random actors over the whole protocol at once: applications (top up, unstake, withdraw, delegate,
///         undelegate), suppliers (stake, unstake, withdraw), claims signed by an application or its gateway (or
///         bogus roots), duplicate claims, proofs (honest and forged), settlements, difficulty updates and
///         governance changing parameters, while time moves on. Ghost books record every token movement and
///         every outcome the protocol must never allow.
/// @dev Claims hold one real relay, so their closest proof (a single leaf) is known at claim time. Rejected calls
///      are swallowed: the invariants must hold whatever the order. Service weights (SVC_B): 1 per input token,
///      3 per output token; output is fixed at 50 tokens.
contract ProtocolHandler is Test {
    struct Claimed {
        bytes32 key;
        address supplier;
        address application;
        bytes32 serviceId;
        uint64 session;
        bytes32 root;
        uint64 weight;
        bytes proof; // empty for a bogus root
        bytes relay; // a real signed relay, even for a bogus root (it just is not in the tree)
    }

    RelayMining public immutable mining;
    Staking public immutable staking;
    SessionClock public immutable clock;
    TestToken public immutable payToken;
    TestToken public immutable stakeToken;
    bytes32 public immutable serviceId;
    address public immutable gov;
    address public immutable source;
    uint256 public immutable gatewayKey;

    uint256[] internal _appKeys;
    uint256[] internal _supplierKeys;
    Claimed[] internal _claims;
    uint64 internal _nonce;

    // ghost books
    uint256 public escrowIn;
    uint256 public escrowOut;
    uint256 public stakeIn;
    uint256 public stakeOut;
    uint256 public totalPaid;
    uint256 public totalSlashed;
    /// @notice Payment tokens (and, with one token, slashed stake) that reached suppliers, source and DAO in settle.
    uint256 public receivedBySettlement;
    mapping(bytes32 key => uint256) public settlements;

    // outcomes that must never happen
    uint256 public doubleClaims;
    uint256 public doubleSettles;
    uint256 public unprovenPayouts;
    uint256 public bogusProven;
    uint256 public earlyWithdrawals;
    uint256 public capViolations;

    mapping(bytes32 action => uint256) internal _calls;

    constructor(
        RelayMining mining_,
        bytes32 serviceId_,
        uint256[] memory appKeys,
        uint256[] memory supplierKeys,
        uint256 gatewayKey_,
        address gov_,
        address source_,
        uint256 escrowIn_,
        uint256 stakeIn_
    ) {
        mining = mining_;
        staking = Staking(address(mining_.staking()));
        clock = SessionClock(address(mining_.clock()));
        payToken = TestToken(address(staking.paymentToken()));
        stakeToken = TestToken(address(staking.stakeToken()));
        serviceId = serviceId_;
        gov = gov_;
        source = source_;
        gatewayKey = gatewayKey_;
        _appKeys = appKeys;
        _supplierKeys = supplierKeys;
        escrowIn = escrowIn_;
        stakeIn = stakeIn_;
        for (uint256 i; i < appKeys.length; ++i) {
            _approve(vm.addr(appKeys[i]));
        }
        for (uint256 i; i < supplierKeys.length; ++i) {
            _approve(vm.addr(supplierKeys[i]));
        }
    }

    // ------------------------------------------------------------------ time

    function advance(uint256 blocks) external {
        vm.roll(block.number + bound(blocks, 1, 12));
        clock.recordSessionSeed();
        _count("advance");
    }

    // ------------------------------------------------------------------ claims, proofs, settlements

    /// @dev A claim of one relay (signed by the application, or by its gateway), or of a bogus root.
    function claim(uint256 appSeed, uint256 supplierSeed, uint32 inputTokens, uint8 mode) external {
        uint64 session = _toAClaimWindow();
        uint256 appKey = _appKeys[appSeed % _appKeys.length];
        uint256 supplierKey = _supplierKeys[supplierSeed % _supplierKeys.length];
        bool viaGateway = mode % 3 == 1;
        bool bogus = mode % 3 == 2;
        RelayRequest memory request = RelayRequest({
            application: vm.addr(appKey),
            serviceId: serviceId,
            session: session,
            supplier: vm.addr(supplierKey),
            requestDigest: bytes32(uint256(++_nonce)),
            maxTokens: 100,
            nonce: _nonce
        });
        bytes memory relay = _signRelay(request, viaGateway ? gatewayKey : appKey, supplierKey, inputTokens);
        bytes32 path = sha256(abi.encodePacked(RelayLib.hashRequest(mining.relayDomainSeparator(), request)));
        uint64 weight = uint64(inputTokens) + 150;
        bytes32 root = sha256(abi.encodePacked(bytes1(0x00), path, sha256(relay), weight, uint64(1)));
        if (bogus) root = keccak256(abi.encode(root));
        vm.prank(request.supplier);
        try mining.claim(request.application, serviceId, session, root, weight, 1) returns (bytes32 key) {
            bytes memory proof =
                bogus ? bytes("") : abi.encodePacked(path, sha256(relay), weight, uint16(0), bytes32(0));
            _claims.push(
                Claimed(key, request.supplier, request.application, serviceId, session, root, weight, proof, relay)
            );
            _count(bogus ? "claimBogus" : viaGateway ? "claimViaGateway" : "claim");
        } catch {}
    }

    /// @dev The same (supplier, application, service, session) claimed again: must always be refused.
    function claimAgain(uint256 claimSeed) external {
        if (_claims.length == 0) return;
        Claimed storage c = _claims[claimSeed % _claims.length];
        (uint64 open, uint64 close) = mining.claimWindow(c.session);
        if (block.number < open || block.number >= close) return; // only the window could let it through
        vm.prank(c.supplier);
        try mining.claim(c.application, c.serviceId, c.session, keccak256(abi.encode(c.root)), c.weight, 1) {
            ++doubleClaims;
        } catch {
            _count("claimAgainRefused");
        }
    }

    /// @dev Submits the claim's proof: for a bogus root, a forged one (another claim's relay and leaf).
    function prove(uint256 claimSeed, uint256 otherSeed) external {
        if (_claims.length == 0) return;
        Claimed storage c = _claims[claimSeed % _claims.length];
        bool bogus = c.proof.length == 0;
        Claimed storage donor = _claims[otherSeed % _claims.length];
        bytes memory proof = bogus ? donor.proof : c.proof;
        bytes memory relay = bogus ? donor.relay : c.relay;
        if (proof.length == 0) proof = abi.encodePacked(bytes32(0), bytes32(0), uint64(1), uint16(0), bytes32(0));
        uint64 open = mining.getClaim(c.key).proofWindowOpen;
        if (block.number < open) vm.roll(open);
        clock.recordSessionSeed();
        try mining.submitProof(c.key, proof, relay) {
            if (bogus) ++bogusProven;
            _count("prove");
        } catch {}
    }

    /// @dev Settles a claim (possibly one already final: that must fail) and books everything that moved.
    function settle(uint256 claimSeed) external {
        if (_claims.length == 0) return;
        Claimed storage c = _claims[claimSeed % _claims.length];
        uint64 close = mining.getClaim(c.key).proofWindowClose;
        if (block.number < close) vm.roll(close);
        clock.recordSessionSeed();
        ClaimStatus before = mining.getClaim(c.key).status;
        bool final_ = before == ClaimStatus.Settled || before == ClaimStatus.Voided;
        bool required = true;
        if (!final_) {
            try mining.isProofRequired(c.key) returns (bool r) {
                required = r;
            } catch {}
        }
        uint256 cap = mining.maxPayablePerSupplier(c.application, c.session);
        uint256 stakeBefore = staking.supplierStake(c.supplier);
        uint256 payeesBefore = _payeeBalances();
        try mining.settle(c.key) returns (uint256 amount) {
            if (final_) ++doubleSettles;
            ++settlements[c.key];
            totalPaid += amount;
            totalSlashed += stakeBefore - staking.supplierStake(c.supplier);
            receivedBySettlement += _payeeBalances() - payeesBefore;
            if (amount > cap) ++capViolations;
            // No payout without a valid claim: a claim that had to be proven is paid only once proven.
            if (amount > 0 && required && before != ClaimStatus.Proven) ++unprovenPayouts;
            _count(mining.getClaim(c.key).status == ClaimStatus.Voided ? "void" : "settle");
        } catch {}
    }

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

    // ------------------------------------------------------------------ applications

    function topUp(uint256 appSeed, uint256 amount) external {
        address app = vm.addr(_appKeys[appSeed % _appKeys.length]);
        amount = bound(amount, 1, 1e15);
        (uint256 escrow,,,) = staking.getApplication(app);
        if (escrow == 0) amount += staking.minApplicationStake();
        payToken.mint(app, amount);
        bytes32[] memory ids = new bytes32[](1);
        ids[0] = serviceId;
        vm.prank(app);
        try staking.stakeApplication(amount, ids) {
            escrowIn += amount;
            _count("topUp");
        } catch {}
    }

    function unstakeApplication(uint256 appSeed) external {
        vm.prank(vm.addr(_appKeys[appSeed % _appKeys.length]));
        try staking.unstakeApplication() {
            _count("unstakeApplication");
        } catch {}
    }

    /// @dev Tried whether or not the unbonding is over: an early success is a violation.
    function withdrawApplication(uint256 appSeed) external {
        address app = vm.addr(_appKeys[appSeed % _appKeys.length]);
        (, uint64 withdrawable,,) = staking.getApplication(app);
        bool early = withdrawable == 0 || clock.currentSession() < withdrawable;
        uint256 before = payToken.balanceOf(app);
        vm.prank(app);
        try staking.withdrawApplication() {
            if (early) ++earlyWithdrawals;
            escrowOut += payToken.balanceOf(app) - before;
            _count("withdrawApplication");
        } catch {}
    }

    function delegate(uint256 appSeed) external {
        vm.prank(vm.addr(_appKeys[appSeed % _appKeys.length]));
        try staking.delegateToGateway(vm.addr(gatewayKey)) {
            _count("delegate");
        } catch {}
    }

    function undelegate(uint256 appSeed) external {
        vm.prank(vm.addr(_appKeys[appSeed % _appKeys.length]));
        try staking.undelegateFromGateway(vm.addr(gatewayKey)) {
            _count("undelegate");
        } catch {}
    }

    // ------------------------------------------------------------------ suppliers

    /// @dev Stakes more (or again, after a withdrawal, with the service added back).
    function stakeSupplier(uint256 supplierSeed, uint256 amount) external {
        address supplier = vm.addr(_supplierKeys[supplierSeed % _supplierKeys.length]);
        amount = bound(amount, staking.minSupplierStake(), 10 * staking.minSupplierStake() + 1);
        stakeToken.mint(supplier, amount);
        vm.startPrank(supplier);
        try staking.stakeSupplier(amount) {
            stakeIn += amount;
            _count("stakeSupplier");
            try staking.addSupplierService(serviceId, "https://relayminer.example") {} catch {}
        } catch {}
        vm.stopPrank();
    }

    function unstakeSupplier(uint256 supplierSeed) external {
        vm.prank(vm.addr(_supplierKeys[supplierSeed % _supplierKeys.length]));
        try staking.unstakeSupplier() {
            _count("unstakeSupplier");
        } catch {}
    }

    /// @dev Tried whether or not the unbonding is over: an early success is a violation.
    function withdrawSupplier(uint256 supplierSeed) external {
        address supplier = vm.addr(_supplierKeys[supplierSeed % _supplierKeys.length]);
        (, uint64 withdrawable,) = staking.getSupplier(supplier);
        bool early = withdrawable == 0 || clock.currentSession() < withdrawable;
        uint256 before = stakeToken.balanceOf(supplier);
        vm.prank(supplier);
        try staking.withdrawSupplier() {
            if (early) ++earlyWithdrawals;
            stakeOut += stakeToken.balanceOf(supplier) - before;
            _count("withdrawSupplier");
        } catch {}
    }

    // ------------------------------------------------------------------ governance

    /// @dev Governance changes one parameter to a random (in-range) value.
    function setParameter(uint256 which, uint256 value) external {
        vm.startPrank(gov);
        which %= 8;
        if (which == 0) mining.setProofRequestProbabilityPpm(uint32(bound(value, 0, 1_000_000)));
        else if (which == 1) mining.setPaymentPerComputeUnit(bound(value, 0, 1e6));
        else if (which == 2) mining.setSlashFractionBps(uint16(bound(value, 0, 10_000)));
        else if (which == 3) mining.setProofRequirementThreshold(bound(value, 1, type(uint256).max));
        else if (which == 4) staking.setUnbondingSessions(uint32(bound(value, 1, 4)));
        else if (which == 5) staking.setDaoShareBps(uint16(bound(value, 0, 5000)));
        else if (which == 6) mining.setProofWindowBlocks(uint64(bound(value, 1, 12)));
        else clock.setSuppliersPerSession(uint16(bound(value, 1, 3)));
        vm.stopPrank();
        _count("setParameter");
    }

    // ------------------------------------------------------------------ views

    /// @notice Successful calls of `action`.
    function callsOf(string calldata action) external view returns (uint256) {
        return _calls[keccak256(bytes(action))];
    }

    /// @notice Every claim key made so far.
    function claimKeys() external view returns (bytes32[] memory keys) {
        keys = new bytes32[](_claims.length);
        for (uint256 i; i < keys.length; ++i) {
            keys[i] = _claims[i].key;
        }
    }

    /// @notice Every actor whose stake or escrow the handler moves.
    function actors() external view returns (address[] memory list) {
        list = new address[](_appKeys.length + _supplierKeys.length);
        for (uint256 i; i < _appKeys.length; ++i) {
            list[i] = vm.addr(_appKeys[i]);
        }
        for (uint256 i; i < _supplierKeys.length; ++i) {
            list[_appKeys.length + i] = vm.addr(_supplierKeys[i]);
        }
    }

    // ------------------------------------------------------------------ helpers

    function _count(string memory action) internal {
        ++_calls[keccak256(bytes(action))];
    }

    function _approve(address who) internal {
        vm.startPrank(who);
        payToken.approve(address(staking), type(uint256).max);
        stakeToken.approve(address(staking), type(uint256).max);
        vm.stopPrank();
    }

    /// @dev Payment-token balances of everyone a settlement pays: the suppliers, the source and the DAO.
    function _payeeBalances() internal view returns (uint256 sum) {
        for (uint256 i; i < _supplierKeys.length; ++i) {
            sum += payToken.balanceOf(vm.addr(_supplierKeys[i]));
        }
        sum += payToken.balanceOf(source) + payToken.balanceOf(staking.dao());
    }

    /// @dev Moves (forward only) into the claim window of the previous session when still open, else of the current.
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

    function _signRelay(RelayRequest memory request, uint256 requesterKey, uint256 supplierKey, uint32 inputTokens)
        internal
        view
        returns (bytes memory)
    {
        bytes32 separator = mining.relayDomainSeparator();
        bytes32 hash = RelayLib.hashRequest(separator, request);
        RelayResponse memory response = RelayResponse(hash, keccak256("body"), inputTokens, 50);
        return abi.encode(
            request, _sig(requesterKey, hash), response, _sig(supplierKey, RelayLib.hashResponse(separator, response))
        );
    }

    function _sig(uint256 key, bytes32 digest) internal pure returns (bytes memory) {
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(key, digest);
        return abi.encodePacked(r, s, v);
    }
}
