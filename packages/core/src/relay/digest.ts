import { createHash, type Hash } from "node:crypto";
import type { Hex } from "viem";

const separator = Buffer.from([0]);

/** The parts of an HTTP request that a relay request commits to. */
export type RequestDigestInput = {
  /** HTTP method; upper-cased before hashing ("post" and "POST" give the same digest). */
  method: string;
  /** Path including the query string, exactly as forwarded (e.g. "/v1/chat/completions"). */
  path: string;
  /** Raw body bytes (a string is hashed as UTF-8); omit for an empty body. */
  body?: string | Uint8Array | undefined;
};

/**
 * `requestDigest` of a relay request: sha256(utf8(METHOD) || 0x00 || utf8(path) || 0x00 || body). Neither the
 * method nor the path may contain a NUL byte, which keeps the encoding unambiguous.
 *
 * @example
 * computeRequestDigest({ method: "POST", path: "/v1/chat/completions", body: JSON.stringify(payload) });
 */
export function computeRequestDigest({ method, path, body }: RequestDigestInput): Hex {
  if (typeof method !== "string" || method.length === 0 || method.includes("\0")) {
    throw new TypeError(`method must be a non-empty string without NUL bytes, got ${JSON.stringify(method)}`);
  }
  if (typeof path !== "string" || path.includes("\0")) {
    throw new TypeError(`path must be a string without NUL bytes, got ${JSON.stringify(path)}`);
  }
  const hash = createHash("sha256").update(method.toUpperCase(), "utf8").update(separator);
  hash.update(path, "utf8").update(separator);
  if (body !== undefined) hash.update(body);
  return `0x${hash.digest("hex")}`;
}

/**
 * `responseDigest` of a complete (non-streamed) response body: sha256 of its bytes.
 *
 * @example
 * computeResponseDigest(await response.text());
 */
export function computeResponseDigest(body: string | Uint8Array): Hex {
  return `0x${createHash("sha256").update(body).digest("hex")}`;
}

/** Incremental `responseDigest` for streamed responses; see `createResponseHasher`. */
export type ResponseHasher = {
  /** Adds the next chunk of the body, exactly as sent to the client (strings are hashed as UTF-8). */
  update(chunk: string | Uint8Array): ResponseHasher;
  /** The digest of all chunks so far; the hasher cannot be updated afterwards. */
  digest(): Hex;
};

/**
 * Hashes a streamed (e.g. SSE) response chunk by chunk: the digest equals `computeResponseDigest` of the
 * concatenated chunks, so the client can check it against the whole body it received.
 *
 * @example
 * const hasher = createResponseHasher();
 * for await (const chunk of upstream) { hasher.update(chunk); client.write(chunk); }
 * const responseDigest = hasher.digest();
 */
export function createResponseHasher(): ResponseHasher {
  const hash: Hash = createHash("sha256");
  let done = false;
  const hasher: ResponseHasher = {
    update(chunk) {
      if (done) throw new Error("response hasher already digested: create a new one per response");
      hash.update(chunk);
      return hasher;
    },
    digest() {
      if (done) throw new Error("response hasher already digested: create a new one per response");
      done = true;
      return `0x${hash.digest("hex")}`;
    },
  };
  return hasher;
}
