import type { Address, Hex } from "viem";
import { NoSessionError } from "../errors.js";
import type { SessionDirectory, SessionSupplier } from "../session/sessionDirectory.js";

/**
 * How long a request may still wait out a rollover, and its next pause.
 * @internal
 */
export type RolloverWait = { until: number; delayMs: number };

/**
 * Refusals that mean the supplier's view of the session and ours differ: a rollover in progress.
 * @internal
 */
export const rolloverCodes: ReadonlySet<string> = new Set([
  "session_not_ready",
  "session_not_started",
  "session_expired",
  "supplier_not_in_session",
]);

/**
 * Starts a request's rollover budget: `waitMs` from now, first pause 100 ms.
 * @internal
 *
 * @example
 * const rollover = rolloverWait(options.rolloverWaitMs ?? 5_000);
 */
export function rolloverWait(waitMs: number): RolloverWait {
  return { until: Date.now() + waitMs, delayMs: 100 };
}

/**
 * The session's suppliers; a session whose seed is about to be recorded is waited for (`rolloverWaitMs`).
 * @internal
 *
 * @example
 * const candidates = await sessionCandidates(sessions, application, serviceId, rollover, signal);
 */
export async function sessionCandidates(
  sessions: SessionDirectory,
  application: Address,
  serviceId: Hex,
  rollover: RolloverWait,
  signal: AbortSignal | undefined,
): Promise<SessionSupplier[]> {
  for (;;) {
    try {
      return await sessions.suppliers(application, serviceId);
    } catch (error) {
      const pending = error instanceof NoSessionError && error.pending;
      if (!pending || !(await waitOutRollover(sessions, rollover, signal))) throw error;
    }
  }
}

/**
 * Pauses before asking the chain again (100 ms, doubling up to 1 s); false when the wait is used up.
 * @internal
 *
 * @example
 * if (!(await waitOutRollover(sessions, rollover, signal))) throw failed();
 */
export async function waitOutRollover(
  sessions: SessionDirectory,
  rollover: RolloverWait,
  signal: AbortSignal | undefined,
): Promise<boolean> {
  if (Date.now() + rollover.delayMs > rollover.until) return false;
  await new Promise<void>((resolve, reject) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", abort);
    };
    const abort = () => {
      done();
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      done();
      resolve();
    }, rollover.delayMs);
    if (signal?.aborted) abort();
    else signal?.addEventListener("abort", abort, { once: true });
  });
  rollover.delayMs = Math.min(rollover.delayMs * 2, 1_000);
  sessions.refresh();
  return true;
}
