import { abortError } from "./openai/errors.js";

/**
 * Waits `ms` milliseconds (forever when `ms` is Infinity), or rejects with an `AbortError` as soon as `signal`
 * aborts.
 *
 * @example
 * await sleep(50, signal);
 */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.reject(abortError(signal));
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortError(signal));
    };
    // setTimeout would turn Infinity into 1 ms
    const timer = Number.isFinite(ms)
      ? setTimeout(() => {
          signal?.removeEventListener("abort", onAbort);
          resolve();
        }, ms)
      : undefined;
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
