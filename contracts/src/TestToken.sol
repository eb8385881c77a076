// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @title TestToken
/// @notice An ERC-20 with a public faucet, for devnets and tests: ANYONE can mint ANY amount.
/// @dev NEVER use it in production or on a network where the token should have value: its supply is
///      unbounded and free. Production deployments point Staking at a real ERC-20.
contract TestToken is ERC20 {
    uint8 private immutable _decimals;

    /// @param name_ Token name, e.g. "Decai Test Token".
    /// @param symbol_ Token symbol, e.g. "DCT".
    /// @param decimals_ Number of decimals shown by wallets (18 for most tokens, 6 for USDC-like ones).
    constructor(string memory name_, string memory symbol_, uint8 decimals_) ERC20(name_, symbol_) {
        _decimals = decimals_;
    }

    /// @notice Mints `amount` tokens to `to`. Callable by anyone: a faucet for devnets and tests only.
    /// @param to The recipient (non-zero; ERC20InvalidReceiver otherwise).
    /// @param amount The amount in the smallest unit.
    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    /// @inheritdoc ERC20
    function decimals() public view override returns (uint8) {
        return _decimals;
    }
}
