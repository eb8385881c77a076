/** Protocol parameters set at deployment; all of them can later be changed by governance. */
export type DecaiParams = {
  // sessions
  blocksPerSession: number;
  suppliersPerSession: number;
  // staking
  unbondingSessions: number;
  minSupplierStake: bigint;
  minGatewayStake: bigint;
  minApplicationStake: bigint;
  daoShareBps: number;
  // relay mining
  claimWindowOpenOffsetBlocks: number;
  claimWindowBlocks: number;
  proofWindowBlocks: number;
  /** Scaled compute units from which a claim must always be proven. */
  proofRequirementThreshold: bigint;
  /** Chance (parts per million) that a smaller claim must be proven. */
  proofRequestProbabilityPpm: number;
  slashFractionBps: number;
  /** Payment-token base units per compute unit. */
  paymentPerComputeUnit: bigint;
  targetRelaysPerSession: bigint;
  difficultyEmaAlphaBps: number;
  /** Difficulty target until a service's first update; 2^256-1 makes every relay applicable. */
  initialTarget: bigint;
};

/**
 * Defaults for a local network: short sessions so a whole claim/proof/settle cycle fits in well under a
 * minute with one-second blocks. Amounts are in token base units (18 decimals). Unbonding outlasts the
 * sessions a claim can still be pending, so stakes and escrows stay liable until settled.
 */
export const DEFAULT_PARAMS: DecaiParams = {
  blocksPerSession: 10,
  suppliersPerSession: 3,
  unbondingSessions: 4,
  minSupplierStake: 100n * 10n ** 18n,
  minGatewayStake: 100n * 10n ** 18n,
  minApplicationStake: 10n * 10n ** 18n,
  daoShareBps: 500,
  claimWindowOpenOffsetBlocks: 1,
  claimWindowBlocks: 4,
  proofWindowBlocks: 4,
  proofRequirementThreshold: 10n ** 6n,
  proofRequestProbabilityPpm: 250_000,
  slashFractionBps: 1_000,
  paymentPerComputeUnit: 10n ** 12n,
  targetRelaysPerSession: 1_000n,
  difficultyEmaAlphaBps: 2_000,
  initialTarget: 2n ** 256n - 1n,
};

/** The relay-mining part of {@link DecaiParams}, shaped as the `RelayMining` constructor's struct. */
export function miningParameters(p: DecaiParams) {
  return {
    claimWindowOpenOffsetBlocks: BigInt(p.claimWindowOpenOffsetBlocks),
    claimWindowBlocks: BigInt(p.claimWindowBlocks),
    proofWindowBlocks: BigInt(p.proofWindowBlocks),
    proofRequirementThreshold: p.proofRequirementThreshold,
    proofRequestProbabilityPpm: p.proofRequestProbabilityPpm,
    slashFractionBps: p.slashFractionBps,
    paymentPerComputeUnit: p.paymentPerComputeUnit,
    targetRelaysPerSession: p.targetRelaysPerSession,
    difficultyEmaAlphaBps: p.difficultyEmaAlphaBps,
    initialTarget: p.initialTarget,
  };
}

/** Params whose values are bigints, for (de)serialising deployment files. */
export const BIGINT_PARAMS = [
  "minSupplierStake",
  "minGatewayStake",
  "minApplicationStake",
  "proofRequirementThreshold",
  "paymentPerComputeUnit",
  "targetRelaysPerSession",
  "initialTarget",
] as const satisfies readonly (keyof DecaiParams)[];
