import { describe, expect, it } from "vitest";
import {
  bearerToken,
  type GatewayError,
  generateApiKey,
  hashApiKey,
  isApiKey,
  keyToJson,
  parseKeyLimits,
  unlimited,
} from "../src/index.js";

describe("API keys", () => {
  it("are dk_ + 32 random bytes, with a public id and display prefix", () => {
    const a = generateApiKey();
    const b = generateApiKey();
    expect(a.key).toMatch(/^dk_[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(a.key.slice(3), "base64url")).toHaveLength(32);
    expect(a.id).toMatch(/^key_[0-9a-f]{16}$/);
    expect(a.prefix).toBe(a.key.slice(0, 7));
    expect(a.key).not.toBe(b.key);
    expect(isApiKey(a.key)).toBe(true);
    expect(isApiKey(`${a.key}x`)).toBe(false);
    expect(isApiKey("sk-abc")).toBe(false);
  });

  it("are stored as SHA-256, or HMAC-SHA256 under a server secret", () => {
    const { key } = generateApiKey();
    expect(hashApiKey(key)).toMatch(/^[0-9a-f]{64}$/);
    expect(hashApiKey(key, "s1")).not.toBe(hashApiKey(key));
    expect(hashApiKey(key, "s1")).not.toBe(hashApiKey(key, "s2"));
    expect(hashApiKey(key, "s1")).toBe(hashApiKey(key, "s1"));
    // Known vector: sha256("abc")
    expect(hashApiKey("abc")).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  });

  it("come from a Bearer authorization header", () => {
    expect(bearerToken("Bearer dk_abc")).toBe("dk_abc");
    expect(bearerToken("bearer   dk_abc  ")).toBe("dk_abc");
    expect(bearerToken("Basic dXNlcg==")).toBeUndefined();
    expect(bearerToken(undefined)).toBeUndefined();
  });
});

describe("parseKeyLimits", () => {
  it("accepts numbers and decimal strings, merging onto a base", () => {
    const limits = parseKeyLimits({
      costBudget: "123456789012345678901234567890",
      tokenBudget: "500",
      rpm: 60,
    });
    expect(limits).toEqual({
      ...unlimited,
      costBudget: 123456789012345678901234567890n,
      tokenBudget: 500,
      rpm: 60,
    });
    const changed = parseKeyLimits({ rpm: null, period: "day", models: ["a", "a", "b"] }, limits);
    expect(changed).toEqual({ ...limits, rpm: null, period: "day", models: ["a", "b"] });
    expect(parseKeyLimits(undefined, limits)).toBe(limits);
  });

  it("names the bad field", () => {
    const bad = (input: unknown) => {
      try {
        parseKeyLimits(input);
      } catch (e) {
        return e as GatewayError;
      }
      throw new Error("accepted");
    };
    expect(bad({ rpm: 1.5 })).toMatchObject({ code: "invalid_value", param: "limits.rpm" });
    expect(bad({ costBudget: "-1" })).toMatchObject({ param: "limits.costBudget" });
    expect(bad({ period: "week" })).toMatchObject({ param: "limits.period" });
    expect(bad({ models: [] })).toMatchObject({ param: "limits.models" });
    expect(bad({ budget: 1 })).toMatchObject({ code: "unsupported_parameter", param: "limits.budget" });
    expect(bad([1])).toMatchObject({ code: "invalid_type" });
  });

  it("round-trips through JSON with budgets as strings", () => {
    const record = {
      id: "key_1",
      name: "n",
      prefix: "dk_abcd",
      hash: "h",
      limits: parseKeyLimits({ costBudget: 10 }),
      createdAt: 0,
      revokedAt: null,
    };
    const json = keyToJson(record);
    expect(json).not.toHaveProperty("hash");
    expect(json.limits).toMatchObject({ costBudget: "10" });
    expect(parseKeyLimits(json.limits)).toEqual(record.limits);
  });
});
