import { Agent, type ClientRequest, request } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { isStaleSocketError } from "../src/index.js";
import { type DroppingServer, startDroppingServer } from "../src/testing.js";

/** One POST; resolves with the error (and its request) or the status. */
function post(url: string, agent: Agent): Promise<{ status?: number; error?: Error; req: ClientRequest }> {
  return new Promise((resolve) => {
    const req = request(`${url}/`, { method: "POST", agent, headers: { "content-length": 2 } }, (res) => {
      res.resume();
      res.on("end", () => resolve({ status: res.statusCode ?? 0, req }));
    });
    req.on("error", (error) => resolve({ error, req }));
    req.end("{}");
  });
}

describe("isStaleSocketError", () => {
  let server: DroppingServer | undefined;
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  afterEach(async () => {
    await server?.close();
    agent.destroy();
  });

  it("is true for a request dropped on a reused keep-alive connection", async () => {
    server = await startDroppingServer();
    expect((await post(server.url, agent)).status).toBe(200);
    const second = await post(server.url, agent);
    expect(second.error).toBeDefined();
    expect(isStaleSocketError(second.req, second.error as Error)).toBe(true);
    expect(server.counts()).toEqual({ answered: 1, dropped: 1 });
  });

  it("is false for a request dropped on a fresh connection (the server saw it: not safe to resend)", async () => {
    server = await startDroppingServer({ dropFirst: true });
    const first = await post(server.url, new Agent({ keepAlive: true }));
    expect(first.error).toBeDefined();
    expect(isStaleSocketError(first.req, first.error as Error)).toBe(false);
  });
});
