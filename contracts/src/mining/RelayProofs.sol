// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Relay, RelayLib, RelayRequest} from "../relay/RelayLib.sol";
import {SmstVerifier} from "../smst/SmstVerifier.sol";
import {MiningMath} from "./MiningMath.sol";
import {Claim, ClaimStatus, RelayClaims} from "./RelayClaims.sol";

/// @title RelayProofs
/// @notice Which claims must be proven, and the closest-proof check that proves one.
/// @dev Seed: the hash of the last block of the claim window (`proofWindowOpen - 1`), unknown to every
///      supplier while it could still claim. The EVM only exposes the last 256 block hashes, so the seed is
///      stored the first time anyone touches the proofs of a claim in that window (`recordProofSeed`,
///      `submitProof` or `settle`). The proof window is at most 255 blocks, so the seed is readable during
///      all of it and in the block right after; a claim whose seed was never recorded and can no longer be
///      read counts as required at settlement. RelayMiners record it during the proof window.
///
///      EIP-712: relays are signed for the domain {name "Decai", version "1", chainId, verifyingContract =
///      this contract} (`relayDomainSeparator`); the TypeScript side must sign with this address.
abstract contract RelayProofs is RelayClaims {
    mapping(uint256 seedBlock => bytes32) private _proofSeeds;

    /// @notice Emitted when the proof seed of the claims whose claim window ends at `seedBlock` is stored.
    event ProofSeedRecorded(uint256 indexed seedBlock, bytes32 seed);
    /// @notice Emitted when the closest proof of claim `key` is accepted; it proved the relay `relayHash`,
    ///         whose request `requestSigner` signed.
    event ProofSubmitted(bytes32 indexed key, bytes32 relayHash, address requestSigner);

    /// @notice The proof seed block `seedBlock` is not mined yet: wait for the proof window.
    error ProofSeedNotYetAvailable(uint256 seedBlock);
    /// @notice The hash of `seedBlock` is older than 256 blocks and was never recorded.
    error ProofSeedLost(uint256 seedBlock);
    /// @notice Block `blockNumber` is outside the claim's proof window [`open`, `close`).
    error ProofOutsideWindow(uint256 blockNumber, uint64 open, uint64 close);
    /// @notice Claim `key` already has an accepted proof.
    error ProofAlreadySubmitted(bytes32 key);
    /// @notice The proof is not a valid closest proof for `path` against the claim's root.
    error InvalidClosestProof(bytes32 key, bytes32 path);
    /// @notice The proven leaf's path is `leafPath`, not sha256(relayHash) = `expected`.
    error LeafPathMismatch(bytes32 leafPath, bytes32 expected);
    /// @notice The proven leaf's value hash is `valueHash`, not sha256(relay) = `expected`.
    error LeafValueMismatch(bytes32 valueHash, bytes32 expected);
    /// @notice The proven leaf weighs `weight`, but the relay weighs `expected` compute units.
    error LeafWeightMismatch(uint256 weight, uint256 expected);
    /// @notice The relay's request names application `actual`, the claim `expected`.
    error RelayApplicationMismatch(address expected, address actual);
    /// @notice The relay's request names service `actual`, the claim `expected`.
    error RelayServiceMismatch(bytes32 expected, bytes32 actual);
    /// @notice The relay's request names session `actual`, the claim `expected`.
    error RelaySessionMismatch(uint64 expected, uint64 actual);
    /// @notice The relay's request names supplier `actual`, the claim `expected`.
    error RelaySupplierMismatch(address expected, address actual);
    /// @notice `signer` signed the request but is neither `application` nor a gateway it delegated to in `session`.
    error UnauthorizedRelaySigner(address signer, address application, uint64 session);
    /// @notice The relay hash is not below the session's target: the relay was not reward-applicable.
    error RelayAboveTarget(bytes32 relayHash, uint256 target);

    /// @notice Stores the proof seed of claim `key` while its block hash is readable; idempotent.
    /// @param key An existing claim.
    /// @return seed The seed.
    function recordProofSeed(bytes32 key) external returns (bytes32 seed) {
        uint256 seedBlock = _existingClaim(key).proofWindowOpen - 1;
        bool known;
        (known, seed) = _touchSeed(seedBlock);
        if (!known) _revertSeedUnavailable(seedBlock);
    }

    /// @notice Submits the closest proof of claim `key` for its `proofPath`, with the proven relay. Anyone may
    ///         submit it, during the claim's proof window, once.
    /// @dev Checks, in order: the window; the proof against the claimed root; the relay's request names the
    ///      claim's application, service, session and supplier; the response commits to the request and
    ///      the supplier signed it; the request signer is the application or a gateway it delegated to in
    ///      that session; the leaf is the relay (path = sha256(relayHash), valueHash = sha256(relay),
    ///      weight = the relay's compute units); the relay hash is below `targetAt(service, session)`.
    /// @param key The claim.
    /// @param proof The closest proof (packages/smst/docs/encoding.md).
    /// @param relay abi.encode(request, requestSignature, response, responseSignature), the leaf's value.
    function submitProof(bytes32 key, bytes calldata proof, bytes calldata relay) external {
        Claim storage stored = _existingClaim(key);
        Claim memory c = stored;
        if (block.number < c.proofWindowOpen || block.number >= c.proofWindowClose) {
            revert ProofOutsideWindow(block.number, c.proofWindowOpen, c.proofWindowClose);
        }
        if (c.status != ClaimStatus.Claimed) revert ProofAlreadySubmitted(key);
        // Always readable inside the window: the seed block is at most 255 blocks back.
        (, bytes32 seed) = _touchSeed(c.proofWindowOpen - 1);
        bytes32 path = _proofPath(seed, key);
        (bool valid, SmstVerifier.ClosestLeaf memory leaf) =
            SmstVerifier.verifyClosestProof(c.rootHash, c.rootSum, c.rootCount, path, proof);
        if (!valid) revert InvalidClosestProof(key, path);
        (bytes32 hash, address signer) = _verifyRelay(c, leaf, relay);
        stored.status = ClaimStatus.Proven;
        emit ProofSubmitted(key, hash, signer);
    }

    /// @notice Whether claim `key` must be proven: its sum scaled by the difficulty reaches
    ///         `proofRequirementThreshold`, or else `uint256(keccak256(abi.encode(seed, key))) % 1e6` is below
    ///         `proofRequestProbabilityPpm`. When the answer depends on the seed (0 < ppm < 1e6) and the seed
    ///         was lost (never recorded, older than 256 blocks), the proof counts as required.
    /// @dev Reverts `ProofSeedNotYetAvailable` when the answer depends on a seed block not mined yet.
    /// @param key An existing claim.
    /// @return Whether settlement voids the claim without an accepted proof.
    function isProofRequired(bytes32 key) external view returns (bool) {
        Claim storage c = _existingClaim(key);
        if (_aboveThreshold(c)) return true;
        uint256 ppm = proofRequestProbabilityPpm;
        if (ppm == 0 || ppm >= MiningMath.PPM) return ppm != 0;
        uint256 seedBlock = c.proofWindowOpen - 1;
        (bool known, bytes32 seed) = _seedOf(seedBlock);
        if (!known) {
            if (block.number <= seedBlock) revert ProofSeedNotYetAvailable(seedBlock);
            return true;
        }
        return _requestedBySeed(seed, key);
    }

    /// @notice The path the proof of claim `key` must be the closest proof for: sha256(abi.encode(seed, key)).
    /// @param key An existing claim.
    /// @return The 32-byte challenge path.
    function proofPath(bytes32 key) external view returns (bytes32) {
        uint256 seedBlock = _existingClaim(key).proofWindowOpen - 1;
        (bool known, bytes32 seed) = _seedOf(seedBlock);
        if (!known) _revertSeedUnavailable(seedBlock);
        return _proofPath(seed, key);
    }

    /// @notice The recorded proof seed of the claims whose claim window ends at `seedBlock` (zero when none).
    function recordedProofSeed(uint256 seedBlock) external view returns (bytes32) {
        return _proofSeeds[seedBlock];
    }

    /// @notice The EIP-712 domain separator relays must be signed under: {name "Decai", version "1",
    ///         chainId: this chain, verifyingContract: this contract}.
    function relayDomainSeparator() public view returns (bytes32) {
        return RelayLib.domainSeparator(block.chainid, address(this));
    }

    /// @dev Whether claim `c` must be proven by its size alone.
    function _aboveThreshold(Claim storage c) internal view returns (bool) {
        return MiningMath.scaleUp(c.rootSum, targetAt(c.serviceId, c.session)) >= proofRequirementThreshold;
    }

    /// @dev Whether the seed draws claim `key` for a proof.
    function _requestedBySeed(bytes32 seed, bytes32 key) internal view returns (bool) {
        return uint256(keccak256(abi.encode(seed, key))) % MiningMath.PPM < proofRequestProbabilityPpm;
    }

    /// @dev The seed of `seedBlock` (recorded, or readable now); `known` is false when neither.
    function _seedOf(uint256 seedBlock) internal view returns (bool known, bytes32 seed) {
        seed = _proofSeeds[seedBlock];
        if (seed == bytes32(0) && block.number > seedBlock && block.number - seedBlock <= 256) {
            seed = blockhash(seedBlock);
        }
        known = seed != bytes32(0);
    }

    /// @dev `_seedOf`, storing a seed read from the block hash.
    function _touchSeed(uint256 seedBlock) internal returns (bool known, bytes32 seed) {
        (known, seed) = _seedOf(seedBlock);
        if (known && _proofSeeds[seedBlock] == bytes32(0)) {
            _proofSeeds[seedBlock] = seed;
            emit ProofSeedRecorded(seedBlock, seed);
        }
    }

    function _revertSeedUnavailable(uint256 seedBlock) private view {
        if (block.number <= seedBlock) revert ProofSeedNotYetAvailable(seedBlock);
        revert ProofSeedLost(seedBlock);
    }

    function _proofPath(bytes32 seed, bytes32 key) private pure returns (bytes32) {
        return sha256(abi.encode(seed, key));
    }

    /// @dev Every check of the proven relay against claim `c` and the proven `leaf`.
    function _verifyRelay(Claim memory c, SmstVerifier.ClosestLeaf memory leaf, bytes calldata encoded)
        private
        view
        returns (bytes32 hash, address signer)
    {
        Relay memory relay = RelayLib.decodeRelay(encoded);
        _checkRequestMatchesClaim(c, relay.request);
        (hash, signer) = RelayLib.verify(relayDomainSeparator(), relay);
        if (signer != c.application && !staking.isDelegated(c.application, signer, c.session)) {
            revert UnauthorizedRelaySigner(signer, c.application, c.session);
        }
        bytes32 expectedPath = SmstVerifier.pathOf(abi.encodePacked(hash));
        if (leaf.path != expectedPath) revert LeafPathMismatch(leaf.path, expectedPath);
        bytes32 expectedValue = sha256(encoded);
        if (leaf.valueHash != expectedValue) revert LeafValueMismatch(leaf.valueHash, expectedValue);
        uint256 weight = RelayLib.relayWeight(registry.getService(c.serviceId), relay);
        if (leaf.weight != weight) revert LeafWeightMismatch(leaf.weight, weight);
        uint256 target = targetAt(c.serviceId, c.session);
        if (!RelayLib.isRewardApplicable(hash, target)) revert RelayAboveTarget(hash, target);
    }

    function _checkRequestMatchesClaim(Claim memory c, RelayRequest memory r) private pure {
        if (r.application != c.application) revert RelayApplicationMismatch(c.application, r.application);
        if (r.serviceId != c.serviceId) revert RelayServiceMismatch(c.serviceId, r.serviceId);
        if (r.session != c.session) revert RelaySessionMismatch(c.session, r.session);
        if (r.supplier != c.supplier) revert RelaySupplierMismatch(c.supplier, r.supplier);
    }
}
