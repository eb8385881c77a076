import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { DecaiError, loadPrivateKey } from "../src/index.js";

describe("loadPrivateKey", () => {
  const dir = mkdtempSync(join(tmpdir(), "decai-sdk-keys-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const key = `0x${"ab".repeat(32)}`;

  it("takes 0x-prefixed hex as is, and reads a key file", () => {
    expect(loadPrivateKey(` ${key}\n`)).toBe(key);
    const path = join(dir, "app.key");
    writeFileSync(path, `${key}\n`);
    expect(loadPrivateKey(path)).toBe(key);
  });

  it("refuses malformed keys and files without echoing the secret", () => {
    const short = `0x${"cd".repeat(31)}`;
    expect(() => loadPrivateKey(short)).toThrow(DecaiError);
    expect(() => loadPrivateKey(short)).not.toThrow(short);
    const path = join(dir, "junk.key");
    writeFileSync(path, "not a key");
    expect(() => loadPrivateKey(path)).toThrow(/does not hold a private key/);
    expect(() => loadPrivateKey(join(dir, "missing.key"))).toThrow(/Cannot read a private key/);
  });
});
