import type { IncomingMessage } from "node:http";
import { GatewayError } from "../errors.js";
import type { GatewayStore } from "../store/types.js";
import { bearerToken, hashApiKey, isApiKey } from "./apiKey.js";
import type { ApiKeyRecord } from "./types.js";

/**
 * The API key of a request (`Authorization: Bearer dk_…`), looked up by its hash. Throws 401s that say what to
 * do: `missing_api_key`, `invalid_api_key` (malformed or unknown), `api_key_revoked`.
 *
 * @example
 * const key = await authenticate(req, store, process.env.DECAI_GATEWAY_KEY_SECRET);
 */
export async function authenticate(
  req: IncomingMessage,
  store: GatewayStore,
  secret: string | undefined,
): Promise<ApiKeyRecord> {
  const token = bearerToken(req.headers.authorization);
  if (!token) {
    throw new GatewayError(
      "missing_api_key",
      "You didn't provide an API key. Send it in the Authorization header: `Authorization: Bearer dk_…`.",
    );
  }
  const record = isApiKey(token) ? await store.keyByHash(hashApiKey(token, secret)) : undefined;
  if (!record) {
    throw new GatewayError(
      "invalid_api_key",
      `Incorrect API key provided: ${token.slice(0, 7)}…. Keys look like dk_ followed by 43 characters; ask the gateway's operator for one.`,
    );
  }
  if (record.revokedAt !== null) {
    throw new GatewayError(
      "api_key_revoked",
      `The API key ${record.prefix}… was revoked on ${new Date(record.revokedAt).toISOString()}: ask the gateway's operator for a new one.`,
    );
  }
  return record;
}
