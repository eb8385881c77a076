import { type IncomingMessage, request } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { readBody } from "../src/index.js";
import { listen, post } from "./server.js";

class TooLarge extends Error {
  constructor(readonly limit: number) {
    super(`over ${limit}`);
  }
}
const tooLarge = (limit: number) => new TooLarge(limit);

let close: (() => Promise<void>) | undefined;
afterEach(async () => {
  await close?.();
  close = undefined;
});

/** Starts a server that reads each body with `limit` and reports the outcome to `seen`. */
async function reader(limit: number, seen: Array<Buffer | Error>) {
  const server = await listen((req: IncomingMessage, res) => {
    readBody(req, limit, tooLarge).then(
      (body) => {
        seen.push(body);
        res.end(`ok ${body.length}`);
      },
      (error: Error) => {
        seen.push(error);
        res.writeHead(413, { connection: "close" }).end(error.message);
      },
    );
  });
  close = server.close;
  return server.port;
}

describe("readBody", () => {
  it("returns the whole body, sent in many chunks, byte for byte", async () => {
    const seen: Array<Buffer | Error> = [];
    const port = await reader(1024, seen);
    const chunks = [Buffer.from("hello, "), Buffer.from("bounded "), Buffer.from("world")];
    expect(await post(port, chunks)).toEqual({ status: 200, body: "ok 20" });
    expect((seen[0] as Buffer).toString()).toBe("hello, bounded world");
  });

  it("accepts a body of exactly `limit` bytes", async () => {
    const seen: Array<Buffer | Error> = [];
    const port = await reader(64, seen);
    const body = Buffer.alloc(64, 7);
    expect(await post(port, [body], { "content-length": 64 })).toEqual({ status: 200, body: "ok 64" });
    expect(Buffer.compare(seen[0] as Buffer, body)).toBe(0);
  });

  it("refuses a declared content-length over the limit with the caller's error", async () => {
    const seen: Array<Buffer | Error> = [];
    const port = await reader(10, seen);
    const answer = await post(port, [Buffer.alloc(11)], { "content-length": 11 });
    expect(answer.status).toBe(413);
    expect(seen[0]).toBeInstanceOf(TooLarge);
    expect((seen[0] as TooLarge).limit).toBe(10);
  });

  it("refuses a chunked body as soon as it grows past the limit", async () => {
    const seen: Array<Buffer | Error> = [];
    const port = await reader(10, seen);
    await post(port, [Buffer.alloc(6), Buffer.alloc(6)]);
    expect(seen).toHaveLength(1);
    expect(seen[0]).toBeInstanceOf(TooLarge);
  });

  it("rejects with the stream's error when the client goes away mid-body", async () => {
    const seen: Array<Buffer | Error> = [];
    let settled: () => void = () => {};
    const done = new Promise<void>((resolve) => {
      settled = resolve;
    });
    const server = await listen((req) => {
      readBody(req, 1024, tooLarge).then(
        (body) => {
          seen.push(body);
          settled();
        },
        (error: Error) => {
          seen.push(error);
          settled();
        },
      );
    });
    close = server.close;
    const req = request({ host: "127.0.0.1", port: server.port, method: "POST", path: "/" });
    req.on("error", () => {});
    req.write("partial", () => setImmediate(() => req.destroy()));
    await done;
    expect(seen[0]).toBeInstanceOf(Error);
    expect(seen[0]).not.toBeInstanceOf(TooLarge);
  });
});
