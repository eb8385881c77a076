/**
 * An error a caller can act on: `message` says what went wrong, `hint` says what to do about it.
 *
 * @example
 * throw new SmstError("the tree is empty", "insert at least one leaf before asking for a closest proof");
 */
export class SmstError extends Error {
  override name = "SmstError";
  constructor(
    message: string,
    readonly hint: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
