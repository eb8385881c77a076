import type { IncomingMessage } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { discardBody, maxDiscardBytes } from "../src/index.js";
import { listen, post } from "./server.js";

let close: (() => Promise<void>) | undefined;
afterEach(async () => {
  await close?.();
  close = undefined;
});

/** A server that refuses every request unread, drains up to `maxBytes`, then answers 401 with `drained`. */
async function refuser(maxBytes: number, seen: boolean[]) {
  const server = await listen((req: IncomingMessage, res) => {
    discardBody(req, maxBytes, (drained) => {
      seen.push(drained);
      const headers = drained ? {} : { connection: "close" };
      res.writeHead(401, headers).end(`drained=${drained}`);
    });
  });
  close = server.close;
  return server.port;
}

describe("discardBody", () => {
  it("drains a body sent in chunks and answers after it, so the client reads the answer", async () => {
    const seen: boolean[] = [];
    const port = await refuser(1 << 20, seen);
    const chunks = Array.from({ length: 8 }, () => Buffer.alloc(16 << 10, 1));
    expect(await post(port, chunks)).toEqual({ status: 401, body: "drained=true" });
    expect(seen).toEqual([true]);
  });

  it("gives up at once when the declared length is past the limit", async () => {
    const seen: boolean[] = [];
    const port = await refuser(100, seen);
    await post(port, [Buffer.alloc(101)], { "content-length": 101 });
    expect(seen).toEqual([false]);
  });

  it("gives up when a chunked body grows past the limit", async () => {
    const seen: boolean[] = [];
    const port = await refuser(100, seen);
    await post(port, [Buffer.alloc(60), Buffer.alloc(60)]);
    expect(seen).toEqual([false]);
  });

  it("answers true for a request that is already complete", async () => {
    const seen: boolean[] = [];
    const server = await listen((req, res) => {
      req.resume();
      req.on("end", () => {
        let calledSync = false;
        discardBody(req, 10, (drained) => {
          calledSync = true;
          seen.push(drained);
        });
        res.end(String(calledSync));
      });
    });
    close = server.close;
    expect(await post(server.port, [Buffer.from("done")])).toEqual({ status: 200, body: "true" });
    expect(seen).toEqual([true]);
  });

  it("drops up to 8 MiB by default", () => {
    expect(maxDiscardBytes).toBe(8 * 1024 * 1024);
  });
});
