import { abortError } from "./openai/errors.js";

/**
 * Wraps a generator so that `cleanup` runs exactly once however it ends: exhausted, thrown, returned early
 * (`break`), returned before it ever started (where a plain generator would skip its `finally`), or `signal`
 * aborted while nobody is reading (reads after an abort reject with an `AbortError`). This is what frees a
 * llama.cpp sequence when a client disconnects.
 *
 * @example
 * return withCleanup(generate(sequence), () => queue.release(sequence), signal);
 */
export function withCleanup<T>(
  source: AsyncGenerator<T>,
  cleanup: () => void | Promise<void>,
  signal?: AbortSignal,
): AsyncGenerator<T> {
  let cleaned: Promise<void> | undefined;
  const done = () => {
    signal?.removeEventListener("abort", onAbort);
    cleaned ??= Promise.resolve().then(cleanup);
    return cleaned;
  };
  let started = false;
  async function* run(): AsyncGenerator<T> {
    try {
      yield* source;
    } finally {
      await done();
    }
  }
  const inner = run();
  const onAbort = () => {
    if (started) void inner.return(undefined).catch(() => {});
    else void wrapper.return(undefined);
  };
  const wrapper: AsyncGenerator<T> = {
    next(...args) {
      if (signal?.aborted) {
        // abort already ended (or is ending) the source; say why instead of a silent `done`
        return (started ? inner.return(undefined).then(done) : done()).then(() =>
          Promise.reject(abortError(signal)),
        );
      }
      started = true;
      return inner.next(...args);
    },
    async return(value) {
      try {
        return await inner.return(value as T);
      } finally {
        if (!started) {
          await source.return(undefined);
          await done();
        }
      }
    },
    async throw(err) {
      try {
        return await inner.throw(err);
      } finally {
        if (!started) await done();
      }
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
  signal?.addEventListener("abort", onAbort, { once: true });
  return wrapper;
}
