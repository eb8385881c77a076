import { createHash } from "node:crypto";

/**
 * A seeded sfc32 generator. Integer-only arithmetic, so every platform and JS engine produces the same stream
 * (Math.random, Math.log or Math.cos would not be bit-exact everywhere, and the weights digest depends on it).
 *
 * @example
 * const next = createPrng("decai-tiny:1");
 * next(); // a uint32
 */
export function createPrng(seed: string | number): () => number {
  const words = createHash("sha256").update(String(seed)).digest();
  let a = words.readUInt32LE(0);
  let b = words.readUInt32LE(4);
  let c = words.readUInt32LE(8);
  let d = words.readUInt32LE(12);
  const next = (): number => {
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return t >>> 0;
  };
  for (let i = 0; i < 12; i++) next(); // mix the seed in
  return next;
}

/**
 * Fills `length` float32 values uniformly from [-scale, scale): exact binary fractions times `scale`.
 *
 * @example
 * const weights = uniformArray(createPrng(1), 64 * 64, 0.25);
 */
export function uniformArray(next: () => number, length: number, scale: number): Float32Array {
  const out = new Float32Array(length);
  for (let i = 0; i < length; i++) out[i] = (next() / 2 ** 31 - 1) * scale;
  return out;
}
