import type { RelayRequest, RelayResponse } from "./types.js";

/**
 * How a service weighs one relay in compute units; mirrors `ComputeUnitMode` in
 * contracts/src/interfaces/IServiceRegistry.sol (viem decodes the enum as these numbers).
 *
 * @example
 * service.cuMode === ComputeUnitMode.PerToken;
 */
export const ComputeUnitMode = { PerRelay: 0, PerToken: 1 } as const;
export type ComputeUnitMode = (typeof ComputeUnitMode)[keyof typeof ComputeUnitMode];

/** The fields of the Solidity `Service` struct that price a relay; a full `Service` record fits. */
export type ServiceComputeUnits = {
  cuMode: ComputeUnitMode | number;
  cuPerRelay: bigint;
  cuPerInputToken: bigint;
  cuPerOutputToken: bigint;
};

/** The parts of a relay that its weight depends on. */
export type RelayWeightInput = {
  request: Pick<RelayRequest, "maxTokens">;
  response: Pick<RelayResponse, "inputTokens" | "outputTokens">;
};

/**
 * Compute units of one relay (`RelayLib.relayWeight`): `cuPerRelay` for PerRelay services; for PerToken ones
 * `inputTokens * cuPerInputToken + min(outputTokens, maxTokens) * cuPerOutputToken`, so a supplier cannot bill
 * more output than the application allowed.
 *
 * @example
 * relayWeight({ cuMode: ComputeUnitMode.PerToken, cuPerRelay: 0n, cuPerInputToken: 1n, cuPerOutputToken: 3n },
 *   { request: { maxTokens: 100 }, response: { inputTokens: 20, outputTokens: 150 } }); // 320n
 */
export function relayWeight(service: ServiceComputeUnits, relay: RelayWeightInput): bigint {
  if (service.cuMode === ComputeUnitMode.PerRelay) return service.cuPerRelay;
  if (service.cuMode === ComputeUnitMode.PerToken) {
    const { maxTokens } = relay.request;
    const { inputTokens, outputTokens } = relay.response;
    const billedOutput = Math.min(outputTokens, maxTokens);
    return BigInt(inputTokens) * service.cuPerInputToken + BigInt(billedOutput) * service.cuPerOutputToken;
  }
  throw new RangeError(
    `unknown compute unit mode ${String(service.cuMode)}: expected ComputeUnitMode.PerRelay (0) or PerToken (1)`,
  );
}
