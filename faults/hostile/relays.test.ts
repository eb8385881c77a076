// Hostile relays sent straight to real RelayMiners: forged (tampered body, signature or fields, a stranger's key),
// replayed (at once, in parallel, after a restart, in the next session), expired or not yet started, for a
// service the supplier does not serve or an application without escrow, addressed to another supplier, signed by
// a gateway the application never delegated to (or no longer does). Every one is refused with its own code and
// none is mined; the honest relays among them are served and mined.
import { stakingAbi } from "@decai/chain";
import {
  decodeRelayRequestHeader,
  encodeRelayRequestHeader,
  relayRequestHeaderName,
  toServiceId,
} from "@decai/core";
import { createWalletClient, http } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { foundry } from "viem/chains";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FaultNet, startFaultNet } from "../lib/hostileNet.js";
import { currentSession, postRelay, type SignedRelay, signRelay } from "../lib/hostileRelays.js";
import { recordScenario } from "../lib/report.js";

describe("hostile input: forged, replayed and misdirected relays", () => {
  let net: FaultNet;
  const tally = { hostile: 0, accepted: 0, honest: 0 };
  const refusals = new Map<string, number>();

  beforeAll(async () => {
    net = await startFaultNet({ suppliers: 2 });
    // A second registered service nobody serves, and a staked gateway the application never delegated to.
    await net.chain.actions.registerService(net.key(1), toServiceId("other-model"), "other-model");
    await net.chain.actions.stakeGateway(net.key(6));
    await net.sync();
  }, 120_000);

  const supplier = (i: number) => net.suppliers[i] as FaultNet["suppliers"][number];

  async function honest(relay: SignedRelay, i = 0) {
    const res = await postRelay(supplier(i).url, relay);
    expect(res.status, res.text).toBe(200);
    tally.honest++;
  }
  async function hostile(label: string, relay: SignedRelay, code: string | string[], i = 0) {
    tally.hostile++;
    const res = await postRelay(supplier(i).url, relay);
    if (res.status === 200) tally.accepted++;
    expect(res.status, `${label}: ${res.text}`).toBeGreaterThanOrEqual(400);
    expect(typeof code === "string" ? [code] : code, label).toContain(res.code);
    refusals.set(res.code ?? "?", (refusals.get(res.code ?? "?") ?? 0) + 1);
  }
  /** `relay` with its signed header rewritten by `change` (the signature left as it was). */
  function rewrite(
    relay: SignedRelay,
    change: (signed: ReturnType<typeof decodeRelayRequestHeader>) => void,
  ) {
    const signed = decodeRelayRequestHeader(relay.headers[relayRequestHeaderName] as string);
    change(signed);
    return {
      ...relay,
      headers: { ...relay.headers, [relayRequestHeaderName]: encodeRelayRequestHeader(signed) },
    };
  }

  it("refuses forged relays", async () => {
    const me = supplier(0).address;
    const tampered = signRelay(net, {
      supplier: me,
      sentBody: JSON.stringify({ model: "tiny-llama", prompt: "pwned" }),
    });
    await hostile("body swapped after signing", tampered, "request_digest_mismatch");

    const good = signRelay(net, { supplier: me });
    const flipped = rewrite(good, (signed) => {
      const byte = Number.parseInt(signed.signature.slice(10, 12), 16) ^ 0x01;
      signed.signature =
        `${signed.signature.slice(0, 10)}${byte.toString(16).padStart(2, "0")}${signed.signature.slice(12)}` as `0x${string}`;
    });
    // A flipped bit recovers some other address (or none): either way not the application's.
    await hostile("signature bit-flipped", flipped, ["signer_not_delegated", "invalid_relay_signature"]);
    const raised = rewrite(good, (signed) => {
      signed.request = { ...signed.request, maxTokens: 100_000 };
    });
    await hostile("maxTokens raised after signing", raised, [
      "signer_not_delegated",
      "invalid_relay_signature",
    ]);
    await hostile(
      "signed by a stranger for the application",
      signRelay(net, { supplier: me, signerKey: net.key(7) }),
      "signer_not_delegated",
    );
    await hostile(
      "application without escrow",
      signRelay(net, {
        supplier: me,
        application: privateKeyToAccount(net.key(7)).address,
        signerKey: net.key(7),
      }),
      "application_not_staked",
    );
    await honest(good);
  });

  it("refuses relays for the wrong service, supplier or session, and from undelegated gateways", async () => {
    const me = supplier(0).address;
    const s = currentSession(net);
    await hostile(
      "service not served here",
      signRelay(net, { supplier: me, serviceId: toServiceId("other-model") }),
      "model_not_found",
    );
    await hostile(
      "addressed to another supplier",
      signRelay(net, { supplier: supplier(1).address }),
      "wrong_supplier",
    );
    await hostile("future session", signRelay(net, { supplier: me, session: s + 5n }), "session_not_started");
    await net.chain.testClient.mine({ blocks: 3 }); // past the previous session's grace blocks
    await net.sync();
    await hostile("expired session", signRelay(net, { supplier: me, session: s - 1n }), "session_expired");
    await hostile(
      "gateway never delegated",
      signRelay(net, { supplier: me, signerKey: net.key(6) }),
      "signer_not_delegated",
    );
    await honest(signRelay(net, { supplier: me, signerKey: net.gatewayKey })); // the delegated gateway
  });

  it("refuses replays: at once, in parallel, after a restart, and in the next session", async () => {
    const relay = signRelay(net, { supplier: supplier(0).address });
    await honest(relay);
    await hostile("replayed at once", relay, "relay_replayed");

    const fresh = signRelay(net, { supplier: supplier(1).address });
    const answers = await Promise.all(Array.from({ length: 6 }, () => postRelay(supplier(1).url, fresh)));
    expect(answers.filter((a) => a.status === 200)).toHaveLength(1);
    tally.honest++;
    for (const a of answers.filter((x) => x.status !== 200)) {
      tally.hostile++;
      expect(a.code).toBe("relay_replayed");
      refusals.set("relay_replayed", (refusals.get("relay_replayed") ?? 0) + 1);
    }

    // The replay log is on disk: a restarted RelayMiner still knows the relay.
    await net.restartSupplier(0);
    await hostile("replayed after a restart", relay, "relay_replayed");

    // Next session, past the grace period: the old relay is expired, not served again.
    await net.chain.actions.nextSession();
    await net.chain.actions.recordSeed(net.key(0));
    await net.chain.testClient.mine({ blocks: 3 });
    await net.sync();
    await hostile("replayed in the next session", relay, "session_expired");
  });

  it("refuses a gateway once the application undelegated it", async () => {
    const wallet = createWalletClient({
      account: privateKeyToAccount(net.appKey),
      chain: foundry,
      transport: http(net.chain.anvil.rpcUrl),
    });
    const hash = await wallet.writeContract({
      address: net.chain.contracts.staking,
      abi: stakingAbi,
      functionName: "undelegateFromGateway",
      args: [net.gateway],
    });
    await net.chain.publicClient.waitForTransactionReceipt({ hash });
    await net.chain.actions.nextSession(); // undelegation takes effect at the next session
    await net.chain.actions.recordSeed(net.key(0));
    await net.sync();
    await hostile(
      "undelegated gateway",
      signRelay(net, { supplier: supplier(0).address, signerKey: net.gatewayKey }),
      "signer_not_delegated",
    );
    await honest(signRelay(net, { supplier: supplier(0).address })); // the application itself still may
  });

  afterAll(async () => {
    try {
      if (net) {
        const mined = net.mined();
        recordScenario({
          id: "hostile-4-relays",
          scenario: "Hostile relays: forged, replayed, expired, wrong service/supplier, undelegated gateway",
          requests: tally.hostile + tally.honest,
          errors: tally.accepted,
          relaysLost: Math.abs(mined - tally.honest),
          fundsLost: 0,
          notes: `errors = hostile relays served (${tally.hostile} sent: ${[...refusals].map(([c, n]) => `${n} ${c}`).join(", ")}); relays mined = the ${tally.honest} honest ones`,
        });
        expect(tally.accepted).toBe(0);
        expect(mined).toBe(tally.honest);
      }
    } finally {
      await net?.stop();
    }
  });
});
