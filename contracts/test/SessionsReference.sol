// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {SupplierEntry} from "../src/interfaces/IStaking.sol";

/// @notice A deliberately naive, independent implementation of the session draw (filter, score, full
///         sort, take k), against which the tests check `Sessions`.
library SessionsReference {
    function score(bytes32 seed, address app, bytes32 serviceId, uint64 session, address supplier)
        internal
        pure
        returns (uint256)
    {
        return uint256(keccak256(abi.encode(seed, app, serviceId, session, supplier)));
    }

    function draw(
        SupplierEntry[] memory entries,
        bytes32 seed,
        address app,
        bytes32 serviceId,
        uint64 session,
        uint256 k
    ) internal pure returns (address[] memory out) {
        address[] memory eligible = new address[](entries.length);
        uint256 n = 0;
        for (uint256 i = 0; i < entries.length; i++) {
            if (entries[i].fromSession <= session && session < entries[i].untilSession) {
                eligible[n++] = entries[i].supplier;
            }
        }
        // Bubble sort by (score, address): slow and obviously right.
        for (uint256 i = 0; i < n; i++) {
            for (uint256 j = 0; j + 1 < n - i; j++) {
                uint256 a = score(seed, app, serviceId, session, eligible[j]);
                uint256 b = score(seed, app, serviceId, session, eligible[j + 1]);
                if (a > b || (a == b && eligible[j] > eligible[j + 1])) {
                    (eligible[j], eligible[j + 1]) = (eligible[j + 1], eligible[j]);
                }
            }
        }
        uint256 count = n < k ? n : k;
        out = new address[](count);
        for (uint256 i = 0; i < count; i++) {
            out[i] = eligible[i];
        }
    }
}
