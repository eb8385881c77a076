import { randomBytes } from "node:crypto";
import { bytesToHex, keccak256 } from "viem";
import { describe, expect, it } from "vitest";
import { keccak256Bytes, nativeKeccak } from "../src/relay/keccak.js";

describe("keccak256Bytes", () => {
  it("runs on the native binding where the package ships one (linux-x64 here and in CI)", () => {
    if (process.platform === "linux" && process.arch === "x64") expect(nativeKeccak).toBe(true);
  });

  it("gives viem's digests for every length around the 136-byte rate, and for views into larger buffers", () => {
    for (const length of [0, 1, 31, 32, 64, 135, 136, 137, 271, 272, 273, 1000]) {
      const data = randomBytes(length);
      expect(bytesToHex(keccak256Bytes(data))).toBe(keccak256(data));
      const view = new Uint8Array(new ArrayBuffer(length + 10), 5, length);
      view.set(data);
      expect(bytesToHex(keccak256Bytes(view))).toBe(keccak256(data));
    }
  });

  it("returns a fresh digest per call (the reused native state leaks nothing between calls)", () => {
    const a = keccak256Bytes(Buffer.from("a"));
    const b = keccak256Bytes(Buffer.from("b"));
    expect(bytesToHex(a)).toBe(keccak256(Buffer.from("a")));
    expect(bytesToHex(b)).toBe(keccak256(Buffer.from("b")));
  });
});
