import { request as httpRequest } from "node:http";
import { computeResponseDigest, verifyRelay } from "@decai/core";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { RelayMiner, ServedRelay } from "../src/index.js";
import { deadUrl } from "./helpers/backend.js";
import { errorOf, startWorld, type World } from "./helpers/world.js";

describe("RelayMiner and its backend", () => {
  let world: World;
  let miner: RelayMiner;
  let down: RelayMiner;
  const served: ServedRelay[] = [];
  let nextServed: ((s: ServedRelay) => void) | undefined;
  const onRelay = (s: ServedRelay) => {
    served.push(s);
    nextServed?.(s);
  };

  beforeAll(async () => {
    world = await startWorld();
    miner = await world.startMiner({ onRelay });
    down = await world.startMiner({
      services: [{ id: world.service, backend: { url: await deadUrl() } }],
      onRelay,
    });
  }, 240_000);
  afterAll(async () => {
    await world?.stop();
  });
  beforeEach(() => {
    world.backend.reset();
    served.length = 0;
  });

  const usage = (m: RelayMiner, session = world.indexer.state.currentSession) =>
    m.meter.usage(world.app, world.service, session);

  it("answers 502 with an OpenAI-style error when the backend is down, and mines nothing", async () => {
    const r = world.relay();
    const res = await world.post(down, r);
    expect(res.status).toBe(502);
    expect(await errorOf(res)).toMatchObject({ code: "backend_unavailable", type: "api_error" });
    expect(served).toHaveLength(0);
    expect(usage(down)).toEqual({ used: 0n, reserved: 0n }); // the reservation was given back
    expect((await down.trees.list()).length).toBe(0); // no tree was even opened
    // Not served, so not a replay: the same signed relay may be retried (and fails the same way here).
    expect((await world.post(down, r)).status).toBe(502);
    const metrics = await (await fetch(`${down.url}/metrics`)).text();
    expect(metrics).toMatch(/^decai_backend_errors_total\{service="tiny-llama",kind="unavailable"\} 2$/m);
    expect(metrics).toMatch(/^decai_relays_rejected_total\{reason="backend_unavailable"\} 2$/m);
  });

  it("reports the relays its open session trees hold in /metrics", async () => {
    const gauge = async () => {
      const metrics = await (await fetch(`${miner.url}/metrics`)).text();
      return Number(/^decai_session_tree_leaves (\d+)$/m.exec(metrics)?.[1]);
    };
    const before = await gauge();
    for (let i = 0; i < 3; i++) expect((await world.post(miner, world.relay())).status).toBe(200);
    // The miner mines every relay here (target "max"); the trees it has open hold exactly those leaves.
    expect(await gauge()).toBe(before + 3);
    const trees = await miner.trees.list();
    expect(await gauge()).toBe(trees.reduce((n, t) => n + t.tree.size, 0));
  });

  it("answers 502 when the backend fails with a 5xx", async () => {
    world.backend.behaviour.failWith = 503;
    const res = await world.post(miner, world.relay());
    expect(res.status).toBe(502);
    expect((await errorOf(res)).code).toBe("backend_error");
    expect(served).toHaveLength(0);
    expect(usage(miner).reserved).toBe(0n);
  });

  it("passes a backend 4xx through without mining it", async () => {
    world.backend.behaviour.failWith = 400;
    const res = await world.post(miner, world.relay());
    expect(res.status).toBe(400);
    expect((await errorOf(res)).message).toBe("mock failure");
    expect(served).toHaveLength(0);
  });

  it("estimates usage when a non-streamed answer carries none", async () => {
    world.backend.behaviour.omitUsage = true;
    const res = await world.post(
      miner,
      world.relay({ body: { messages: [{ role: "user", content: "12345678" }] } }),
    );
    expect(res.status).toBe(200);
    const content = "tok0 tok1 tok2 tok3 tok4";
    expect(served[0]?.relay.response).toMatchObject({
      inputTokens: 2, // 8 bytes of prompt text / 4
      outputTokens: Math.ceil(content.length / 4),
    });
  });

  it("cancels the backend when the client leaves mid-stream, and mines only what was delivered", async () => {
    world.backend.behaviour.pauseAfter = 2; // the backend sends the role chunk and two tokens, then waits
    world.backend.behaviour.tokens = 50;
    const r = world.relay({
      body: { messages: [{ role: "user", content: "Tell a long story." }], stream: true },
    });
    const backendClosed = world.backend.nextClose();
    const mined = new Promise<ServedRelay>((resolve) => {
      nextServed = resolve;
    });
    const received = await new Promise<string>((resolve, reject) => {
      const req = httpRequest(`${miner.url}${r.path}`, { method: "POST", headers: r.headers }, (res) => {
        let text = "";
        res.on("data", (chunk: Buffer) => {
          text += chunk.toString();
          // Whole SSE events only: stop once the second token's event has fully arrived.
          if (text.includes("tok1 ") && text.endsWith("\n\n")) {
            req.destroy(); // the client goes away after two tokens
            resolve(text);
          }
        });
      });
      req.on("error", (e) => {
        if (!req.destroyed) reject(e);
      });
      req.end(r.body);
    });
    const call = await backendClosed;
    expect(call.aborted).toBe(true); // generation was cancelled upstream
    expect(call.finished).toBe(false);

    const relay = await mined;
    nextServed = undefined;
    expect(relay.complete).toBe(false);
    expect(relay.stream).toBe(true);
    // The receipt covers exactly the bytes the client got before it left.
    expect(received).toBe(Buffer.concat(call.sent).toString());
    expect(relay.relay.response.responseDigest).toBe(computeResponseDigest(received));
    expect(relay.relay.response.outputTokens).toBe(2);
    expect(relay.mined).toBe(true);
    expect(verifyRelay(relay.relay, world.domain).supplier).toBe(miner.supplier);
    expect(relay.weight).toBe(BigInt(relay.relay.response.inputTokens) + 2n * 2n);
    expect(usage(miner).reserved).toBe(0n);
    const metrics = await (await fetch(`${miner.url}/metrics`)).text();
    expect(metrics).toMatch(/^decai_client_disconnects_total\{service="tiny-llama"\} 1$/m);
  });
});
