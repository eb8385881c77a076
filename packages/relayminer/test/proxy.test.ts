import { startDroppingServer } from "@decai/http/testing";
import { describe, expect, it } from "vitest";
import { BackendUnavailableError, createBackendClient, readAll } from "../src/proxy.js";

const forward = (client: ReturnType<typeof createBackendClient>) =>
  client.forward({
    method: "POST",
    path: "/v1/chat/completions",
    body: Buffer.from("{}"),
    contentType: "application/json",
    signal: new AbortController().signal,
  });

describe("createBackendClient", () => {
  it("resends a request that a backend dropped on a reused keep-alive connection, once, on a new one", async () => {
    const server = await startDroppingServer();
    const client = createBackendClient({ url: server.url }, { timeoutMs: 5_000 });
    try {
      for (let i = 0; i < 3; i++) {
        const res = await forward(client);
        expect(res.statusCode).toBe(200);
        expect((await readAll(res)).toString()).toBe('{"ok":true}');
      }
      // Requests 2 and 3 each went out on the pooled connection first, were dropped, and were resent.
      expect(server.counts()).toEqual({ answered: 3, dropped: 2 });
    } finally {
      client.close();
      await server.close();
    }
  });

  it("does not resend a request dropped on a fresh connection: the backend saw it", async () => {
    const server = await startDroppingServer({ dropFirst: true });
    const client = createBackendClient({ url: server.url }, { timeoutMs: 5_000 });
    try {
      await expect(forward(client)).rejects.toBeInstanceOf(BackendUnavailableError);
      expect(server.counts()).toEqual({ answered: 0, dropped: 1 });
    } finally {
      client.close();
      await server.close();
    }
  });

  it("does not resend a request whose answer had started when the connection broke", async () => {
    const server = await startDroppingServer({ cutAfterHeaders: true });
    const client = createBackendClient({ url: server.url }, { timeoutMs: 5_000 });
    try {
      await readAll(await forward(client));
      const res = await forward(client);
      expect(res.statusCode).toBe(200);
      await expect(readAll(res)).rejects.toThrow();
      expect(server.counts()).toEqual({ answered: 1, dropped: 1 });
    } finally {
      client.close();
      await server.close();
    }
  });
});
