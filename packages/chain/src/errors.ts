/**
 * An error a user can act on: `message` says what went wrong, `hint` says what to do about it.
 * The CLI prints `message` then `hint` on one line and exits non-zero.
 *
 * @example
 * throw new ChainError("anvil not found", "run `npm install` in the repository root");
 */
export class ChainError extends Error {
  override name = "ChainError";
  constructor(
    message: string,
    readonly hint: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
