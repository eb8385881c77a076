import {
  relayMiningAbi,
  serviceName,
  serviceRegistryAbi,
  sessionClockAbi,
  sessionsAbi,
  stakingAbi,
  testTokenAbi,
} from "@decai/chain";
import type { Abi, Hex } from "viem";
import { formatAmount, type TokenUnits } from "../config/amount.js";

type AbiError = Extract<Abi[number], { type: "error" }>;

/**
 * Every custom error of the Decai contracts and the test token, once each, to decode any revert.
 *
 * @example
 * simulateContract({ ...call, abi: [...call.abi, ...decaiErrors] });
 */
export const decaiErrors: readonly AbiError[] = (() => {
  const seen = new Set<string>();
  const all = [stakingAbi, serviceRegistryAbi, relayMiningAbi, sessionClockAbi, sessionsAbi, testTokenAbi];
  return (all as readonly Abi[])
    .flat()
    .filter((item): item is AbiError => item.type === "error")
    .filter((e) => {
      if (seen.has(e.name)) return false;
      seen.add(e.name);
      return true;
    });
})();

// A service id as its name: the status library's, so errors name services the way `decai status` does.
export { serviceName };

type Explained = { message: string; hint: string };

/**
 * Turns a decoded custom error into what went wrong and what to do, in the user's terms (service names,
 * token amounts, the verb that fixes it).
 *
 * @example
 * explainRevert("UnknownService", [id], {}); // { message: 'service "x" is not registered', hint: "register it…" }
 */
export function explainRevert(
  name: string,
  args: readonly unknown[],
  context: { token?: TokenUnits } = {},
): Explained {
  const amount = (v: unknown) =>
    context.token ? formatAmount(BigInt(v as bigint), context.token) : `${String(v)} base units`;
  const svc = (v: unknown) => `"${serviceName(v as Hex)}"`;
  const [a, b, c] = args;
  switch (name) {
    case "InsufficientStake":
      return {
        message: `that would make the stake ${amount(a)}, below the minimum of ${amount(b)}`,
        hint: `stake at least ${amount(b)} in total`,
      };
    case "Unbonding":
      return {
        message: `${a} is unbonding (withdrawable from session ${b})`,
        hint: "nothing can be staked or changed while unbonding: withdraw once that session starts",
      };
    case "NotStaked":
      return { message: `${a} is not staked`, hint: "stake first" };
    case "NotUnbonding":
      return {
        message: `${a} is not unbonding`,
        hint: "unstake first, then withdraw once unbonding is over",
      };
    case "UnknownService":
      return {
        message: `service ${svc(a)} is not registered`,
        hint: "check the name with `decai status`, or register it with `decai source register`",
      };
    case "ServiceAlreadyExists":
      return {
        message: `service ${svc(a)} is already registered`,
        hint: "pick another name, or change your own service with `decai source update`",
      };
    case "NotServiceSource":
      return {
        message: `${b} is not the source of service ${svc(a)}`,
        hint: "use the key that registered it (--key)",
      };
    case "SourceShareTooHigh":
      return { message: `a source share of ${a} bps is too high`, hint: `use --share-bps ${b} or less` };
    case "InvalidComputeUnits":
      return {
        message: "those compute units give every relay zero weight",
        hint: "pass --cu-per-relay above 0, or a positive --cu-per-input-token or --cu-per-output-token",
      };
    case "EmptyModelName":
      return { message: "the model name is empty", hint: "pass --model <name>" };
    case "ServiceAlreadyStaked":
      return { message: `${a} already serves ${svc(b)}`, hint: "pass a new endpoint to move it" };
    case "ServiceNotStaked":
      return { message: `${a} does not serve ${svc(b)}`, hint: "check `decai supplier status`" };
    case "EmptyEndpoint":
      return { message: "the endpoint is empty", hint: "pass --service name=http://host:port" };
    case "TooManyServices":
      return { message: `at most ${a} services are allowed`, hint: "remove one first" };
    case "UnknownGateway":
      return {
        message: `${a} is not a staked gateway`,
        hint: "check the address: a gateway must be staked and not unbonding to receive delegations",
      };
    case "AlreadyDelegated":
      return { message: `${a} already delegates to ${b}`, hint: "nothing to do" };
    case "NotDelegated":
      return { message: `${a} does not delegate to ${b}`, hint: "check the address with `decai app status`" };
    case "TooManyDelegations":
      return {
        message: `an application delegates to at most ${a} gateways`,
        hint: "undelegate from one first",
      };
    case "SupplierIsPaused":
      return { message: `${a} is paused`, hint: "resume first with `decai supplier resume`" };
    case "SupplierNotPaused":
      return { message: `${a} is not paused`, hint: "nothing to resume" };
    case "BatchPriceNotLower":
      return {
        message: `the batch tier ${svc(a)} would not be cheaper than ${svc(b)}`,
        hint: "use the same pricing mode, with no weight above the interactive one's and one lower",
      };
    case "BatchTierExists":
      return {
        message: `${svc(a)} already has the batch tier ${svc(b)}`,
        hint: "change that one with `decai source update`",
      };
    case "NotInteractiveService":
      return {
        message: `${svc(a)} is itself a batch tier`,
        hint: "pass the interactive service to --batch-of",
      };
    case "ZeroAmount":
      return { message: "the amount is zero", hint: "give a positive amount" };
    case "ERC20InsufficientBalance":
      return {
        message: `${a} holds ${amount(b)}, needs ${amount(c)}`,
        hint: "get more tokens (on a devnet: `decai faucet`)",
      };
    case "ERC20InsufficientAllowance":
      return { message: `the allowance is ${amount(b)}, needs ${amount(c)}`, hint: "approve more and retry" };
    default:
      return {
        message: `the contract rejected it with ${name}(${args.map(String).join(", ")})`,
        hint: "see that error's NatSpec in contracts/src",
      };
  }
}
