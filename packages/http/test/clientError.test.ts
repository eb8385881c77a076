import { connect } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { answerClientErrors, timeoutServerOptions } from "../src/index.js";
import { listen } from "./server.js";

let close: (() => Promise<void>) | undefined;
afterEach(async () => {
  await close?.();
  close = undefined;
});

/** Writes `raw` to a fresh connection and returns everything the server sends before it closes. */
function exchange(port: number, raw: string, keepOpen = false): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    let text = "";
    socket.on("data", (c: Buffer) => {
      text += c.toString();
    });
    socket.on("error", () => {});
    socket.on("close", () => resolve(text));
    socket.write(raw);
    if (!keepOpen) socket.end();
  });
}

const parse = (answer: string) => {
  const [head = "", body = ""] = answer.split("\r\n\r\n");
  return { statusLine: head.split("\r\n")[0], head, json: JSON.parse(body) };
};

async function start(options = timeoutServerOptions({ headersTimeoutMs: 300, requestTimeoutMs: 600 })) {
  const server = await listen((_req, res) => res.end("ok"), answerClientErrors, options);
  close = server.close;
  return server.port;
}

describe("answerClientErrors", () => {
  it("answers malformed HTTP with a 400 OpenAI-style JSON error and closes", async () => {
    const port = await start();
    const { statusLine, head, json } = parse(await exchange(port, "NOT HTTP AT ALL\r\n\r\n"));
    expect(statusLine).toBe("HTTP/1.1 400 Bad Request");
    expect(head).toContain("content-type: application/json");
    expect(head).toContain("connection: close");
    expect(json.error).toMatchObject({ type: "invalid_request_error", param: null, code: "malformed_http" });
  });

  it("answers oversized headers with 431", async () => {
    const port = await start({
      ...timeoutServerOptions({ headersTimeoutMs: 5000, requestTimeoutMs: 10000 }),
    });
    const raw = `GET / HTTP/1.1\r\nhost: x\r\nx-big: ${"a".repeat(32 * 1024)}\r\n\r\n`;
    const { statusLine, json } = parse(await exchange(port, raw));
    expect(statusLine).toBe("HTTP/1.1 431 Request Header Fields Too Large");
    expect(json.error.code).toBe("headers_too_large");
  });

  it("answers a request whose headers never finish with 408", async () => {
    const port = await start();
    const { statusLine, json } = parse(await exchange(port, "GET / HTTP/1.1\r\nhost: x\r\n", true));
    expect(statusLine).toBe("HTTP/1.1 408 Request Timeout");
    expect(json.error.code).toBe("request_timeout");
    expect(json.error.message).toMatch(/without pauses/);
  });

  it("leaves well-formed requests to the handler", async () => {
    const port = await start();
    const answer = await exchange(port, "GET / HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n");
    expect(answer.startsWith("HTTP/1.1 200 OK")).toBe(true);
    expect(answer.endsWith("ok")).toBe(true);
  });
});
