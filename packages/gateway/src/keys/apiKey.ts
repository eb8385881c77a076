import { createHash, createHmac, randomBytes, timingSafeEqual } from "node:crypto";

/** Every API key starts with this, so leaked keys are easy to scan for. */
export const apiKeyPrefix = "dk_";

/** `dk_` + 43 base64url characters (32 random bytes). */
const keyPattern = /^dk_[A-Za-z0-9_-]{43}$/;

/** A freshly made key: `key` is shown once and never stored; the rest is. */
export type NewApiKey = { key: string; id: string; prefix: string };

/**
 * Makes a new API key from 32 random bytes, its public id and its display prefix.
 *
 * @example
 * const { key, id, prefix } = generateApiKey(); // key = "dk_Qm9…" (show it once), id = "key_3f9a0c1d2e4b5a69"
 */
export function generateApiKey(): NewApiKey {
  const key = `${apiKeyPrefix}${randomBytes(32).toString("base64url")}`;
  return { key, id: `key_${randomBytes(8).toString("hex")}`, prefix: key.slice(0, 7) };
}

/**
 * The stored form of a key: HMAC-SHA256 under the server secret, or plain SHA-256 without one. A 32-byte random
 * key needs no slow hash; the secret additionally makes a stolen database useless for offline checks.
 *
 * @example
 * const hash = hashApiKey(key, process.env.DECAI_GATEWAY_KEY_SECRET);
 */
export function hashApiKey(key: string, secret?: string): string {
  return secret
    ? createHmac("sha256", secret).update(key).digest("hex")
    : createHash("sha256").update(key).digest("hex");
}

/**
 * Whether `key` has the shape of a Decai API key (cheap check before any store lookup).
 *
 * @example
 * isApiKey("dk_" + "A".repeat(43)); // true
 */
export function isApiKey(key: string): boolean {
  return keyPattern.test(key);
}

/**
 * The bearer token of an `Authorization` header (`Bearer <token>`), or `undefined` when absent or not a bearer.
 *
 * @example
 * bearerToken(req.headers.authorization); // "dk_…"
 */
export function bearerToken(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1];
}

/**
 * Compares two secrets in constant time (hashing first, so lengths do not leak either).
 *
 * @example
 * if (!safeEqual(bearerToken(req.headers.authorization) ?? "", adminToken)) throw …;
 */
export function safeEqual(a: string, b: string): boolean {
  const ha = createHash("sha256").update(a).digest();
  const hb = createHash("sha256").update(b).digest();
  return timingSafeEqual(ha, hb);
}
