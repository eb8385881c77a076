// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC20Errors} from "@openzeppelin/contracts/interfaces/draft-IERC6093.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {TestToken} from "../src/TestToken.sol";
import {Test} from "./utils/Test.sol";

contract TestTokenTest is Test {
    TestToken internal token;

    function setUp() public {
        token = new TestToken("Decai Test USD", "tUSD", 6);
    }

    function test_metadata() public {
        vm.assertEq(token.name(), "Decai Test USD");
        vm.assertEq(token.symbol(), "tUSD");
        vm.assertEq(uint256(token.decimals()), 6);
        vm.assertEq(uint256(new TestToken("a", "b", 18).decimals()), 18);
    }

    function test_mint_byAnyoneCreditsRecipient() public {
        vm.expectEmit(true, true, true, true, address(token));
        emit IERC20.Transfer(address(0), address(0xb0b), 5e6);
        vm.prank(address(0xa11ce));
        token.mint(address(0xb0b), 5e6);
        vm.assertEq(token.balanceOf(address(0xb0b)), 5e6);
        vm.assertEq(token.totalSupply(), 5e6);
    }

    function test_mint_revertsToZeroAddress() public {
        vm.expectRevert(abi.encodeWithSelector(IERC20Errors.ERC20InvalidReceiver.selector, address(0)));
        token.mint(address(0), 1);
    }

    function testFuzz_mint_addsUp(address to, uint128 a, uint128 b) public {
        vm.assume(to != address(0));
        token.mint(to, a);
        token.mint(to, b);
        vm.assertEq(token.balanceOf(to), uint256(a) + b);
        vm.assertEq(token.totalSupply(), uint256(a) + b);
    }
}
