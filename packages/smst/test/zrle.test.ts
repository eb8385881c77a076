import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decodeZrle, encodeZrle, zrleSize } from "../src/store/zrle.js";

/** Encodes `value` (key `key`); undefined when the encoder falls back to raw. */
function encode(value: Uint8Array, key: Uint8Array): Uint8Array | undefined {
  const out = new Uint8Array(value.length + 8).fill(0xee);
  const end = encodeZrle(value, key, out, 3);
  // It writes nothing before `at`, nor from `at + value.length - 1` on (the room a raw value would take).
  const limit = Math.max(3, 3 + value.length - 1);
  expect(out.subarray(0, 3)).toEqual(Uint8Array.of(0xee, 0xee, 0xee));
  expect(out.subarray(limit)).toEqual(new Uint8Array(out.length - limit).fill(0xee));
  if (end < 0) return undefined;
  expect(end - 3).toBeLessThan(value.length);
  return out.slice(3, end);
}

function decode(encoded: Uint8Array, key: Uint8Array): Uint8Array {
  const size = zrleSize(encoded, 0, encoded.length, key.length);
  expect(size).toBeGreaterThanOrEqual(0);
  const value = new Uint8Array(size + 2).fill(0xaa);
  expect(decodeZrle(encoded, 0, encoded.length, key, value, 1)).toBe(size + 1);
  expect([value[0], value[size + 1]]).toEqual([0xaa, 0xaa]);
  return value.subarray(1, size + 1);
}

function roundTrip(value: Uint8Array, key: Uint8Array): void {
  const encoded = encode(value, key);
  if (encoded) expect(decode(encoded, key)).toEqual(value);
}

/** Values shaped like ABI encodings: zero words, left-padded small numbers, random words, right-padded bytes. */
const abiLike = fc
  .array(
    fc.oneof(
      fc.constant(new Uint8Array(32)),
      fc.integer({ min: 1, max: 31 }).map((n) => {
        const word = new Uint8Array(32);
        word.set(
          Array.from({ length: n }, (_, i) => (i * 37 + n) % 255 || 1),
          32 - n,
        );
        return word;
      }),
      fc.uint8Array({ minLength: 32, maxLength: 32 }),
      fc.uint8Array({ minLength: 1, maxLength: 31 }).map((b) => {
        const word = new Uint8Array(32);
        word.set(b);
        return word;
      }),
    ),
    { maxLength: 24 },
  )
  .map((words) => {
    const value = new Uint8Array(32 * words.length);
    for (const [i, w] of words.entries()) value.set(w, 32 * i);
    return value;
  });

describe("zero-run encoding of values", () => {
  it("round-trips random bytes, or declines to encode them", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 700 }), fc.uint8Array({ maxLength: 40 }), (value, key) =>
        roundTrip(value, key),
      ),
      { numRuns: 300 },
    );
  });

  it("round-trips zero-heavy and ABI-shaped values, and shrinks sparse ones to about their non-zero bytes", () => {
    const sparse = fc
      .array(fc.tuple(fc.nat(999), fc.integer({ min: 1, max: 255 })), { maxLength: 40 })
      .map((bytes) => {
        const value = new Uint8Array(1000);
        for (const [at, b] of bytes) value[at] = b;
        return value;
      });
    const key = fc.uint8Array({ minLength: 32, maxLength: 32 });
    fc.assert(
      fc.property(abiLike, key, (value, k) => roundTrip(value, k)),
      { numRuns: 300 },
    );
    fc.assert(
      fc.property(sparse, key, (value, k) => {
        roundTrip(value, k);
        // At most: each non-zero byte, its literal token and the zero run after it, plus runs split at 127.
        const nonZero = value.filter((b) => b !== 0).length;
        expect(encode(value, k)?.length).toBeLessThanOrEqual(3 * nonZero + 9);
      }),
      { numRuns: 300 },
    );
  });

  it("round-trips values that embed their key anywhere, keys with leading zeros too", () => {
    const key = fc
      .tuple(fc.integer({ min: 0, max: 34 }), fc.uint8Array({ minLength: 32, maxLength: 32 }))
      .map(([zeros, bytes]) => bytes.fill(0, 0, zeros));
    const part = fc.oneof(
      abiLike,
      fc.uint8Array({ maxLength: 70 }),
      fc.nat(70).map((n) => new Uint8Array(n)),
    );
    fc.assert(
      fc.property(key, part, part, (k, before, after) => {
        const value = new Uint8Array([...before, ...k, ...after]);
        roundTrip(value, k);
      }),
      { numRuns: 500 },
    );
  });

  it("encodes zero runs and literals longer than one token", () => {
    const value = new Uint8Array(1000);
    value.fill(7, 300, 600); // 300 zeros, 300 literal bytes (3 tokens), 400 zeros
    const encoded = encode(value, new Uint8Array(32).fill(9)) as Uint8Array;
    expect(decode(encoded, new Uint8Array(32))).toEqual(value);
    // 300 zeros = 127 + 127 + 46, 300 literals = 128 + 128 + 44, 400 zeros = 127 * 3 + 19
    expect(encoded.length).toBe(3 + 3 + 300 + 4);
    expect(encoded[0]).toBe(0x7f + 127);
    expect(encoded[3]).toBe(127);
  });

  it("stores an embedded key as one byte, also when the key starts with zeros after a zero run", () => {
    const key = new Uint8Array(32).map((_, i) => (i < 3 ? 0 : i + 1)); // like a relay hash under a target
    const value = new Uint8Array(128);
    value.set([1, 2], 30); // word 0: a small number
    value.set(key, 64); // word 2 (after a zero word): the key
    value[127] = 5;
    const encoded = encode(value, key) as Uint8Array;
    expect(encoded).toEqual(Uint8Array.of(0x7f + 30, 1, 1, 2, 0x7f + 32, 0xff, 0x7f + 31, 0, 5));
    expect(decode(encoded, key)).toEqual(value);
  });

  it("declines values that would not get shorter", () => {
    expect(encodeZrle(Uint8Array.of(1, 2, 3), new Uint8Array(32), new Uint8Array(3), 0)).toBe(-1);
    expect(encodeZrle(new Uint8Array(0), new Uint8Array(32), new Uint8Array(0), 0)).toBe(-1);
    // Two zeros are one token: shorter, so encoded.
    expect(encode(Uint8Array.of(0, 0), new Uint8Array(0))).toEqual(Uint8Array.of(0x81));
  });

  it("reports a literal that runs past the end as malformed", () => {
    expect(zrleSize(Uint8Array.of(0x05, 1, 2), 0, 3, 32)).toBe(-1);
    expect(zrleSize(Uint8Array.of(0x80, 0xff, 0x01, 9, 9), 0, 5, 32)).toBe(1 + 32 + 2);
  });
});
