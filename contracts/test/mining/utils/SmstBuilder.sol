// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @notice One leaf as the tree stores it: path = sha256(key), valueHash = sha256(value).
struct SmstLeaf {
    bytes32 path;
    bytes32 valueHash;
    uint64 weight;
}

/// @title SmstBuilder
/// @notice Builds small Decai sparse Merkle sum trees in tests: roots and closest proofs, written from
///         packages/smst/docs/encoding.md with abi.encodePacked (independent of SmstVerifier's assembly) and
///         cross-checked against the TypeScript vectors in SmstBuilder.t.sol. Recursive, so keep trees small.
library SmstBuilder {
    /// @notice The leaf of a relay: key = relay hash, value = the encoded relay.
    function relayLeaf(bytes32 relayHash, bytes memory relay, uint64 weight) internal pure returns (SmstLeaf memory) {
        return SmstLeaf(sha256(abi.encodePacked(relayHash)), sha256(relay), weight);
    }

    /// @notice The root (hash, sum, count) of the tree holding `leaves` (paths distinct).
    function root(SmstLeaf[] memory leaves) internal pure returns (bytes32 hash, uint64 sum, uint64 count) {
        bytes memory d = _digest(leaves, 0);
        (hash, sum, count) = _unpack(d);
    }

    /// @notice The closest proof for `path` and the index in `leaves` of the leaf it proves.
    function closestProof(SmstLeaf[] memory leaves, bytes32 path)
        internal
        pure
        returns (bytes memory proof, uint256 index)
    {
        require(leaves.length != 0, "SmstBuilder: empty tree");
        bytes[] memory topDown = new bytes[](256);
        uint256 found;
        uint256 bitmask;
        uint256 depth;
        SmstLeaf[] memory current = leaves;
        while (current.length > 1) {
            (SmstLeaf[] memory left, SmstLeaf[] memory right) = _split(current, depth);
            (SmstLeaf[] memory near, SmstLeaf[] memory far) = _bit(path, depth) == 0 ? (left, right) : (right, left);
            // Follow the path's bit; take the other side only when the path's side is empty.
            if (near.length == 0) (near, far) = (far, near);
            if (far.length != 0) {
                bitmask |= uint256(1) << (255 - depth);
                topDown[found++] = _digest(far, depth + 1);
            }
            current = near;
            ++depth;
        }
        SmstLeaf memory leaf = current[0];
        // casting to 'uint16' is safe because depth <= 256
        // forge-lint: disable-next-line(unsafe-typecast)
        proof = abi.encodePacked(leaf.path, leaf.valueHash, leaf.weight, uint16(depth), bitmask);
        for (uint256 i = found; i > 0; --i) {
            proof = abi.encodePacked(proof, topDown[i - 1]);
        }
        for (uint256 i; i < leaves.length; ++i) {
            if (leaves[i].path == leaf.path) index = i;
        }
    }

    /// @notice Bit `depth` of `path`, most significant first.
    function bit(bytes32 path, uint256 depth) internal pure returns (uint256) {
        return _bit(path, depth);
    }

    /// @dev The 48-byte digest of the subtree at `depth` holding `leaves`.
    function _digest(SmstLeaf[] memory leaves, uint256 depth) private pure returns (bytes memory) {
        if (leaves.length == 0) return new bytes(48);
        if (leaves.length == 1) {
            SmstLeaf memory leaf = leaves[0];
            bytes32 h = sha256(abi.encodePacked(bytes1(0x00), leaf.path, leaf.valueHash, leaf.weight, uint64(1)));
            return abi.encodePacked(h, leaf.weight, uint64(1));
        }
        (SmstLeaf[] memory left, SmstLeaf[] memory right) = _split(leaves, depth);
        bytes memory l = _digest(left, depth + 1);
        bytes memory r = _digest(right, depth + 1);
        (, uint64 ls, uint64 lc) = _unpack(l);
        (, uint64 rs, uint64 rc) = _unpack(r);
        uint64 sum = ls + rs;
        uint64 count = lc + rc;
        return abi.encodePacked(sha256(abi.encodePacked(bytes1(0x01), l, r, sum, count)), sum, count);
    }

    function _split(SmstLeaf[] memory leaves, uint256 depth)
        private
        pure
        returns (SmstLeaf[] memory left, SmstLeaf[] memory right)
    {
        uint256 ones;
        for (uint256 i; i < leaves.length; ++i) {
            ones += _bit(leaves[i].path, depth);
        }
        left = new SmstLeaf[](leaves.length - ones);
        right = new SmstLeaf[](ones);
        uint256 li;
        uint256 ri;
        for (uint256 i; i < leaves.length; ++i) {
            if (_bit(leaves[i].path, depth) == 0) left[li++] = leaves[i];
            else right[ri++] = leaves[i];
        }
    }

    function _unpack(bytes memory d) private pure returns (bytes32 hash, uint64 sum, uint64 count) {
        uint256 meta;
        assembly ("memory-safe") {
            hash := mload(add(d, 0x20))
            meta := shr(128, mload(add(d, 0x40)))
        }
        // casting to 'uint64' is safe because each half of meta is 64 bits
        // forge-lint: disable-next-line(unsafe-typecast)
        (sum, count) = (uint64(meta >> 64), uint64(meta));
    }

    function _bit(bytes32 path, uint256 depth) private pure returns (uint256) {
        return (uint256(path) >> (255 - depth)) & 1;
    }
}
