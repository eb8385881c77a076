import { createHash } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { serviceRegistryAbi } from "@decai/chain";
import { toServiceId } from "@decai/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CliNetwork, startCliNetwork } from "./network.js";

const DIGEST = `0x${"ab".repeat(32)}`;

describe("decai source", () => {
  let net: CliNetwork;
  beforeAll(async () => {
    net = await startCliNetwork();
  });
  afterAll(async () => {
    await net?.anvil.stop();
  });

  const service = (name: string) =>
    net.client.readContract({
      address: net.deployment.contracts.serviceRegistry,
      abi: serviceRegistryAbi,
      functionName: "getService",
      args: [toServiceId(name)],
    });

  it("registers a service with the weights file's sha256 and the signer as source", async () => {
    const weights = join(net.cwd, "model.gguf");
    writeFileSync(weights, "GGUF fake weights");
    const sha = `0x${createHash("sha256").update("GGUF fake weights").digest("hex")}`;
    const r = await net.as(1, ["source", "register", "tiny-llama", "--weights-file", "model.gguf", "--json"]);
    expect(r.code, r.text).toBe(0);
    expect(r.json()).toMatchObject({ service: "tiny-llama", source: net.address(1), weightsDigest: sha });
    expect(await service("tiny-llama")).toMatchObject({
      source: net.address(1),
      modelName: "tiny-llama",
      weightsDigest: sha,
      sourceShareBps: 1000,
      cuMode: 1,
      cuPerInputToken: 1n,
      cuPerOutputToken: 1n,
    });
    expect(r.stderr).toContain('registering service "tiny-llama"...');
  });

  it("registers per-relay pricing, a model name and a share", async () => {
    const r = await net.as(1, [
      "source",
      "register",
      "embedder",
      "--weights-digest",
      DIGEST,
      "--model",
      "bge-small",
      "--share-bps",
      "2500",
      "--cu-per-relay",
      "7",
    ]);
    expect(r.code, r.text).toBe(0);
    expect(r.stdout).toEqual([
      `Registered service "embedder" (bge-small) with source ${net.address(1)}`,
      `  weights ${DIGEST}`,
      "  source share 25%, 7 CU per relay",
    ]);
    expect(await service("embedder")).toMatchObject({
      modelName: "bge-small",
      sourceShareBps: 2500,
      cuMode: 0,
      cuPerRelay: 7n,
    });
  });

  it("updates only the fields given, and only for the service's source", async () => {
    const r = await net.as(1, ["source", "update", "embedder", "--share-bps", "1500"]);
    expect(r.code, r.text).toBe(0);
    expect(await service("embedder")).toMatchObject({
      modelName: "bge-small",
      weightsDigest: DIGEST,
      sourceShareBps: 1500,
      cuPerRelay: 7n,
    });

    const other = await net.as(2, ["source", "update", "embedder", "--share-bps", "100"]);
    expect(other.code).toBe(2);
    expect(other.stderr.join("\n")).toMatch(
      `service "embedder" belongs to source ${net.address(1)}, not to ${net.address(2)}`,
    );
    const unknown = await net.as(1, ["source", "update", "nothing-here", "--model", "x"]);
    expect(unknown.stderr.join("\n")).toMatch(
      /service "nothing-here" is not registered; register it with `decai source register nothing-here`/,
    );
    const empty = await net.as(1, ["source", "update", "embedder"]);
    expect(empty.stderr.join("\n")).toMatch(/nothing to change: pass at least one of --model/);
  });

  it("says what to do on bad input and on contract rejections", async () => {
    const cases: [string[], number, RegExp][] = [
      [
        ["source", "register", "no-weights"],
        2,
        /give the model suppliers must serve: --weights-file <model\.gguf>/,
      ],
      [
        ["source", "register", "Bad Name", "--weights-digest", DIGEST],
        2,
        /invalid service name "Bad Name": use 1-32 characters/,
      ],
      [
        ["source", "register", "x", "--weights-digest", "0x12"],
        2,
        /--weights-digest must be 0x followed by 64 hex digits/,
      ],
      [
        ["source", "register", "x", "--weights-file", "nope.gguf"],
        2,
        /cannot read the weights file .*nope\.gguf/,
      ],
      [
        [
          "source",
          "register",
          "x",
          "--weights-digest",
          DIGEST,
          "--cu-per-relay",
          "1",
          "--cu-per-output-token",
          "2",
        ],
        2,
        /either --cu-per-relay or --cu-per-input-token/,
      ],
      [
        ["source", "register", "tiny-llama", "--weights-digest", DIGEST],
        2,
        /already registered by you; change it with `decai source update tiny-llama`/,
      ],
      [
        ["source", "register", "x", "--weights-digest", DIGEST, "--share-bps", "6000"],
        1,
        /a source share of 6000 bps is too high\. Use --share-bps 5000 or less/,
      ],
      [
        ["source", "register", "x", "--weights-digest", DIGEST, "--cu-per-relay", "0"],
        1,
        /zero weight\. Pass --cu-per-relay above 0/,
      ],
    ];
    for (const [args, code, message] of cases) {
      const r = await net.as(1, args);
      expect(r.code, args.join(" ")).toBe(code);
      expect(r.stderr.join("\n"), args.join(" ")).toMatch(message);
    }
    const taken = await net.as(3, ["source", "register", "tiny-llama", "--weights-digest", DIGEST]);
    expect(taken.stderr.join("\n")).toMatch(`already registered by ${net.address(1)}; pick another name`);
  });

  it("reports earnings per source (none before any settlement) without a passphrase or key", async () => {
    const r = await net.as(1, ["source", "earnings", "--json"]);
    expect(r.code, r.text).toBe(0);
    expect(r.json()).toMatchObject({ source: net.address(1), earned: "0", settledClaims: 0 });
    expect(r.json().services.map((s: { name: string }) => s.name)).toEqual(["tiny-llama", "embedder"]);
    const byAddress = await net.as(5, ["source", "earnings", net.address(1)]);
    expect(byAddress.stdout[0]).toBe(`Source ${net.address(1)}`);
    expect(byAddress.stdout[1]).toMatch(/services +tiny-llama \(10%\), embedder \(15%\)/);
    const bad = await net.as(1, ["source", "earnings", "0x123"]);
    expect(bad.stderr).toEqual(['decai: "0x123" is not an address (0x followed by 40 hex digits)']);
  });
});
