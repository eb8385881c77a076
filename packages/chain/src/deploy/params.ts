/** Protocol parameters set at deployment; all of them can later be changed by governance. */
export type DecaiParams = {
  blocksPerSession: number;
  suppliersPerSession: number;
  unbondingSessions: number;
  minSupplierStake: bigint;
  minGatewayStake: bigint;
  minApplicationStake: bigint;
  daoShareBps: number;
};

/**
 * Defaults for a local network: short sessions so a whole claim/proof/settle cycle fits in a minute.
 * Amounts are in token base units (18 decimals).
 */
export const DEFAULT_PARAMS: DecaiParams = {
  blocksPerSession: 10,
  suppliersPerSession: 3,
  unbondingSessions: 2,
  minSupplierStake: 100n * 10n ** 18n,
  minGatewayStake: 100n * 10n ** 18n,
  minApplicationStake: 10n * 10n ** 18n,
  daoShareBps: 500,
};
