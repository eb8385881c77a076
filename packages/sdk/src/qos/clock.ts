/**
 * Milliseconds on a monotonic scale. QoS code reads time only through a `Clock`, so tests drive it by hand.
 *
 * @example
 * let now = 0;
 * const breaker = new CircuitBreaker({ clock: () => now });
 * now += 5_000; // five seconds later
 */
export type Clock = () => number;

/**
 * The default clock: `performance.now()` (monotonic, unaffected by wall-clock adjustments).
 *
 * @example
 * const started = systemClock();
 */
export const systemClock: Clock = () => performance.now();
