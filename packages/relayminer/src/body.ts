import type { IncomingMessage } from "node:http";
import { readBody as readBoundedBody } from "@decai/http";
import { RelayRejection } from "./errors.js";

const tooLarge = (limit: number) =>
  new RelayRejection(
    "request_too_large",
    `The request body is larger than this RelayMiner's limit of ${limit} bytes: shorten the prompt.`,
  );

/**
 * Reads a request body of at most `limit` bytes, refusing a larger one with 413 `request_too_large`.
 *
 * @example
 * const body = await readBody(req, 1 << 20);
 */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return readBoundedBody(req, limit, tooLarge);
}
