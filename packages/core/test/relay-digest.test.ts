import { createHash } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { computeRequestDigest, computeResponseDigest, createResponseHasher } from "../src/relay/index.js";

const sha256 = (...parts: (string | Uint8Array)[]) => {
  const hash = createHash("sha256");
  for (const part of parts) hash.update(part);
  return `0x${hash.digest("hex")}`;
};

describe("computeRequestDigest", () => {
  it("hashes METHOD 0x00 path 0x00 body", () => {
    const body = JSON.stringify({ model: "tiny", messages: [{ role: "user", content: "hé" }] });
    expect(computeRequestDigest({ method: "POST", path: "/v1/chat/completions", body })).toBe(
      sha256("POST\0/v1/chat/completions\0", Buffer.from(body, "utf8")),
    );
    expect(computeRequestDigest({ method: "GET", path: "/v1/models" })).toBe(sha256("GET\0/v1/models\0"));
  });

  it("upper-cases the method and treats a string body as UTF-8", () => {
    const body = '{"prompt":"ünïcode"}';
    expect(computeRequestDigest({ method: "post", path: "/p", body })).toBe(
      computeRequestDigest({ method: "POST", path: "/p", body: new TextEncoder().encode(body) }),
    );
  });

  it("gives distinct digests to distinct requests, whatever bytes the body holds", () => {
    const part = fc.string({ maxLength: 8 }).filter((s) => !s.includes("\0"));
    const request = fc.record({
      method: part.filter((s) => s.length > 0),
      path: part,
      body: fc.string({ maxLength: 8 }),
    });
    fc.assert(
      fc.property(request, request, (a, b) => {
        const same =
          a.method.toUpperCase() === b.method.toUpperCase() && a.path === b.path && a.body === b.body;
        expect(computeRequestDigest(a) === computeRequestDigest(b)).toBe(same);
      }),
    );
  });

  it("keeps the separators unambiguous: NUL in the method or path is rejected", () => {
    expect(() => computeRequestDigest({ method: "POST", path: "/a\0b" })).toThrow(
      /path must be a string without NUL/,
    );
    expect(() => computeRequestDigest({ method: "PO\0ST", path: "/" })).toThrow(/method must be/);
    expect(() => computeRequestDigest({ method: "", path: "/" })).toThrow(/non-empty/);
  });
});

describe("response digests", () => {
  it("computeResponseDigest is sha256 of the body", () => {
    expect(computeResponseDigest("")).toBe(
      "0xe3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    );
    expect(computeResponseDigest(new Uint8Array([1, 2, 3]))).toBe(sha256(new Uint8Array([1, 2, 3])));
  });

  it("the incremental hasher equals the one-shot digest for any split into chunks", () => {
    const chunks = fc.array(fc.oneof(fc.string({ maxLength: 20 }), fc.uint8Array({ maxLength: 40 })), {
      maxLength: 12,
    });
    fc.assert(
      fc.property(chunks, (parts) => {
        const hasher = createResponseHasher();
        for (const part of parts) hasher.update(part);
        const whole = Buffer.concat(parts.map((p) => (typeof p === "string" ? Buffer.from(p, "utf8") : p)));
        expect(hasher.digest()).toBe(computeResponseDigest(whole));
      }),
    );
  });

  it("hashes an SSE stream as the concatenation of its chunks", () => {
    const events = ['data: {"choices":[{"delta":{"content":"Hi"}}]}\n\n', "data: [DONE]\n\n"];
    const digest = createResponseHasher()
      .update(events[0] as string)
      .update(events[1] as string)
      .digest();
    expect(digest).toBe(computeResponseDigest(events.join("")));
  });

  it("refuses to be reused after digest()", () => {
    const hasher = createResponseHasher().update("a");
    hasher.digest();
    expect(() => hasher.update("b")).toThrow(/already digested/);
    expect(() => hasher.digest()).toThrow(/already digested/);
  });
});
