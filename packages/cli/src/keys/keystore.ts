import { createCipheriv, createDecipheriv, randomBytes, scryptSync } from "node:crypto";
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { type Address, type Hex, isAddress } from "viem";
import { privateKeyToAddress } from "viem/accounts";
import { UsageError } from "../output.js";

/** One encrypted key on disk: `<dir>/<name>.json`, readable by its owner only. */
export type KeystoreFile = {
  version: 1;
  name: string;
  /** Stored in the clear so `decai keys list` and read-only commands never need the passphrase. */
  address: Address;
  crypto: {
    kdf: "scrypt";
    kdfparams: { n: number; r: number; p: number; salt: Hex };
    cipher: "aes-256-gcm";
    iv: Hex;
    tag: Hex;
    ciphertext: Hex;
  };
};

/** A key as `decai keys list` shows it. */
export type KeyEntry = { name: string; address: Address; file: string };

// 2^16 × 128 × r bytes = 64 MiB of memory per guess: slow for an attacker, ~0.2 s for the owner.
const SCRYPT = { n: 1 << 16, r: 8, p: 1 } as const;
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/**
 * Checks a key name: 1-64 letters, digits, '.', '_' or '-' (it becomes a file name).
 *
 * @example
 * checkKeyName("supplier-1");
 */
export function checkKeyName(name: string): string {
  if (!NAME.test(name)) {
    throw new UsageError(
      `invalid key name "${name}": use 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit`,
    );
  }
  return name;
}

/**
 * Encrypted private keys in a directory (default `.decai/keys`): scrypt derives a key from the passphrase,
 * aes-256-gcm encrypts with the address as associated data, so a swapped address fails to decrypt.
 *
 * @example
 * const keystore = new Keystore(".decai/keys");
 * keystore.save("supplier", generatePrivateKey(), passphrase);
 * const key = keystore.load("supplier", passphrase);
 */
export class Keystore {
  constructor(readonly dir: string) {}

  /** The file a key named `name` lives in. */
  file(name: string): string {
    return join(this.dir, `${checkKeyName(name)}.json`);
  }

  /** Whether a key named `name` exists. */
  has(name: string): boolean {
    return existsSync(this.file(name));
  }

  /** Every key, sorted by name (files that are not keystore files are skipped). */
  list(): KeyEntry[] {
    if (!existsSync(this.dir)) return [];
    return readdirSync(this.dir)
      .filter((f) => f.endsWith(".json") && NAME.test(f.slice(0, -5)))
      .sort()
      .flatMap((f) => {
        const name = f.slice(0, -5);
        try {
          return [{ name, address: this.read(name).address, file: join(this.dir, f) }];
        } catch {
          return []; // not a keystore file: leave it alone
        }
      });
  }

  /** The address of key `name`, without decrypting it. */
  address(name: string): Address {
    return this.read(name).address;
  }

  /** Encrypts and writes `privateKey` as `name` (0600); refuses to overwrite an existing key. */
  save(name: string, privateKey: Hex, passphrase: string): KeyEntry {
    const file = this.file(name);
    if (existsSync(file)) {
      throw new UsageError(
        `a key named "${name}" already exists (${file}); pick another name, or delete that file first`,
      );
    }
    const address = privateKeyToAddress(privateKey);
    const salt = randomBytes(32);
    const iv = randomBytes(12);
    const cipher = createCipheriv("aes-256-gcm", derive(passphrase, salt, SCRYPT), iv);
    cipher.setAAD(Buffer.from(address.toLowerCase()));
    const ciphertext = Buffer.concat([
      cipher.update(Buffer.from(privateKey.slice(2), "hex")),
      cipher.final(),
    ]);
    const content: KeystoreFile = {
      version: 1,
      name,
      address,
      crypto: {
        kdf: "scrypt",
        kdfparams: { ...SCRYPT, salt: hex(salt) },
        cipher: "aes-256-gcm",
        iv: hex(iv),
        tag: hex(cipher.getAuthTag()),
        ciphertext: hex(ciphertext),
      },
    };
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, `${JSON.stringify(content, null, 2)}\n`, { mode: 0o600, flag: "wx" });
    chmodSync(tmp, 0o600); // in case a umask or filesystem ignored the mode
    renameSync(tmp, file);
    return { name, address, file };
  }

  /** Decrypts key `name`; a wrong passphrase is a UsageError that says so. */
  load(name: string, passphrase: string): Hex {
    const { address, crypto } = this.read(name);
    const { n, r, p, salt } = crypto.kdfparams;
    let plain: Buffer;
    try {
      const decipher = createDecipheriv(
        "aes-256-gcm",
        derive(passphrase, bytes(salt), { n, r, p }),
        bytes(crypto.iv),
      );
      decipher.setAAD(Buffer.from(address.toLowerCase()));
      decipher.setAuthTag(bytes(crypto.tag));
      plain = Buffer.concat([decipher.update(bytes(crypto.ciphertext)), decipher.final()]);
    } catch {
      throw new UsageError(
        `cannot decrypt key "${name}": wrong passphrase (check DECAI_KEYSTORE_PASSPHRASE), or the file was altered`,
      );
    }
    const key = `0x${plain.toString("hex")}` as Hex;
    if (privateKeyToAddress(key).toLowerCase() !== address.toLowerCase()) {
      throw new UsageError(`key "${name}" does not match its address ${address}: the file was altered`);
    }
    return key;
  }

  private read(name: string): KeystoreFile {
    const file = this.file(name);
    let data: KeystoreFile;
    try {
      data = JSON.parse(readFileSync(file, "utf8"));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") {
        const known = this.list().map((k) => k.name);
        throw new UsageError(
          `no key named "${name}" in ${this.dir}; ${known.length ? `known keys: ${known.join(", ")}` : "create one with `decai keys create <name>`"}`,
        );
      }
      throw new UsageError(`${file} is not a keystore file (invalid JSON)`);
    }
    if (data?.version !== 1 || !isAddress(data.address ?? "") || data.crypto?.kdf !== "scrypt") {
      throw new UsageError(`${file} is not a decai keystore file (version 1, scrypt)`);
    }
    return data;
  }
}

function derive(passphrase: string, salt: Buffer, { n, r, p }: { n: number; r: number; p: number }): Buffer {
  return scryptSync(passphrase.normalize("NFKC"), salt, 32, { N: n, r, p, maxmem: 256 * n * r + (1 << 20) });
}

const hex = (b: Buffer): Hex => `0x${b.toString("hex")}`;
const bytes = (h: Hex): Buffer => Buffer.from(h.slice(2), "hex");
