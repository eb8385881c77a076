import { startDroppingServer } from "@decai/http/testing";
import { describe, expect, it } from "vitest";
import { post, readBody } from "../src/relay/http.js";

describe("relay POSTs to a RelayMiner", () => {
  it("resend a relay the RelayMiner dropped on a reused keep-alive connection, once, on a new one", async () => {
    const server = await startDroppingServer();
    try {
      for (let i = 0; i < 3; i++) {
        const res = await post({
          url: new URL(`${server.url}/v1/chat/completions`),
          headers: {},
          body: Buffer.from("{}"),
          signal: new AbortController().signal,
          timeoutMs: 5_000,
        });
        expect(res.statusCode).toBe(200);
        expect((await readBody(res)).toString()).toBe('{"ok":true}');
      }
      expect(server.counts()).toEqual({ answered: 3, dropped: 2 });
    } finally {
      await server.close();
    }
  });

  it("do not resend a relay dropped on a fresh connection", async () => {
    const server = await startDroppingServer({ dropFirst: true });
    try {
      const sent = post({
        url: new URL(`${server.url}/v1/chat/completions`),
        headers: {},
        body: Buffer.from("{}"),
        signal: new AbortController().signal,
        timeoutMs: 5_000,
      });
      await expect(sent).rejects.toThrow(/socket hang up|ECONNRESET/);
      expect(server.counts()).toEqual({ answered: 0, dropped: 1 });
    } finally {
      await server.close();
    }
  });
});
