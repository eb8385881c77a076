// SPDX-License-Identifier: MIT
// Test code: never deployed.
pragma solidity ^0.8.24;

import {TestToken} from "../../src/TestToken.sol";

/// @notice Callbacks a {ReentrantToken} makes into hooked holders, as ERC-777 does (`tokensToSend` before a
///         transfer moves balances, `tokensReceived` after).
interface ITokenHooks {
    function beforeSend(address to, uint256 value) external;
    function afterReceive(address from, uint256 value) external;
}

/// @title ReentrantToken
/// @notice A malicious (or merely hook-bearing, ERC-777-like) ERC-20: every transfer from or to a hooked holder
///         calls it back, so that holder can re-enter whatever contract is moving its tokens.
/// @dev Test-only. Extends the faucet `TestToken` so the staking fixtures can mint and approve it as usual.
contract ReentrantToken is TestToken {
    /// @notice Holders that get the callbacks.
    mapping(address holder => bool) public hooked;

    /// @notice Emitted when `holder` starts or stops receiving callbacks.
    event HookSet(address indexed holder, bool on);

    constructor(string memory name_, string memory symbol_, uint8 decimals_) TestToken(name_, symbol_, decimals_) {}

    /// @notice Turns the callbacks of `holder` on or off.
    /// @param holder The holder (a contract implementing {ITokenHooks}).
    /// @param on Whether it gets callbacks.
    function setHooked(address holder, bool on) external {
        hooked[holder] = on;
        emit HookSet(holder, on);
    }

    /// @dev Calls the sender back before balances move and the recipient after, like ERC-777.
    function _update(address from, address to, uint256 value) internal override {
        if (from != address(0) && hooked[from]) ITokenHooks(from).beforeSend(to, value);
        super._update(from, to, value);
        if (to != address(0) && hooked[to]) ITokenHooks(to).afterReceive(from, value);
    }
}

/// @title ReentrancyAttacker
/// @notice A contract actor (supplier, gateway, application or DAO) that, once armed, re-enters a target with a
///         chosen call from inside the token callback it gets when tokens move from or to it. It records whether
///         the re-entrant call went through, and never reverts itself, so the outer call completes.
contract ReentrancyAttacker is ITokenHooks {
    address public target;
    bytes public payload;
    bool public armed;
    /// @notice Re-entries attempted and how many succeeded.
    uint256 public attempts;
    uint256 public successes;
    /// @notice Revert data of the last failed re-entry.
    bytes public lastRevert;

    /// @notice Calls `to` with `data` as this contract (to stake, claim, withdraw, ...); bubbles up reverts.
    function exec(address to, bytes calldata data) external returns (bytes memory result) {
        bool ok;
        (ok, result) = to.call(data);
        if (!ok) {
            assembly ("memory-safe") {
                revert(add(result, 0x20), mload(result))
            }
        }
    }

    /// @notice On the next token callback, calls `target_` with `payload_` (once).
    function arm(address target_, bytes calldata payload_) external {
        target = target_;
        payload = payload_;
        armed = true;
    }

    /// @inheritdoc ITokenHooks
    function beforeSend(address, uint256) external {
        _reenter();
    }

    /// @inheritdoc ITokenHooks
    function afterReceive(address, uint256) external {
        _reenter();
    }

    function _reenter() private {
        if (!armed) return;
        armed = false;
        ++attempts;
        (bool ok, bytes memory ret) = target.call(payload);
        if (ok) ++successes;
        else lastRevert = ret;
    }
}
