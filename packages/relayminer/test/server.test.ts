import {
  computeResponseDigest,
  decodeRelayResponseHeader,
  relayResponseHeaderName,
  splitRelayResponseEvent,
  verifyRelay,
} from "@decai/core";
import { privateKeyToAddress } from "viem/accounts";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { RelayMiner, ServedRelay } from "../src/index.js";
import { errorOf, leafRelay, startWorld, type World } from "./helpers/world.js";

describe("RelayMiner serving relays on a real anvil", () => {
  let world: World;
  let miner: RelayMiner;
  const served: ServedRelay[] = [];

  beforeAll(async () => {
    world = await startWorld();
    miner = await world.startMiner({ onRelay: (s) => served.push(s) });
  }, 240_000);
  afterAll(async () => {
    await world?.stop();
  });
  beforeEach(() => {
    world.backend.reset();
    served.length = 0;
  });

  it("serves a signed relay: body forwarded unchanged, signed response verifies, relay mined", async () => {
    const r = world.relay();
    const res = await world.post(miner, r);
    expect(res.status).toBe(200);
    const text = await res.text();
    // The backend got the exact bytes the application signed.
    const [call] = world.backend.calls;
    expect(call?.body.toString()).toBe(r.body);
    expect(call?.path).toBe("/v1/chat/completions");
    expect(text).toBe(Buffer.concat(call?.sent ?? []).toString());

    const header = res.headers.get(relayResponseHeaderName);
    expect(header).toBeTruthy();
    const { response, signature } = decodeRelayResponseHeader(header as string);
    expect(response.responseDigest).toBe(computeResponseDigest(text));
    expect(response).toMatchObject({ inputTokens: 7, outputTokens: 5 });
    const verified = verifyRelay(
      { request: r.request, requestSignature: r.signature, response, responseSignature: signature },
      world.domain,
    );
    expect(verified.supplier).toBe(miner.supplier);
    expect(verified.signedByApplication).toBe(true);

    // Mined (the default target takes every relay) into the tree of (app, service, session).
    expect(served).toHaveLength(1);
    expect(served[0]).toMatchObject({ mined: true, stream: false, complete: true, weight: 7n + 5n * 2n });
    const { tree } = await miner.trees.get(
      { application: world.app, serviceId: world.service, session: r.request.session },
      { cuMode: 1, cuPerRelay: 0n, cuPerInputToken: 1n, cuPerOutputToken: 2n },
    );
    expect(tree.size).toBe(1);
    expect(leafRelay(tree, verified.relayHash)).toEqual({
      request: r.request,
      requestSignature: r.signature,
      response,
      responseSignature: signature,
    });
  });

  it("accepts a relay signed by a gateway the application delegated to", async () => {
    const r = world.relay({ signerKey: world.gatewayKey });
    const res = await world.post(miner, r);
    expect(res.status).toBe(200);
    const { response, signature } = decodeRelayResponseHeader(
      res.headers.get(relayResponseHeaderName) as string,
    );
    const verified = verifyRelay(
      { request: r.request, requestSignature: r.signature, response, responseSignature: signature },
      world.domain,
    );
    expect(verified.requestSigner).toBe(privateKeyToAddress(world.gatewayKey));
    expect(verified.signedByApplication).toBe(false);
  });

  it("streams chunk by chunk and ends with a signed receipt event", async () => {
    // The backend holds the stream after two tokens: the client must see them before the backend goes on,
    // which only happens when nothing buffers the stream.
    world.backend.behaviour.pauseAfter = 2;
    const r = world.relay({
      body: {
        model: "tiny-llama",
        messages: [{ role: "user", content: "Stream please." }],
        stream: true,
        max_tokens: 64,
      },
    });
    const res = await world.post(miner, r);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/event-stream/);
    expect(res.headers.get("x-accel-buffering")).toBe("no");
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    let received = "";
    while ((received.match(/tok\d/g) ?? []).length < 2) {
      const { value, done } = await reader.read();
      if (done) throw new Error("stream ended early");
      received += decoder.decode(value, { stream: true });
    }
    expect(world.backend.calls[0]?.finished).toBe(false); // the backend is still generating
    expect(received).not.toContain("[DONE]");
    world.backend.release();
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      received += decoder.decode(value, { stream: true });
    }

    const { body, response } = splitRelayResponseEvent(received);
    expect(body).toBe(Buffer.concat(world.backend.calls[0]?.sent ?? []).toString());
    expect(body.endsWith("data: [DONE]\n\n")).toBe(true);
    expect(response.response.responseDigest).toBe(computeResponseDigest(body));
    // No usage chunk was asked for: output tokens are counted from the chunks, input tokens estimated.
    expect(response.response.outputTokens).toBe(5);
    expect(response.response.inputTokens).toBe(Math.ceil("Stream please.".length / 4));
    const verified = verifyRelay(
      {
        request: r.request,
        requestSignature: r.signature,
        ...{ response: response.response, responseSignature: response.signature },
      },
      world.domain,
    );
    expect(verified.supplier).toBe(miner.supplier);
    expect(served[0]).toMatchObject({ mined: true, stream: true, complete: true });
  });

  it("signs the backend's usage chunk when the client asked for one", async () => {
    const r = world.relay({
      body: {
        messages: [{ role: "user", content: "x" }],
        stream: true,
        stream_options: { include_usage: true },
        max_tokens: 64,
      },
    });
    const { response } = splitRelayResponseEvent(await (await world.post(miner, r)).text());
    expect(response.response).toMatchObject({ inputTokens: 7, outputTokens: 5 });
  });

  it("bills output up to the signed maxTokens only", async () => {
    world.backend.behaviour.tokens = 50;
    const r = world.relay({ maxTokens: 8, body: { messages: [{ role: "user", content: "long" }] } });
    const res = await world.post(miner, r);
    expect(res.status).toBe(200);
    const { response } = decodeRelayResponseHeader(res.headers.get(relayResponseHeaderName) as string);
    expect(response.outputTokens).toBe(50); // the receipt tells the truth...
    expect(served[0]?.weight).toBe(7n + 8n * 2n); // ...the weight caps it
  });

  it("exposes Prometheus metrics and health", async () => {
    await world.post(miner, world.relay());
    const rejected = world.relay({ body: "{not json" });
    expect((await world.post(miner, rejected)).status).toBe(400);
    const metrics = await (await fetch(`${miner.url}/metrics`)).text();
    expect(metrics).toMatch(/^# HELP decai_relays_served_total /m);
    expect(metrics).toMatch(/^decai_relays_served_total\{service="tiny-llama",stream="false"\} [1-9]\d*$/m);
    expect(metrics).toMatch(/^decai_relays_served_total\{service="tiny-llama",stream="true"\} [1-9]\d*$/m);
    expect(metrics).toMatch(/^decai_relays_rejected_total\{reason="invalid_json"\} 1$/m);
    expect(metrics).toMatch(/^decai_relays_mined_total\{service="tiny-llama"\} [1-9]\d*$/m);
    expect(metrics).toMatch(
      /^decai_relay_duration_seconds_bucket\{service="tiny-llama",stream="false",le="\+Inf"\} \d+$/m,
    );
    expect(metrics).toMatch(/^decai_backend_first_byte_seconds_count\{service="tiny-llama"\} \d+$/m);

    const health = await fetch(`${miner.url}/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({
      status: "ok",
      supplier: miner.supplier,
      session: world.indexer.state.currentSession.toString(),
      services: [{ name: "tiny-llama", registered: true, staked: true }],
    });
  });

  it("answers unknown paths with 404 and GET on a relay path with 405, OpenAI-style", async () => {
    const unknown = await fetch(`${miner.url}/v1/unknown`, { method: "POST" });
    expect(unknown.status).toBe(404);
    expect(await errorOf(unknown)).toMatchObject({ code: "unknown_url", type: "not_found_error" });
    const get = await fetch(`${miner.url}/v1/chat/completions`);
    expect(get.status).toBe(405);
    expect((await errorOf(get)).code).toBe("method_not_allowed");
  });
});
