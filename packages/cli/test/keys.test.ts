import { mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { generatePrivateKey, privateKeyToAddress } from "viem/accounts";
import { describe, expect, it } from "vitest";
import { Keystore } from "../src/keys/keystore.js";
import { decai, testRuntime } from "./helpers.js";

const PASS = "correct horse battery staple";

describe("decai keys", () => {
  it("creates an encrypted key file readable by its owner only, and lists it without the passphrase", async () => {
    const runtime = testRuntime({ env: { DECAI_KEYSTORE_PASSPHRASE: PASS } });
    const created = await decai(runtime, ["keys", "create", "supplier", "--json"]);
    expect(created.code, created.text).toBe(0);
    const { name, address, file } = created.json();
    expect(name).toBe("supplier");
    expect(file).toBe(join(runtime.cwd, ".decai/keys/supplier.json"));
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(join(runtime.cwd, ".decai/keys")).mode & 0o777).toBe(0o700);

    const key = new Keystore(join(runtime.cwd, ".decai/keys")).load("supplier", PASS);
    expect(privateKeyToAddress(key)).toBe(address);
    // The key is nowhere in the file or the output.
    expect(readFileSync(file, "utf8")).not.toContain(key.slice(2));
    expect(created.text).not.toContain(key.slice(2));

    const listed = await decai(testRuntime({ cwd: runtime.cwd }), ["keys", "list", "--json"]);
    expect(listed.json()).toEqual([{ name: "supplier", address, file }]);
    const human = await decai(testRuntime({ cwd: runtime.cwd }), ["keys", "list"]);
    expect(human.stdout).toEqual([`supplier             ${address}`]);
  });

  it("rejects a wrong passphrase and a file whose address was swapped", async () => {
    const runtime = testRuntime({ env: { DECAI_KEYSTORE_PASSPHRASE: PASS } });
    await decai(runtime, ["keys", "create", "a"]);
    const keystore = new Keystore(join(runtime.cwd, ".decai/keys"));
    expect(() => keystore.load("a", "not the passphrase")).toThrow(
      /cannot decrypt key "a": wrong passphrase/,
    );
    const file = keystore.file("a");
    const data = JSON.parse(readFileSync(file, "utf8"));
    data.address = privateKeyToAddress(generatePrivateKey());
    writeFileSync(file, JSON.stringify(data));
    expect(() => keystore.load("a", PASS)).toThrow(/cannot decrypt key "a"/);
  });

  it("imports a key from stdin, and from DECAI_PRIVATE_KEY, never echoing it", async () => {
    const key = generatePrivateKey();
    const runtime = testRuntime({ env: { DECAI_KEYSTORE_PASSPHRASE: PASS }, stdin: `${key}\n` });
    const fromStdin = await decai(runtime, ["keys", "import", "deployer", "--json"]);
    expect(fromStdin.code, fromStdin.text).toBe(0);
    expect(fromStdin.json().address).toBe(privateKeyToAddress(key));
    expect(new Keystore(join(runtime.cwd, ".decai/keys")).load("deployer", PASS)).toBe(key);

    const other = generatePrivateKey();
    const env = { DECAI_KEYSTORE_PASSPHRASE: PASS, DECAI_PRIVATE_KEY: other };
    const fromEnv = await decai(testRuntime({ cwd: runtime.cwd, env }), ["keys", "import", "ci"]);
    expect(fromEnv.code).toBe(0);
    expect(fromEnv.stdout[0]).toContain(privateKeyToAddress(other));
    expect(fromEnv.text).not.toContain(other.slice(2));
  });

  it("asks on the terminal: the passphrase twice when creating, the key without echo when importing", async () => {
    const cwd = testRuntime().cwd;
    const runtime = testRuntime({ cwd, prompts: [PASS, PASS] });
    expect((await decai(runtime, ["keys", "create", "alice"])).code).toBe(0);
    expect(runtime.prompted).toEqual(['Passphrase for key "alice": ', "Repeat the passphrase: "]);

    const mismatch = testRuntime({ cwd, prompts: [PASS, `${PASS}!`] });
    const r = await decai(mismatch, ["keys", "create", "bob"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toEqual(["decai: the two passphrases differ; run the command again"]);
    expect(new Keystore(join(cwd, ".decai/keys")).has("bob")).toBe(false);

    const key = generatePrivateKey();
    const importing = testRuntime({ cwd, prompts: [key, PASS, PASS] });
    expect((await decai(importing, ["keys", "import", "carol"])).code).toBe(0);
    expect(importing.prompted[0]).toBe("Private key (0x...): ");
    expect(new Keystore(join(cwd, ".decai/keys")).address("carol")).toBe(privateKeyToAddress(key));
  });

  it("says what to do for every bad input", async () => {
    const runtime = testRuntime({ env: { DECAI_KEYSTORE_PASSPHRASE: PASS } });
    await decai(runtime, ["keys", "create", "taken"]);
    const cases: [string[], Partial<Parameters<typeof testRuntime>[0]>, RegExp][] = [
      [["keys", "create", "taken"], {}, /a key named "taken" already exists .*pick another name/],
      [["keys", "create", "../evil"], {}, /invalid key name "..\/evil"/],
      [["keys", "create"], {}, /missing <name> \(see `decai keys create --help`\)/],
      [["keys", "create", "x", "y"], {}, /unexpected argument "y"/],
      [
        ["keys", "create", "nopass"],
        { env: {} },
        /needs the keystore passphrase: set DECAI_KEYSTORE_PASSPHRASE, or run in a terminal/,
      ],
      [
        ["keys", "create", "short"],
        { env: { DECAI_KEYSTORE_PASSPHRASE: "1234" } },
        /too short: use at least 8 characters/,
      ],
      [
        ["keys", "import", "empty"],
        { stdin: "" },
        /no key to import: pipe it on stdin .* or set DECAI_PRIVATE_KEY/,
      ],
      [
        ["keys", "import", "bad"],
        { stdin: "0xdeadbeef" },
        /the private key in stdin is malformed: expected 0x followed by 64 hex digits/,
      ],
      [
        ["keys", "export", "taken"],
        {},
        /unknown verb "export" for `decai keys`: use one of create, import, list/,
      ],
      [["keys", "import", "x", "--private-key", "0x00"], {}, /Unknown option '--private-key'/],
    ];
    for (const [args, overrides, message] of cases) {
      const r = await decai(testRuntime({ cwd: runtime.cwd, env: runtime.env, ...overrides }), args);
      expect(r.code, args.join(" ")).toBe(2);
      expect(r.stderr.join("\n"), args.join(" ")).toMatch(message);
      expect(r.stderr.join("\n")).not.toContain("deadbeef");
    }
  });

  it("reads the keystore directory from the config file, relative to it, and skips foreign files", async () => {
    const runtime = testRuntime({ env: { DECAI_KEYSTORE_PASSPHRASE: PASS } });
    mkdirSync(join(runtime.cwd, "conf"));
    writeFileSync(join(runtime.cwd, "conf", "decai.json"), JSON.stringify({ keystore: "my-keys" }));
    const created = await decai(runtime, ["keys", "create", "k", "--config", "conf/decai.json", "--json"]);
    expect(created.json().file).toBe(join(runtime.cwd, "conf", "my-keys", "k.json"));
    writeFileSync(join(runtime.cwd, "conf", "my-keys", "notes.json"), "{}");
    const listed = await decai(runtime, ["keys", "list", "--json", "--config", "conf/decai.json"]);
    expect(listed.json().map((k: { name: string }) => k.name)).toEqual(["k"]);
    // A flag beats the config file.
    const flag = await decai(runtime, [
      "keys",
      "list",
      "--config",
      "conf/decai.json",
      "--keystore",
      "elsewhere",
    ]);
    expect(flag.stdout[0]).toMatch(/^No keys in .*elsewhere\. Create one with `decai keys create <name>`/);
  });

  it("prints the group's verbs for `decai keys --help`, and exits 2 without a verb", async () => {
    const help = await decai(testRuntime(), ["keys", "--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout.join("\n")).toMatch(/Usage: decai keys <verb>[\s\S]*create[\s\S]*import[\s\S]*list/);
    expect((await decai(testRuntime(), ["keys"])).code).toBe(2);
  });
});
