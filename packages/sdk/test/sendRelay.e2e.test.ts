import { createServer, request as httpRequest, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { verifyRelay } from "@decai/core";
import { privateKeyToAddress } from "viem/accounts";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { RelayError, type RelayResult, type SendRelayParameters, sendRelay } from "../src/index.js";
import { chatBody, type SupplierNode, startWorld, type World } from "./helpers/world.js";

describe("sendRelay against real RelayMiners", () => {
  let world: World;
  let node: SupplierNode;
  let session: bigint;

  beforeAll(async () => {
    world = await startWorld();
    node = world.suppliers[0] as SupplierNode;
    session = world.indexer.state.currentSession;
  }, 240_000);
  afterAll(async () => {
    await world?.stop();
  });
  beforeEach(() => world.reset());

  const params = (extra: Partial<SendRelayParameters> = {}): SendRelayParameters => ({
    supplier: node.address,
    endpoint: node.miner.url,
    body: JSON.stringify(chatBody()),
    signerKey: world.appKey,
    application: world.app,
    serviceId: world.service,
    session,
    domain: world.domain,
    ...extra,
  });

  async function completion(p: SendRelayParameters) {
    const result: RelayResult = await sendRelay(p);
    if (result.stream) throw new Error("expected a complete answer");
    return result;
  }

  it("sends a signed relay and verifies the receipt over the exact body received", async () => {
    const result = await completion(params());
    expect(result.status).toBe(200);
    const answer = JSON.parse(result.body.toString()) as { choices: { message: { content: string } }[] };
    expect(answer.choices[0]?.message.content.length).toBeGreaterThan(0);
    expect(result.receipt.valid).toBe(true);
    expect(result.receipt.evidence).toEqual([]);
    // The receipt is the relay the RelayMiner mined, and it verifies like on chain.
    expect(node.served).toHaveLength(1);
    expect(result.receipt.relay).toEqual(node.served[0]?.relay);
    const verified = verifyRelay(result.receipt.relay as never, world.domain);
    expect(verified).toMatchObject({ supplier: node.address, signedByApplication: true });
    expect(result.receipt.usage?.outputTokens).toBe(8); // the mock generates up to max_tokens
    expect(result.request.maxTokens).toBe(8); // signed from the body's max_tokens
  });

  it("streams SSE events and checks the final receipt against every byte", async () => {
    const result = await sendRelay(params({ body: JSON.stringify({ ...chatBody(), stream: true }) }));
    if (!result.stream) throw new Error("expected a stream");
    let text = "";
    const events: string[] = [];
    for await (const event of result) {
      events.push(event.data);
      if (event.data !== "[DONE]") text += JSON.parse(event.data).choices[0]?.delta?.content ?? "";
    }
    expect(events.at(-1)).toBe("[DONE]");
    expect(events.some((d) => d.includes("decai"))).toBe(false); // the receipt event is not passed on
    expect(text.length).toBeGreaterThan(0);
    const receipt = await result.receipt;
    expect(receipt.valid).toBe(true);
    expect(receipt.relay).toEqual(node.served[0]?.relay);
    expect(result.timing.ttftMs).toBeGreaterThan(0);
    expect(result.timing.latencyMs).toBeGreaterThanOrEqual(result.timing.ttftMs as number);
  });

  it("signs with a gateway's key for an application that delegated to it", async () => {
    const result = await completion(params({ signerKey: world.gatewayKey, application: world.delegator }));
    expect(result.receipt.valid).toBe(true);
    const verified = verifyRelay(result.receipt.relay as never, world.domain);
    expect(verified.requestSigner).toBe(privateKeyToAddress(world.gatewayKey));
    expect(verified.signedByApplication).toBe(false);
  });

  it("refuses with a RelayError that says whether another supplier may succeed", async () => {
    const future = await sendRelay(params({ session: session + 5n })).catch((e) => e);
    expect(future).toBeInstanceOf(RelayError);
    expect(future).toMatchObject({
      kind: "status",
      status: 400,
      code: "session_not_started",
      retryable: true,
    });
    const bad = await sendRelay(params({ body: "{not json" })).catch((e) => e);
    expect(bad).toMatchObject({ kind: "status", status: 400, code: "invalid_json", retryable: false });
    // A gateway the application never delegated to: every supplier would refuse.
    const undelegated = await sendRelay(params({ signerKey: world.gatewayKey })).catch((e) => e);
    expect(undelegated).toMatchObject({ status: 403, code: "signer_not_delegated", retryable: false });
  });

  it("reports an unreachable supplier as a retryable connection error", async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const error = await sendRelay(params({ endpoint: `http://127.0.0.1:${port}` })).catch((e) => e);
    expect(error).toMatchObject({ kind: "connection", retryable: true, supplierFault: true });
  });

  it("turns a supplier's inflated usage into evidence", async () => {
    node.backend.fault.mode = "inflate-output";
    const over = await completion(params());
    expect(over.receipt.valid).toBe(false);
    expect(over.receipt.evidence.map((e) => e.kind)).toEqual(["output_exceeds_max_tokens"]);
    expect(over.receipt.evidence[0]).toMatchObject({ signedBySupplier: true, supplier: node.address });
    node.backend.fault.mode = "inflate-input";
    const input = await completion(params());
    expect(input.receipt.evidence.map((e) => e.kind)).toEqual(["input_tokens_implausible"]);
  });

  describe("behind a proxy that alters the answer", () => {
    let proxy: Server;
    let proxyUrl: string;

    beforeAll(async () => {
      // Forwards to the RelayMiner and changes one byte of a complete answer, keeping its headers (receipt).
      proxy = createServer((req, res) => {
        const upstream = httpRequest(
          `${node.miner.url}${req.url}`,
          { method: req.method, headers: req.headers },
          (up) => {
            const chunks: Buffer[] = [];
            up.on("data", (c: Buffer) => chunks.push(c));
            up.on("end", () => {
              const body = Buffer.concat(chunks);
              const at = body.indexOf('"content":"') + 11;
              body[at] = body[at] === 0x41 ? 0x42 : 0x41;
              res.writeHead(up.statusCode ?? 502, up.headers);
              res.end(body);
            });
          },
        );
        req.pipe(upstream);
      });
      await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
      proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
    });
    afterAll(async () => {
      proxy.closeAllConnections();
      await new Promise<void>((resolve) => proxy.close(() => resolve()));
    });

    it("flags the digest mismatch, with the supplier's signed receipt as evidence", async () => {
      const result = await completion(params({ endpoint: proxyUrl }));
      expect(result.receipt.valid).toBe(false);
      const [evidence] = result.receipt.evidence;
      expect(evidence).toMatchObject({ kind: "response_digest_mismatch", signedBySupplier: true });
      // What the supplier signed is what it served; what arrived differs.
      expect(evidence?.response).toEqual(node.served[0]?.relay.response);
      expect(evidence?.receivedDigest).not.toBe(evidence?.response?.responseDigest);
    });
  });
});
