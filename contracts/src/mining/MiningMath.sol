// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";

/// @title MiningMath
/// @notice The arithmetic of relay mining, kept pure so that it can be fuzzed alone and mirrored
///         off-chain: difficulty scaling, the EMA of relays per session, the next target, the
///         settlement cap and the split of a payment.
/// @dev "Scaling up by the difficulty" multiplies by `MAX_TARGET / target`: with the easiest target
///      (`MAX_TARGET`, every relay applicable) it is the identity.
library MiningMath {
    /// @notice The easiest target: every relay hash is below it.
    uint256 internal constant MAX_TARGET = type(uint256).max;
    /// @notice Denominator of basis points.
    uint256 internal constant BPS = 10_000;
    /// @notice Denominator of parts per million.
    uint256 internal constant PPM = 1_000_000;

    /// @notice `x * MAX_TARGET / target` rounded down, saturating at `MAX_TARGET`.
    /// @dev x <= target keeps the quotient <= MAX_TARGET; x > target makes it exceed MAX_TARGET.
    /// @param x A count or sum measured on the applicable relays only.
    /// @param target The difficulty target the relays were mined at, positive.
    /// @return The estimate over all relays.
    function scaleUp(uint256 x, uint256 target) internal pure returns (uint256) {
        if (x > target) return MAX_TARGET;
        return Math.mulDiv(x, MAX_TARGET, target);
    }

    /// @notice One EMA step: `alpha * estimate + (1 - alpha) * ema`, alpha in basis points.
    /// @dev Each term is rounded down on its own, so the result never exceeds max(ema, estimate).
    /// @param ema The previous average.
    /// @param estimate The new observation.
    /// @param alphaBps Weight of the new observation, in [1, BPS].
    /// @return The new average.
    function emaStep(uint256 ema, uint256 estimate, uint256 alphaBps) internal pure returns (uint256) {
        return Math.mulDiv(estimate, alphaBps, BPS) + Math.mulDiv(ema, BPS - alphaBps, BPS);
    }

    /// @notice The target that would make `targetRelays` of `ema` relays applicable:
    ///         `MAX_TARGET * targetRelays / max(ema, 1)`, capped at `MAX_TARGET` and floored at 1.
    /// @param ema Average relays per session (scaled up, i.e. over all relays).
    /// @param targetRelays Wanted applicable relays per session, positive.
    /// @return target The next target.
    function targetFor(uint256 ema, uint256 targetRelays) internal pure returns (uint256 target) {
        if (ema <= targetRelays) return MAX_TARGET;
        target = Math.mulDiv(MAX_TARGET, targetRelays, ema);
        if (target == 0) target = 1;
    }

    /// @notice Sessions whose claims may still be unpaid while a session is served:
    ///         `ceil(windowBlocks / blocksPerSession) + 1`.
    /// @param windowBlocks Blocks from a session's end until its proof window closes
    ///        (claim window offset + claim window + proof window).
    /// @param blocksPerSession The session length, positive.
    /// @return The number of pending sessions.
    function pendingSessions(uint256 windowBlocks, uint256 blocksPerSession) internal pure returns (uint256) {
        return Math.ceilDiv(windowBlocks, blocksPerSession) + 1;
    }

    /// @notice Splits `amount` into DAO, source and supplier parts; the supplier gets the rest, so the
    ///         parts always add up to `amount`.
    /// @param amount The payment.
    /// @param daoBps DAO share in basis points.
    /// @param sourceBps Source share in basis points; `daoBps + sourceBps <= BPS`.
    /// @return daoAmount The DAO part, rounded down.
    /// @return sourceAmount The source part, rounded down.
    /// @return supplierAmount The rest.
    function split(uint256 amount, uint256 daoBps, uint256 sourceBps)
        internal
        pure
        returns (uint256 daoAmount, uint256 sourceAmount, uint256 supplierAmount)
    {
        daoAmount = Math.mulDiv(amount, daoBps, BPS);
        sourceAmount = Math.mulDiv(amount, sourceBps, BPS);
        supplierAmount = amount - daoAmount - sourceAmount;
    }
}
