// Pause and drain: a paused RelayMiner finishes what it admitted, turns new relays away with 503
// `supplier_paused` + retry-after, and takes relays again once resumed. The operator drives it through
// `/admin/pause|resume`, signed with the supplier key; an operator pause survives a restart.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { privateKeyToAddress } from "viem/accounts";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { adminSignatureHeader, type RelayMiner, signAdminCommand } from "../src/index.js";
import { errorOf, startWorld, type World } from "./helpers/world.js";

describe("RelayMiner pause and drain", () => {
  let world: World;
  let miner: RelayMiner;
  const dir = mkdtempSync(join(tmpdir(), "decai-rm-pause-"));

  beforeAll(async () => {
    world = await startWorld();
    miner = await world.startMiner({ dataDir: join(dir, "a"), pauseRetryAfterSeconds: 7 });
  }, 240_000);
  afterAll(async () => {
    await world?.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  beforeEach(() => {
    world.backend.reset();
    miner.resume("operator");
  });

  const streamRelay = () =>
    world.relay({
      body: {
        model: "tiny-llama",
        messages: [{ role: "user", content: "long" }],
        stream: true,
        max_tokens: 64,
      },
    });

  it("finishes the relay in flight, refuses new ones with 503 + retry-after, then serves again", async () => {
    world.backend.behaviour.pauseAfter = 2;
    const res = await world.post(miner, streamRelay());
    expect(res.status).toBe(200);
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    await reader.read(); // the stream is under way
    expect(miner.drain.inFlight).toBe(1);

    let drained = false;
    const pausing = miner.pause().then(() => {
      drained = true;
    });
    const refused = await world.post(miner, world.relay());
    expect(refused.status).toBe(503);
    expect(refused.headers.get("retry-after")).toBe("7");
    expect((await errorOf(refused)).code).toBe("supplier_paused");
    expect(drained).toBe(false); // the stream is still running
    const health = (await (await fetch(`${miner.url}/health`)).json()) as Record<string, unknown>;
    expect(health.status).toBe("paused");
    expect(health.drain).toEqual({ paused: true, reasons: ["operator"], inFlight: 1 });

    world.backend.release();
    let text = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
    }
    expect(text).toContain("decai-relay-response"); // completed with its receipt, not cut
    await pausing;
    expect(drained).toBe(true);
    expect(miner.drain.inFlight).toBe(0);

    miner.resume();
    expect((await world.post(miner, world.relay())).status).toBe(200);
  });

  it("pauses and resumes through /admin, signed with the supplier key only", async () => {
    const key = world.drawnKey();
    const send = (cmd: Awaited<ReturnType<typeof signAdminCommand>>) =>
      fetch(`${miner.url}/admin/${cmd.action}`, {
        method: "POST",
        headers: { "content-type": "application/json", [adminSignatureHeader]: cmd.signature },
        body: cmd.body,
      });
    // Someone else's key: refused, nothing changes.
    const forged = await send(await signAdminCommand(world.appKey, "pause"));
    expect(forged.status).toBe(401);
    expect(miner.drain.paused).toBe(false);

    const pause = await signAdminCommand(key, "pause");
    const paused = await send(pause);
    expect(paused.status).toBe(200);
    expect(await paused.json()).toMatchObject({ paused: true, drained: true, inFlight: 0 });
    expect((await world.post(miner, world.relay())).status).toBe(503);
    // The same command again is a replay.
    expect((await send(pause)).status).toBe(401);
    // A command for another action than the path says is refused.
    const resume = await signAdminCommand(key, "resume", Date.now() + 1);
    const wrongPath = await fetch(`${miner.url}/admin/pause`, {
      method: "POST",
      headers: { [adminSignatureHeader]: resume.signature },
      body: resume.body,
    });
    expect(wrongPath.status).toBe(401);

    expect((await send(resume)).status).toBe(200);
    expect(miner.drain.paused).toBe(false);
    expect((await world.post(miner, world.relay())).status).toBe(200);
  });

  it("keeps an operator pause across a restart", async () => {
    const key = world.drawnKey();
    const home = join(dir, "b");
    const first = await world.startMiner({ supplierKey: key, dataDir: home });
    const cmd = await signAdminCommand(key, "pause");
    await fetch(`${first.url}/admin/pause`, {
      method: "POST",
      headers: { [adminSignatureHeader]: cmd.signature },
      body: cmd.body,
    });
    await first.stop();
    const again = await world.startMiner({ supplierKey: key, dataDir: home });
    expect(again.drain.state.reasons).toEqual(["operator"]);
    expect((await world.post(again, world.relay())).status).toBe(503);
    expect(again.supplier).toBe(privateKeyToAddress(key));
  });
});
