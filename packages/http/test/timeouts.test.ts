import { describe, expect, it } from "vitest";
import { defaultRequestTimeouts, timeoutServerOptions } from "../src/index.js";

describe("timeoutServerOptions", () => {
  it("maps the timeouts onto Node's server options", () => {
    expect(timeoutServerOptions(defaultRequestTimeouts)).toEqual({
      headersTimeout: 10_000,
      requestTimeout: 30_000,
      connectionsCheckingInterval: 1000,
    });
  });

  it("checks connections at a quarter of the shortest timeout, between 100 ms and 1 s", () => {
    expect(
      timeoutServerOptions({ headersTimeoutMs: 2000, requestTimeoutMs: 3000 }).connectionsCheckingInterval,
    ).toBe(500);
    expect(
      timeoutServerOptions({ headersTimeoutMs: 100, requestTimeoutMs: 200 }).connectionsCheckingInterval,
    ).toBe(100);
  });
});
