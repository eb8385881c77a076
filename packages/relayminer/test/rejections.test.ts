import { request as httpRequest } from "node:http";
import { encodeRelayRequestHeader, relayRequestHeaderName, toServiceId } from "@decai/core";
import type { Hex } from "viem";
import { generatePrivateKey } from "viem/accounts";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { RelayMiner, ServedRelay } from "../src/index.js";
import { errorOf, startWorld, type World } from "./helpers/world.js";

/** Every refusal: the status, the OpenAI-style code, nothing forwarded to the backend, nothing mined. */
describe("RelayMiner refuses bad relays", () => {
  let world: World;
  let miner: RelayMiner;
  let other: RelayMiner; // the supplier of this service that is not drawn for the application
  let small: RelayMiner; // a 512-byte body limit
  const served: ServedRelay[] = [];

  beforeAll(async () => {
    world = await startWorld();
    miner = await world.startMiner({ onRelay: (s) => served.push(s) });
    other = await world.startMiner({ supplierKey: world.notDrawnKey(), onRelay: (s) => served.push(s) });
    small = await world.startMiner({ maxBodyBytes: 512, onRelay: (s) => served.push(s) });
  }, 240_000);
  afterAll(async () => {
    await world?.stop();
  });
  beforeEach(() => {
    world.backend.reset();
    served.length = 0;
  });

  async function expectRefused(res: Response, status: number, code: string, message?: RegExp) {
    expect(res.status).toBe(status);
    expect(res.headers.get("content-type")).toBe("application/json");
    const error = await errorOf(res);
    expect(error.code).toBe(code);
    expect(typeof error.type).toBe("string");
    if (message) expect(error.message).toMatch(message);
    expect(world.backend.calls).toHaveLength(0);
    expect(served).toHaveLength(0);
  }

  it("malformed JSON", async () => {
    await expectRefused(await world.post(miner, world.relay({ body: "{not json" })), 400, "invalid_json");
    await expectRefused(await world.post(miner, world.relay({ body: "[1,2]" })), 400, "invalid_json");
  });

  it("a missing relay request header", async () => {
    const r = world.relay();
    const res = await fetch(`${miner.url}${r.path}`, { method: "POST", body: r.body });
    await expectRefused(res, 401, "relay_request_missing", /Decai-Relay-Request/);
  });

  it("a malformed relay request header", async () => {
    const r = world.relay();
    r.headers[relayRequestHeaderName] = "not-a-relay";
    await expectRefused(await world.post(miner, r), 400, "relay_request_malformed", /decodes to/);
  });

  it("an invalid signature (bad v, high s)", async () => {
    const r = world.relay();
    const badV = `${r.signature.slice(0, -2)}00` as Hex;
    r.headers[relayRequestHeaderName] = encodeRelayRequestHeader({ request: r.request, signature: badV });
    await expectRefused(await world.post(miner, r), 401, "invalid_relay_signature", /v is 0/);
    const highS = `${r.signature.slice(0, 66)}${"ff".repeat(32)}1b` as Hex;
    r.headers[relayRequestHeaderName] = encodeRelayRequestHeader({ request: r.request, signature: highS });
    await expectRefused(await world.post(miner, r), 401, "invalid_relay_signature");
  });

  it("a signer the application did not delegate to", async () => {
    const r = world.relay({ signerKey: generatePrivateKey() });
    await expectRefused(await world.post(miner, r), 403, "signer_not_delegated", /neither application/);
  });

  it("a request altered after signing (body or path)", async () => {
    const r = world.relay();
    await expectRefused(
      await world.post(miner, { ...r, body: r.body.replace("Say", "say") }),
      400,
      "request_digest_mismatch",
    );
    await expectRefused(
      await world.post(miner, { ...r, path: "/v1/completions" }),
      400,
      "request_digest_mismatch",
    );
  });

  it("a supplier that is not in the application's session", async () => {
    const r = world.relay({ supplier: other.supplier });
    await expectRefused(
      await world.post(other, r),
      403,
      "supplier_not_in_session",
      new RegExp(miner.supplier),
    );
  });

  it("a supplier not staked for the service", async () => {
    const c = await world.startMiner({ supplierKey: world.suppliers.C });
    const r = world.relay({ supplier: c.supplier });
    await expectRefused(await world.post(c, r), 403, "service_not_staked");
  });

  it("a relay addressed to another supplier", async () => {
    const r = world.relay({ supplier: other.supplier });
    await expectRefused(await world.post(miner, r), 421, "wrong_supplier", new RegExp(other.supplier));
  });

  it("an unknown model/service", async () => {
    const r = world.relay({ serviceId: toServiceId("unknown-model") });
    await expectRefused(await world.post(miner, r), 404, "model_not_found", /unknown-model/);
  });

  it("an application without escrow for the service", async () => {
    const r = world.relay({ signerKey: world.app2Key, application: world.app2 });
    await expectRefused(await world.post(miner, r), 403, "application_not_staked");
  });

  it("a session that has not started", async () => {
    const r = world.relay({ session: world.indexer.state.currentSession + 1n });
    await expectRefused(await world.post(miner, r), 400, "session_not_started");
  });

  it("a replayed relay (same request already served in this session)", async () => {
    const r = world.relay();
    expect((await world.post(miner, r)).status).toBe(200);
    world.backend.reset();
    served.length = 0;
    await expectRefused(await world.post(miner, r), 409, "relay_replayed", /already served/);
    // Concurrent duplicates: exactly one is served.
    const twin = world.relay();
    const statuses = (await Promise.all([world.post(miner, twin), world.post(miner, twin)])).map(
      (x) => x.status,
    );
    expect(statuses.sort()).toEqual([200, 409]);
  });

  it("max_tokens above the signed maxTokens", async () => {
    const r = world.relay({
      maxTokens: 16,
      body: { messages: [{ role: "user", content: "hi" }], max_tokens: 17 },
    });
    await expectRefused(await world.post(miner, r), 400, "max_tokens_exceeds_relay");
  });

  it("a body over the size limit (declared length, or chunked)", async () => {
    const big = { messages: [{ role: "user", content: "x".repeat(2000) }], max_tokens: 64 };
    await expectRefused(
      await world.post(small, world.relay({ body: big })),
      413,
      "request_too_large",
      /512 bytes/,
    );
    // Without a content-length the limit still holds while the body streams in.
    const r = world.relay({ body: big });
    const { status, body } = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = httpRequest(`${small.url}${r.path}`, { method: "POST", headers: r.headers }, (res) => {
        let text = "";
        res.on("data", (c) => {
          text += c;
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text }));
      });
      req.on("error", reject);
      req.write(r.body.slice(0, 1000)); // chunked: no content-length
      req.end(r.body.slice(1000));
    });
    expect(status).toBe(413);
    expect(JSON.parse(body).error.code).toBe("request_too_large");
    expect(world.backend.calls).toHaveLength(0);
  });

  it("counts every refusal by reason", async () => {
    const metrics = await (await fetch(`${miner.url}/metrics`)).text();
    for (const reason of [
      "invalid_json",
      "relay_request_missing",
      "signer_not_delegated",
      "relay_replayed",
    ]) {
      expect(metrics).toMatch(new RegExp(`^decai_relays_rejected_total\\{reason="${reason}"\\} [1-9]`, "m"));
    }
  });
});
