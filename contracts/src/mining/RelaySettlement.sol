// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {Service} from "../interfaces/IServiceRegistry.sol";
import {MiningMath} from "./MiningMath.sol";
import {Claim, ClaimStatus} from "./RelayClaims.sol";
import {RelayProofs} from "./RelayProofs.sol";

/// @title RelaySettlement
/// @notice Pays settled claims out of the application's escrow (split supplier / source / DAO), or voids
///         them and slashes the supplier when a required proof is missing. Nothing is minted or burned.
abstract contract RelaySettlement is RelayProofs {
    /// @notice Emitted when claim `key` is paid `amount` = `supplierAmount` + `sourceAmount` + `daoAmount`.
    event ClaimSettled(
        bytes32 indexed key, uint256 amount, uint256 supplierAmount, uint256 sourceAmount, uint256 daoAmount
    );
    /// @notice Emitted when claim `key` is void for a missing proof; `slashed` stake of `supplier` went to the DAO.
    event ClaimVoided(bytes32 indexed key, address indexed supplier, uint256 slashed);

    /// @notice Claim `key` can be settled from block `close`, when its proof window has closed.
    error ProofWindowNotClosed(bytes32 key, uint64 close);
    /// @notice Claim `key` was already settled (or voided).
    error AlreadySettled(bytes32 key);

    /// @notice Settles claim `key`: anyone, once, after its proof window.
    /// @dev Without an accepted proof, a required proof (`isProofRequired`) voids the claim and slashes
    ///      `slashFractionBps` of the supplier's stake to the DAO. Otherwise it pays `settlementAmount(key)`
    ///      from the application's escrow: `daoShareBps` to the DAO, the service's `sourceShareBps` to its
    ///      source, the rest to the supplier.
    /// @param key The claim.
    /// @return amount The amount paid (0 when voided).
    function settle(bytes32 key) external returns (uint256 amount) {
        Claim storage stored = _existingClaim(key);
        Claim memory c = stored;
        if (c.status == ClaimStatus.Settled || c.status == ClaimStatus.Voided) revert AlreadySettled(key);
        if (block.number < c.proofWindowClose) revert ProofWindowNotClosed(key, c.proofWindowClose);
        if (c.status != ClaimStatus.Proven && _proofRequiredAtSettlement(stored, key)) {
            _void(stored, c, key);
            return 0;
        }
        amount = settlementAmount(key);
        Service memory service = registry.getService(c.serviceId);
        (uint256 daoAmount, uint256 sourceAmount, uint256 supplierAmount) =
            MiningMath.split(amount, staking.daoShareBps(), service.sourceShareBps);
        stored.status = ClaimStatus.Settled;
        emit ClaimSettled(key, amount, supplierAmount, sourceAmount, daoAmount);
        if (amount != 0) {
            staking.payFromEscrow(c.application, c.supplier, service.source, supplierAmount, sourceAmount, daoAmount);
        }
    }

    /// @notice What claim `key` is paid if it is settled now and not voided:
    ///         min(rootSum * paymentPerComputeUnit * MAX / target, maxPayablePerSupplier, escrow left).
    /// @dev With target == MAX (every relay applicable) the first term is exactly rootSum * paymentPerComputeUnit.
    /// @param key An existing claim.
    /// @return amount In payment-token base units.
    function settlementAmount(bytes32 key) public view returns (uint256 amount) {
        Claim storage c = _existingClaim(key);
        amount = MiningMath.scaleUp(uint256(c.rootSum) * paymentPerComputeUnit, targetAt(c.serviceId, c.session));
        amount = Math.min(amount, maxPayablePerSupplier(c.application, c.session));
        amount = Math.min(amount, staking.applicationEscrow(c.application));
    }

    /// @dev Whether an unproven claim is void: required by size, by probability 1, by a lost seed, or drawn
    ///      by the seed (stored now if still readable). Mirrors `isProofRequired`.
    function _proofRequiredAtSettlement(Claim storage c, bytes32 key) private returns (bool) {
        if (_aboveThreshold(c)) return true;
        uint256 ppm = proofRequestProbabilityPpm;
        if (ppm == 0 || ppm >= MiningMath.PPM) return ppm != 0;
        (bool known, bytes32 seed) = _touchSeed(c.proofWindowOpen - 1);
        return !known || _requestedBySeed(seed, key);
    }

    function _void(Claim storage stored, Claim memory c, bytes32 key) private {
        uint256 slash = Math.mulDiv(staking.supplierStake(c.supplier), slashFractionBps, MiningMath.BPS);
        stored.status = ClaimStatus.Voided;
        emit ClaimVoided(key, c.supplier, slash);
        if (slash != 0) staking.slashSupplier(c.supplier, slash, staking.dao());
    }
}
