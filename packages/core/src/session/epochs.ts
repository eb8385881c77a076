/**
 * A run of sessions sharing one length and one supplier count; mirrors `Epoch` in
 * contracts/src/interfaces/ISessionClock.sol. A governance change opens a new epoch at the next session
 * boundary, so the numbering of past sessions never changes.
 */
export type Epoch = {
  startBlock: bigint;
  startSession: bigint;
  blocksPerSession: number;
  suppliersPerSession: number;
};

/**
 * The epoch that `session` belongs to (the last one starting at or before it).
 *
 * @example
 * const epoch = epochOf(epochs, 12n);
 */
export function epochOf(epochs: readonly Epoch[], session: bigint): Epoch {
  let found: Epoch | undefined;
  for (const epoch of epochs) {
    if (epoch.startSession <= session) found = epoch;
    else break;
  }
  if (!found) throw new RangeError(`session ${session} is before the first epoch`);
  return found;
}

/**
 * The session containing `blockNumber`; throws for blocks before genesis.
 *
 * @example
 * sessionOf([{ startBlock: 100n, startSession: 0n, blocksPerSession: 10, suppliersPerSession: 3 }], 125n); // 2n
 */
export function sessionOf(epochs: readonly Epoch[], blockNumber: bigint): bigint {
  let found: Epoch | undefined;
  for (const epoch of epochs) {
    if (epoch.startBlock <= blockNumber) found = epoch;
    else break;
  }
  if (!found) throw new RangeError(`block ${blockNumber} is before the genesis block`);
  return found.startSession + (blockNumber - found.startBlock) / BigInt(found.blocksPerSession);
}

/**
 * The first block of `session`.
 *
 * @example
 * sessionStartBlock(epochs, 2n); // 120n when genesis is block 100 and sessions last 10 blocks
 */
export function sessionStartBlock(epochs: readonly Epoch[], session: bigint): bigint {
  const epoch = epochOf(epochs, session);
  return epoch.startBlock + (session - epoch.startSession) * BigInt(epoch.blocksPerSession);
}

/**
 * The last block of `session` (inclusive).
 *
 * @example
 * sessionEndBlock(epochs, 2n); // 129n when genesis is block 100 and sessions last 10 blocks
 */
export function sessionEndBlock(epochs: readonly Epoch[], session: bigint): bigint {
  return sessionStartBlock(epochs, session + 1n) - 1n;
}
