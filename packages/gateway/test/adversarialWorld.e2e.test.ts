import {
  computeRequestDigest,
  encodeRelayRequestHeader,
  type RelayRequest,
  relayRequestHeaderName,
  type SupplierInfo,
  signRelayRequest,
  supplierInfoPath,
  weightsDigestHeaderName,
} from "@decai/core";
import type { AdversarialBackend } from "@decai/llm/adversarial";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkArtifactCommitment } from "../src/verification/artifact.js";
import {
  type AdversarialWorld,
  startAdversarialWorld,
  supplierRoles,
  worldModel,
} from "./helpers/adversarialWorld.js";

// Smoke test of the world the verification e2e test and the bench run on: five real suppliers in one session,
// four of them cheating, all reachable through the gateway.
describe("adversarial world", () => {
  let world: AdversarialWorld;

  beforeAll(async () => {
    world = await startAdversarialWorld();
  }, 240_000);

  afterAll(async () => {
    await world?.stop();
  });

  it("stakes five suppliers that all declare and report the service's digest, the liar included", async () => {
    expect(world.suppliers.map((s) => s.role)).toEqual(supplierRoles);
    const drawn = world.indexer.state.sessionSuppliers(world.application, world.service, world.session) ?? [];
    expect([...drawn].map((a) => a.toLowerCase()).sort()).toEqual(
      world.suppliers.map((s) => s.address.toLowerCase()).sort(),
    );
    expect(world.indexer.state.service(world.service)?.weightsDigest).toBe(world.model.sha256);
    for (const s of world.suppliers) {
      const info = (await (await fetch(`${s.miner.url}${supplierInfoPath}`)).json()) as SupplierInfo;
      expect(info.supplier).toBe(s.address);
      expect(info.services[0]).toMatchObject({
        weightsDigest: world.model.sha256,
        declaredWeightsDigest: world.model.sha256,
        serviceWeightsDigest: world.model.sha256,
      });
      // Artifact commitment alone finds nothing: the wrong-model supplier repeats the honest digest.
      expect(
        checkArtifactCommitment({
          serviceDigest: world.model.sha256,
          declaredDigest: info.services[0]?.declaredWeightsDigest,
          reportedDigest: info.services[0]?.weightsDigest,
        }),
      ).toEqual([]);
    }
    const liar = world.supplier("wrong-model").backend as AdversarialBackend & { actualDigest: string };
    expect(liar.actualDigest).not.toBe(world.model.sha256);
  });

  it("serves 20 requests through the gateway with the openai client, from all five suppliers", async () => {
    for (let i = 0; i < 20; i++) {
      const completion = await world.openai.chat.completions.create({
        model: worldModel,
        messages: [{ role: "user", content: `question ${i}: tell me about the number ${i * 7}` }],
        max_tokens: 8,
        temperature: 0,
        // Half end early (the tiny model's babble soon has a "J"): room below max_tokens for inflated usage.
        ...(i % 2 ? { stop: ["J"] } : {}),
      });
      expect(completion.object).toBe("chat.completion");
    }
    const usage = await world.store.usage({ limit: 100 });
    const ok = usage.filter((u) => u.outcome === "ok");
    expect(ok.length).toBe(20);
    const roles = new Set(ok.map((u) => world.roleOf(u.supplier)));
    expect([...roles].sort()).toEqual([...supplierRoles].sort());
    // Every supplier's RelayMiner signed what it served, and the cheats did cheat.
    for (const s of world.suppliers) expect(s.served.length, s.role).toBeGreaterThan(0);
    const liar = (world.supplier("wrong-model").backend as AdversarialBackend).counts();
    expect(liar.tampered).toBe(liar.served);
    // An answer of one token cannot be cut: most are.
    expect((world.supplier("truncating").backend as AdversarialBackend).counts().tampered).toBeGreaterThan(0);
  }, 240_000);

  it("puts the claimed digest on every supplier's signed answers", async () => {
    let nonce = 1n;
    for (const s of world.suppliers) {
      const body = JSON.stringify({
        model: worldModel,
        messages: [{ role: "user", content: "hello" }],
        max_tokens: 4,
        temperature: 0,
      });
      const request: RelayRequest = {
        application: world.application,
        serviceId: world.service,
        session: world.session,
        supplier: s.address,
        requestDigest: computeRequestDigest({ method: "POST", path: "/v1/chat/completions", body }),
        maxTokens: 4,
        nonce: nonce++,
      };
      const signature = signRelayRequest({ request, domain: world.domain, privateKey: world.gatewayKey });
      const res = await fetch(`${s.miner.url}/v1/chat/completions`, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          [relayRequestHeaderName]: encodeRelayRequestHeader({ request, signature }),
        },
        body,
      });
      expect(res.status, s.role).toBe(200);
      expect(res.headers.get(weightsDigestHeaderName), s.role).toBe(world.model.sha256);
      await res.arrayBuffer();
    }
  });
});
