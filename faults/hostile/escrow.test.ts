// Hostile application: it hammers every supplier of its session to get more than its escrow pays for, and one
// supplier (meter misconfigured, or greedy) over-serves it. Each honest RelayMiner's meter answers 429 once its
// share is spent; on chain, claims, proofs and settlement pay each supplier at most its share, so the total paid
// never exceeds the escrow, and the escrow moves by exactly what was paid.
import { relayMiningAbi, stakingAbi } from "@decai/chain";
import { formatUnits, type Hex } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FaultNet, startFaultNet } from "../lib/hostileNet.js";
import { currentSession, postRelay, signRelay } from "../lib/hostileRelays.js";
import { recordScenario } from "../lib/report.js";

const SUPPLIERS = 5;
const ESCROW = 10n * 10n ** 18n; // the minimum application stake
const PPCU = 10n ** 15n; // payment per compute unit: each supplier's share is a few hundred compute units

describe("hostile application: trying to exceed its escrow across many suppliers", () => {
  let net: FaultNet;
  let session: bigint;
  const answers = new Map<number, number>();
  const tally = { relays: 0, refused: 0, paid: 0n, escrowDrop: 0n, cap: 0n };

  beforeAll(async () => {
    net = await startFaultNet({
      suppliers: SUPPLIERS,
      escrow: ESCROW,
      params: {
        blocksPerSession: 10,
        suppliersPerSession: SUPPLIERS,
        claimWindowOpenOffsetBlocks: 2,
        claimWindowBlocks: 10,
        proofWindowBlocks: 10,
        paymentPerComputeUnit: PPCU,
      },
      // Supplier 0's meter believes compute units are 100x cheaper: it serves far past the application's share.
      minerArgsOf: (i) => (i === 0 ? ["--payment-per-compute-unit", String(PPCU / 100n)] : []),
    });
  }, 120_000);

  const read = (functionName: string, args: readonly unknown[]) =>
    net.chain.publicClient.readContract({
      address: net.chain.contracts.relayMining,
      abi: relayMiningAbi,
      functionName,
      args,
    } as never) as Promise<unknown>;
  const escrow = () =>
    net.chain.publicClient.readContract({
      address: net.chain.contracts.staking,
      abi: stakingAbi,
      functionName: "applicationEscrow",
      args: [net.app],
    }) as Promise<bigint>;

  it("gets 429 from every honest supplier once its share is spent", async () => {
    session = currentSession(net);
    const perSupplier = 60;
    await Promise.all(
      net.suppliers.map(async (s, i) => {
        for (let n = 0; n < perSupplier; n++) {
          tally.relays++;
          const res = await postRelay(s.url, signRelay(net, { supplier: s.address }));
          if (res.status === 200) answers.set(i, (answers.get(i) ?? 0) + 1);
          else {
            expect(res.status).toBe(429);
            expect(res.code).toBe("insufficient_quota");
            tally.refused++;
          }
        }
      }),
    );
    for (let i = 1; i < SUPPLIERS; i++)
      expect(answers.get(i) ?? 0, `supplier ${i}`).toBeLessThan(perSupplier);
    expect(answers.get(0)).toBe(perSupplier); // the over-serving supplier refused nothing
  });

  it("settles every claim at most at the supplier's share: the total paid never exceeds the escrow", async () => {
    const before = await escrow();
    const cap = (await read("maxPayablePerSupplier", [net.app, session])) as bigint;
    tally.cap = cap;
    const keys = await Promise.all(
      net.suppliers.map((s) => read("claimKey", [s.address, net.app, net.service, session]) as Promise<Hex>),
    );
    // Blocks one at a time: the RelayMiners claim in the claim window, prove when asked, and settle.
    const final = new Map<Hex, { status: number }>();
    for (let block = 0; block < 400 && final.size < keys.length; block++) {
      await net.chain.testClient.mine({ blocks: 1 });
      await new Promise((r) => setTimeout(r, 120));
      for (const key of keys) {
        const claim = (await read("getClaim", [key])) as { status: number };
        if (claim.status >= 3) final.set(key, claim);
      }
    }
    expect(final.size).toBe(keys.length);
    const settled = await net.chain.publicClient.getContractEvents({
      address: net.chain.contracts.relayMining,
      abi: relayMiningAbi,
      eventName: "ClaimSettled",
      fromBlock: 0n,
    });
    const amounts = settled.map((e) => (e.args as { amount: bigint }).amount);
    for (const amount of amounts) expect(amount).toBeLessThanOrEqual(cap);
    tally.paid = amounts.reduce((a, b) => a + b, 0n);
    tally.escrowDrop = before - (await escrow());
    expect(tally.paid).toBeLessThanOrEqual(ESCROW);
    expect(tally.escrowDrop).toBe(tally.paid);
    // The over-served supplier claimed more than its share and was paid its share, no more.
    const greedy = settled.find((e) => (e.args as { key: Hex }).key === keys[0]);
    expect((greedy?.args as { amount: bigint } | undefined)?.amount).toBe(cap);
  });

  afterAll(async () => {
    try {
      if (net) {
        recordScenario({
          id: "hostile-5-escrow",
          scenario: "Hostile application: exceeding its escrow across many suppliers",
          requests: tally.relays,
          errors: tally.paid > ESCROW ? 1 : 0,
          relaysLost: 0,
          fundsLost: tally.escrowDrop - tally.paid,
          notes: `${tally.refused} relays refused with 429 by the meters; ${formatUnits(tally.paid, 18)} of ${formatUnits(ESCROW, 18)} tokens of escrow paid, each supplier at most ${formatUnits(tally.cap, 18)}; errors = payouts past the escrow`,
        });
      }
    } finally {
      await net?.stop();
    }
  });
});
