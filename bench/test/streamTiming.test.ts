import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { twoHopConfig } from "../lib/nginx.js";
import { timeStream } from "../lib/streamTiming.js";

const token = (i: number) => `data: ${JSON.stringify({ choices: [{ delta: { content: ` t${i}` } }] })}\n\n`;

describe("timeStream", () => {
  let server: Server;
  let origin = "";

  beforeAll(async () => {
    // /paced sends a token every 10 ms; /buffered holds all of them back and sends them in one write.
    server = createServer(async (req, res) => {
      for await (const _ of req);
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.write(`data: ${JSON.stringify({ choices: [{ delta: { role: "assistant", content: "" } }] })}\n\n`);
      if (req.url === "/buffered") {
        await new Promise((resolve) => setTimeout(resolve, 50));
        res.end(`${Array.from({ length: 10 }, (_, i) => token(i)).join("")}data: [DONE]\n\n`);
        return;
      }
      for (let i = 0; i < 10; i++) {
        res.write(token(i));
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      res.end("event: decai-relay-response\ndata: 0xabcd\n\ndata: [DONE]\n\n");
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it("times every content token and ignores the role chunk, the receipt and [DONE]", async () => {
    const t = await timeStream(`${origin}/paced`, "{}");
    expect(t.status).toBe(200);
    expect(t.tokenMs).toHaveLength(10);
    expect(t.ttftMs).toBe(t.tokenMs[0]);
    // Paced tokens arrive one per read, in order, spread over about 90 ms.
    expect(t.largestBurst).toBe(1);
    expect((t.tokenMs[9] as number) - (t.tokenMs[0] as number)).toBeGreaterThanOrEqual(80);
  });

  it("shows a buffered stream as one burst", async () => {
    const t = await timeStream(`${origin}/buffered`, "{}");
    expect(t.tokenMs).toHaveLength(10);
    expect(t.largestBurst).toBe(10);
    expect(t.merged).toBe(9);
  });
});

describe("twoHopConfig", () => {
  it("chains entry → middle → backend with keep-alive upstreams and no buffering", () => {
    const conf = twoHopConfig({ dir: "/tmp/x", entryPort: 1001, middlePort: 1002, backendPort: 1003 });
    expect(conf).toContain("upstream backend { server 127.0.0.1:1003; keepalive");
    expect(conf).toContain("upstream middle { server 127.0.0.1:1002; keepalive");
    expect(conf).toMatch(/listen 127\.0\.0\.1:1001;\s+location \/ \{\s+proxy_pass http:\/\/middle;/);
    expect(conf).toMatch(/listen 127\.0\.0\.1:1002;\s+location \/ \{\s+proxy_pass http:\/\/backend;/);
    expect(conf.match(/proxy_buffering off;/g)).toHaveLength(2);
    expect(conf.match(/proxy_set_header Connection "";/g)).toHaveLength(2);
    expect(conf).not.toContain("user root");
  });
});
