// Reputation feeding routing on a real network: anvil with the contracts, three RelayMiners (the SDK's test
// world), the SDK client weighting suppliers by the verifier, challenges pinned to one supplier with signed
// receipts as self-contained evidence, and the gateway over the network excluding a supplier whose receipts lie.
import { computeRequestDigest, computeResponseDigest, recoverRelayResponseSigner } from "@decai/core";
import { SupplierScorer } from "@decai/sdk";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { chatBody, startWorld, type World } from "../../../sdk/test/helpers/world.js";
import {
  type CheckKind,
  connectDecaiNetwork,
  createKey,
  decaiTransport,
  Gateway,
  SqliteStore,
  signedToJson,
  Verifier,
} from "../../src/index.js";
import { seeded } from "./helpers.js";

/** The body of a `{ object: "list", data }` answer. */
const listOf = async (res: Response) =>
  (await res.json()) as { object: string; data: Array<Record<string, unknown> & { supplier: string }> };

let world: World;
beforeAll(async () => {
  world = await startWorld();
}, 240_000);
afterAll(async () => {
  await world?.stop();
});
beforeEach(() => world.reset());

const fail = (v: Verifier, supplier: string, check: CheckKind, times: number) => {
  for (let i = 0; i < times; i++) {
    v.report({
      check,
      supplier,
      service: "tiny-llama",
      passed: false,
      code: "test",
      reason: "test",
      details: {},
      cost: 0,
      at: 0,
    });
  }
};

describe("routing by reputation", () => {
  it("sends an excluded supplier nothing and one on probation little", async () => {
    const verifier = await Verifier.create();
    const [excluded, probation, good] = world.suppliers.map((s) => s.address) as [string, string, string];
    fail(verifier, excluded, "usage", 2);
    fail(verifier, probation, "prefill", 2);
    await verifier.idle();
    expect([verifier.state(excluded, "tiny-llama"), verifier.state(probation, "tiny-llama")]).toEqual([
      "excluded",
      "probation",
    ]);
    const client = world.client({
      scorer: new SupplierScorer({ random: seeded(5) }),
      weight: verifier.weightFor,
    });
    const counts = new Map<string, number>();
    for (let i = 0; i < 40; i++) {
      const answer = await client.relay({ body: chatBody({ max_tokens: 2 }) });
      counts.set(answer.supplier, (counts.get(answer.supplier) ?? 0) + 1);
    }
    expect(counts.get(excluded) ?? 0).toBe(0);
    expect(counts.get(probation) ?? 0).toBeLessThanOrEqual(4);
    expect(counts.get(good)).toBeGreaterThanOrEqual(36);
  }, 120_000);

  it("challenges reach the pinned supplier (excluded or not); re-executions avoid the excluded ones", async () => {
    const verifier = await Verifier.create();
    const [a, b, c] = world.suppliers.map((s) => s.address) as [string, string, string];
    fail(verifier, a, "usage", 2);
    await verifier.idle();
    const client = world.client({ weight: verifier.weightFor });
    const transport = decaiTransport(client);
    expect((await transport.suppliers("tiny-llama")).sort()).toEqual(
      [a, b, c].map((s) => s.toLowerCase()).sort(),
    );
    const body = chatBody({ max_tokens: 3, temperature: 0 });
    const pinned = await transport.send({
      service: "tiny-llama",
      endpoint: "chat.completions",
      body,
      supplier: a,
      origin: "watcher",
    });
    expect(pinned.supplier).toBe(a.toLowerCase());
    expect(pinned.choices[0]?.text.length).toBeGreaterThan(0);
    const other = await transport.send({
      service: "tiny-llama",
      endpoint: "chat.completions",
      body,
      exclude: [b],
      origin: "reexecution",
    });
    expect(other.supplier).toBe(c.toLowerCase()); // not b (excluded by the call), not a (weight 0)

    // The exchange carries the signed relay: evidence anyone can recheck from the record alone.
    const streamed = await transport.send({
      service: "tiny-llama",
      endpoint: "chat.completions",
      body: { ...body, stream: true, stream_options: { include_usage: true } },
      supplier: b,
      origin: "watcher",
    });
    for (const x of [pinned, streamed]) {
      const json = signedToJson(x.signed as NonNullable<typeof x.signed>) as {
        request: { requestDigest: string; supplier: string };
        response: {
          responseDigest: string;
          inputTokens: number;
          outputTokens: number;
          requestHash: `0x${string}`;
        };
        responseSignature: `0x${string}`;
        requestBody: string;
        responseBody: string;
      };
      expect(json.request.requestDigest).toBe(
        computeRequestDigest({
          method: "POST",
          path: "/v1/chat/completions",
          body: Buffer.from(json.requestBody),
        }),
      );
      expect(json.response.responseDigest).toBe(computeResponseDigest(Buffer.from(json.responseBody)));
      const signer = recoverRelayResponseSigner({
        response: x.signed?.relay.response as never,
        domain: world.domain,
        signature: json.responseSignature,
      });
      expect(signer.toLowerCase()).toBe(x.supplier);
      expect({ inputTokens: json.response.inputTokens, outputTokens: json.response.outputTokens }).toEqual(
        x.usage,
      );
    }
    expect(streamed.stream).toBe(true);
    expect(streamed.choices[0]?.text.length).toBeGreaterThan(0);
  }, 120_000);

  it("a gateway over the network folds the SDK's invalid receipts in and stops routing to the liar", async () => {
    const liar = world.suppliers[0];
    if (!liar) throw new Error("no supplier");
    liar.backend.fault.mode = "inflate-output"; // bills 10,000 completion tokens: its receipts never verify
    let verifier: Verifier | undefined;
    const network = connectDecaiNetwork({
      client: world.net.publicClient,
      deployment: world.net.deployment,
      gatewayKey: world.gatewayKey,
      application: world.delegator,
      weight: (s, id) => verifier?.weightFor(s, id) ?? 1,
      onEvidence: (e) => verifier?.receipt(e),
    });
    // One lying receipt is enough here (an unmeasured supplier is tried early, but maybe only once).
    verifier = await Verifier.create({
      transport: decaiTransport(network.client),
      config: { reputation: { severity: { receipt: 3 } } },
    });
    const store = SqliteStore.open(":memory:");
    const gateway = await Gateway.start({
      store,
      upstream: network.upstream,
      pricing: network.pricing,
      verification: verifier,
    });
    try {
      const { key } = await createKey(store, { name: "t" });
      const post = () =>
        fetch(`${gateway.url}/v1/chat/completions`, {
          method: "POST",
          headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
          body: JSON.stringify(chatBody({ max_tokens: 3 })),
        });
      for (let i = 0; i < 12; i++) expect((await post()).status).toBe(200);
      await verifier.idle();
      expect(verifier.state(liar.address, "tiny-llama")).toBe("excluded");
      const callsBefore = liar.backend.fault.calls;
      for (let i = 0; i < 10; i++) expect((await post()).status).toBe(200);
      expect(liar.backend.fault.calls).toBe(callsBefore);
      const [first] = await verifier.evidence({ supplier: liar.address });
      expect(first).toMatchObject({ check: "receipt", code: "output_exceeds_max_tokens" });
      const report = await listOf(await fetch(`${gateway.url}/v1/decai/suppliers`));
      expect(
        report.data.find((r: { supplier: string }) => r.supplier === liar.address.toLowerCase()),
      ).toMatchObject({
        state: "excluded",
        checks: { receipt: { passed: 0 } },
      });
    } finally {
      await gateway.stop();
      await store.close();
    }
  }, 120_000);
});
