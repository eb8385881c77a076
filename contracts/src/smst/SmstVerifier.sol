// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title SmstVerifier
/// @notice Verifies closest proofs of Decai's sparse Merkle sum tree (packages/smst; byte layout in
///         packages/smst/docs/encoding.md). Hashing is sha256 through the precompile at 0x02, so the
///         tree a supplier builds off-chain and the root it claims on-chain agree byte for byte.
/// @dev Node digests are hash ‖ sum (uint64 BE) ‖ count (uint64 BE):
///      leaf  = sha256(0x00 ‖ path ‖ valueHash ‖ weight ‖ 1),
///      inner = sha256(0x01 ‖ leftDigest ‖ rightDigest ‖ sum ‖ count), an empty subtree is 48 zero bytes.
///      Proof = leafPath (32) ‖ valueHash (32) ‖ weight (8) ‖ depth (2) ‖ bitmask (32) ‖ siblings (48 each,
///      deepest first), where bit d of the bitmask (MSB first) says the sibling at depth d is not empty.
library SmstVerifier {
    /// @notice The leaf a valid closest proof proves.
    /// @param path sha256 of the leaf's key.
    /// @param valueHash sha256 of the leaf's value.
    /// @param weight The leaf's weight (its share of the root's sum).
    /// @param depth The leaf's depth in the compressed tree (0 when it is the only leaf).
    struct ClosestLeaf {
        bytes32 path;
        bytes32 valueHash;
        uint64 weight;
        uint16 depth;
    }

    /// @notice Bytes of a proof before its siblings.
    uint256 internal constant PROOF_HEADER_SIZE = 106;
    /// @notice Bytes of one sibling digest.
    uint256 internal constant DIGEST_SIZE = 48;

    uint256 private constant MAX_DEPTH = 256;

    /// @notice Checks that `proof` shows a leaf of the tree with root (`rootHash`, `rootSum`, `rootCount`)
    ///         and that no leaf of that tree is closer to `path` (a longer common prefix). Never reverts on
    ///         malformed input: it returns false with an empty leaf.
    /// @dev Closeness costs one AND: wherever the leaf's path leaves `path`, the sibling on `path`'s side
    ///      must be empty, i.e. `(path ^ leafPath) & bitmask == 0`. The encoding is canonical: bits at or
    ///      below the leaf, empty listed siblings, a missing sibling for the leaf itself or trailing bytes
    ///      all fail.
    /// @param rootHash The claimed root hash.
    /// @param rootSum The claimed sum of weights.
    /// @param rootCount The claimed number of leaves.
    /// @param path The challenge path.
    /// @param proof The encoded closest proof.
    /// @return valid Whether the proof holds.
    /// @return leaf The proven leaf when valid, zeros otherwise.
    function verifyClosestProof(bytes32 rootHash, uint64 rootSum, uint64 rootCount, bytes32 path, bytes memory proof)
        internal
        view
        returns (bool valid, ClosestLeaf memory leaf)
    {
        uint256 bitmask;
        (valid, leaf, bitmask) = _parse(proof);
        if (valid) valid = uint256(path ^ leaf.path) & bitmask == 0;
        if (valid) {
            (bool ok, bytes32 hash, uint256 meta) = _climb(leaf, bitmask, proof);
            valid = ok && hash == rootHash && meta == _meta(rootSum, rootCount);
        }
        if (!valid) leaf = ClosestLeaf(0, 0, 0, 0);
    }

    /// @notice The path of `key` in the tree: sha256(key).
    /// @param key The leaf's key (for relays, the relay hash).
    /// @return The 32-byte path.
    function pathOf(bytes memory key) internal pure returns (bytes32) {
        return sha256(key);
    }

    /// @dev Reads the fixed header and checks the shape: depth in range, no bitmask bits at or below the
    ///      leaf, one sibling per set bit, and the leaf's own sibling non-empty (otherwise the leaf would sit
    ///      one level higher in a compressed tree).
    function _parse(bytes memory proof) private pure returns (bool ok, ClosestLeaf memory leaf, uint256 bitmask) {
        uint256 length = proof.length;
        if (length < PROOF_HEADER_SIZE || (length - PROOF_HEADER_SIZE) % DIGEST_SIZE != 0) return (false, leaf, 0);
        bytes32 leafPath;
        bytes32 valueHash;
        uint256 weight;
        uint256 depth;
        assembly ("memory-safe") {
            let p := add(proof, 0x20)
            leafPath := mload(p)
            valueHash := mload(add(p, 32))
            weight := shr(192, mload(add(p, 64)))
            depth := shr(240, mload(add(p, 72)))
            bitmask := mload(add(p, 74))
        }
        if (depth > MAX_DEPTH) return (false, leaf, 0);
        // Bit d sits at position 255 - d, so bits d >= depth are the low 256 - depth bits (none when depth = 256).
        if (depth < MAX_DEPTH && bitmask << depth != 0) return (false, leaf, 0);
        if (depth > 0 && (bitmask >> (MAX_DEPTH - depth)) & 1 == 0) return (false, leaf, 0);
        uint256 set;
        for (uint256 x = bitmask; x != 0; x &= x - 1) {
            ++set;
        }
        if (set != (length - PROOF_HEADER_SIZE) / DIGEST_SIZE) return (false, leaf, 0);
        // Both fit: weight was read from 8 bytes and depth is at most 256.
        return (true, ClosestLeaf(leafPath, valueHash, uint64(weight), uint16(depth)), bitmask);
    }

    /// @dev Hashes from the leaf up to the root, taking siblings deepest first. `meta` packs a node's sum
    ///      and count as `sum << 64 | count`, the 16 bytes that follow its hash in a digest. Fails on an
    ///      empty listed sibling or a sum or count past uint64.
    function _climb(ClosestLeaf memory leaf, uint256 bitmask, bytes memory proof)
        private
        view
        returns (bool ok, bytes32 hash, uint256 meta)
    {
        hash = _hashLeaf(leaf.path, leaf.valueHash, leaf.weight);
        meta = _meta(leaf.weight, 1);
        uint256 next = PROOF_HEADER_SIZE;
        for (uint256 d = leaf.depth; d > 0;) {
            unchecked {
                --d;
            }
            bytes32 siblingHash;
            uint256 siblingMeta;
            if ((bitmask >> (255 - d)) & 1 == 1) {
                assembly ("memory-safe") {
                    let p := add(add(proof, 0x20), next)
                    siblingHash := mload(p)
                    siblingMeta := shr(128, mload(add(p, 32)))
                }
                if (siblingMeta & type(uint64).max == 0) return (false, 0, 0);
                next += DIGEST_SIZE;
            }
            uint256 parentSum = (meta >> 64) + (siblingMeta >> 64);
            uint256 parentCount = (meta & type(uint64).max) + (siblingMeta & type(uint64).max);
            if (parentSum > type(uint64).max || parentCount > type(uint64).max) return (false, 0, 0);
            uint256 parentMeta = (parentSum << 64) | parentCount;
            hash = (uint256(leaf.path) >> (255 - d)) & 1 == 1
                ? _hashInner(siblingHash, siblingMeta, hash, meta, parentMeta)
                : _hashInner(hash, meta, siblingHash, siblingMeta, parentMeta);
            meta = parentMeta;
        }
        return (true, hash, meta);
    }

    /// @dev A digest's 16 trailing bytes as one number: `sum << 64 | count`.
    function _meta(uint256 sum, uint256 count) private pure returns (uint256) {
        return (sum << 64) | count;
    }

    /// @dev sha256(0x00 ‖ path ‖ valueHash ‖ weight ‖ 1), built past the free memory pointer (scratch).
    function _hashLeaf(bytes32 path, bytes32 valueHash, uint256 weight) private view returns (bytes32 hash) {
        assembly ("memory-safe") {
            let p := mload(0x40)
            mstore8(p, 0x00)
            mstore(add(p, 1), path)
            mstore(add(p, 33), valueHash)
            mstore(add(p, 65), shl(192, weight))
            mstore(add(p, 73), shl(192, 1))
            if iszero(staticcall(gas(), 0x02, p, 81, 0x00, 0x20)) { revert(0, 0) }
            hash := mload(0x00)
        }
    }

    /// @dev sha256(0x01 ‖ leftHash ‖ leftMeta ‖ rightHash ‖ rightMeta ‖ meta), metas as 16 bytes each.
    function _hashInner(bytes32 leftHash, uint256 leftMeta, bytes32 rightHash, uint256 rightMeta, uint256 meta)
        private
        view
        returns (bytes32 hash)
    {
        assembly ("memory-safe") {
            let p := mload(0x40)
            // Each word written overwrites the zero tail of the one before: write in increasing order.
            mstore8(p, 0x01)
            mstore(add(p, 1), leftHash)
            mstore(add(p, 33), shl(128, leftMeta))
            mstore(add(p, 49), rightHash)
            mstore(add(p, 81), shl(128, rightMeta))
            mstore(add(p, 97), shl(128, meta))
            if iszero(staticcall(gas(), 0x02, p, 113, 0x00, 0x20)) { revert(0, 0) }
            hash := mload(0x00)
        }
    }
}
