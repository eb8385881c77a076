import type { ChildProcess } from "node:child_process";
import { createServer } from "node:net";
import { join } from "node:path";
import {
  type Anvil,
  loadDeployment,
  readNetworkStatus,
  selectApplication,
  selectSource,
  selectSupplier,
  stakingAbi,
  startAnvil,
  testTokenAbi,
} from "@decai/chain";
import {
  computeRequestDigest,
  computeResponseDigest,
  decodeRelayResponseHeader,
  encodeRelayRequestHeader,
  type RelayRequest,
  relayRequestHeaderName,
  relayResponseHeaderName,
  signRelayRequest,
  toServiceId,
  verifyRelay,
} from "@decai/core";
import { type BackendServer, createBackendServer, createMockBackend } from "@decai/llm";
import {
  type Address,
  createPublicClient,
  createTestClient,
  createWalletClient,
  type Hex,
  http,
  type PublicClient,
  parseEther,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { foundry } from "viem/chains";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Keystore } from "../src/keys/keystore.js";
import { decai, spawnDecai, testRuntime, waitForExit } from "./helpers.js";

const PASSPHRASE = "operator passphrase";

// How a real operator joins a network, by hand, with nothing but `decai` verbs against a plain anvil: deploy, keys,
// register a model, stake a supplier, start its RelayMiner (the real executable, as a child process), stake and
// delegate an application, send relays, then watch `decai status` show the claim settled and the balances moved.
describe("the operator flow by hand, against a plain anvil", () => {
  let anvil: Anvil;
  let backend: BackendServer;
  let miner: ChildProcess | undefined;
  let minerExit: ReturnType<typeof waitForExit> | undefined;
  const runtime = testRuntime({ env: { DECAI_KEYSTORE_PASSPHRASE: PASSPHRASE } });
  const cli = (...args: string[]) => decai(runtime, args);
  const ok = async (...args: string[]) => {
    const r = await cli(...args);
    expect(r.code, `decai ${args.join(" ")}\n${r.text}`).toBe(0);
    return r;
  };

  beforeAll(async () => {
    anvil = await startAnvil();
    backend = await createBackendServer(createMockBackend({ completionTokens: 6 }));
  });
  afterAll(async () => {
    miner?.kill("SIGKILL");
    await backend?.close();
    await anvil?.stop();
  });

  it("deploys, registers, stakes, serves, claims and settles with the verb groups alone", async () => {
    // 1. The chain: the deployer's key comes in on stdin, and the deployment file records where the chain is.
    const deployerKey = anvil.accounts[0]?.privateKey as Hex;
    expect(
      (await decai(testRuntime({ ...runtime, stdin: deployerKey }), ["keys", "import", "deployer"])).code,
    ).toBe(0);
    await ok(
      "chain",
      "deploy",
      "--key",
      "deployer",
      "--rpc-url",
      anvil.rpcUrl,
      "--param",
      "claimWindowBlocks=20",
      "--param",
      "proofWindowBlocks=20",
      "--param",
      "proofRequirementThreshold=1",
    );
    const deployment = (await ok("status", "--json")).json();
    const { relayMining } = deployment.contracts as { relayMining: Address };

    // 2. One key per actor, each made usable by the devnet faucet.
    const address: Record<string, Address> = {};
    for (const name of ["source", "supplier", "app", "gateway"]) {
      address[name] = (await ok("keys", "create", name, "--json")).json().address;
      await ok("faucet", "1000", "--key", name);
    }
    expect((await ok("keys", "list", "--json")).json().map((k: { name: string }) => k.name)).toEqual([
      "app",
      "deployer",
      "gateway",
      "source",
      "supplier",
    ]);

    // 3. The source publishes the model; the supplier stakes for it at its RelayMiner's address.
    await ok(
      "source",
      "register",
      "tiny-llama",
      "--weights-digest",
      `0x${"42".repeat(32)}`,
      "--model",
      "decai-mock",
      "--key",
      "source",
    );
    const port = await freePort();
    const endpoint = `http://127.0.0.1:${port}`;
    await ok("supplier", "stake", "100", "--service", `tiny-llama=${endpoint}`, "--key", "supplier");

    // 4. The RelayMiner: the real executable, in the foreground, with the supplier's key from the keystore.
    miner = spawnDecai(
      [
        "relayminer",
        "start",
        "--key",
        "supplier",
        "--service",
        `tiny-llama=${new URL(backend.url).origin}`,
        "--port",
        String(port),
        "--poll-interval-ms",
        "50",
        "--json",
      ],
      { DECAI_KEYSTORE_PASSPHRASE: PASSPHRASE },
      { cwd: runtime.cwd },
    );
    minerExit = waitForExit(miner);
    const ready = await readyLine(miner);
    expect(ready).toMatchObject({
      url: endpoint,
      supplier: address.supplier,
      services: [{ name: "tiny-llama" }],
    });

    // 5. The application escrows and delegates to a gateway (staked by its operator with plain viem: the gateway
    //    verbs are another group's).
    await ok("app", "stake", "50", "--service", "tiny-llama", "--key", "app");
    const gatewayKey = new Keystore(join(runtime.cwd, ".decai/keys")).load("gateway", PASSPHRASE);
    await stakeGateway(anvil.rpcUrl, deployment.contracts, gatewayKey);
    await ok("app", "delegate", address.gateway as Address, "--key", "app");

    // 6. Next session: the supplier is drawn, the delegation is live. One relay signed by the app, one by its gateway.
    const testClient = createTestClient({ chain: foundry, mode: "anvil", transport: http(anvil.rpcUrl) });
    const before = (await ok("status", "--json")).json();
    await testClient.mine({ blocks: Number(BigInt(before.endBlock) - BigInt(before.block) + 1n) });
    const session = BigInt((await ok("status", "--json")).json().session);
    const domain = { chainId: anvil.chainId, verifyingContract: relayMining };
    const appKey = new Keystore(join(runtime.cwd, ".decai/keys")).load("app", PASSPHRASE);
    const served: bigint[] = [];
    for (const [signer, nonce] of [
      [appKey, 1n],
      [gatewayKey, 2n],
    ] as const) {
      const body = JSON.stringify({
        model: "decai-mock",
        messages: [{ role: "user", content: "hello there" }],
        max_tokens: 8,
      });
      const request: RelayRequest = {
        application: address.app as Address,
        serviceId: toServiceId("tiny-llama"),
        session,
        supplier: address.supplier as Address,
        requestDigest: computeRequestDigest({ method: "POST", path: "/v1/chat/completions", body }),
        maxTokens: 8,
        nonce,
      };
      const signature = signRelayRequest({ request, domain, privateKey: signer });
      const res = await untilServed(() =>
        fetch(`${endpoint}/v1/chat/completions`, {
          method: "POST",
          headers: { [relayRequestHeaderName]: encodeRelayRequestHeader({ request, signature }) },
          body,
        }),
      );
      const text = await res.text();
      expect(res.status, text).toBe(200);
      const receipt = decodeRelayResponseHeader(res.headers.get(relayResponseHeaderName) as string);
      expect(receipt.response.responseDigest).toBe(computeResponseDigest(text));
      const verified = verifyRelay(
        {
          request,
          requestSignature: signature,
          response: receipt.response,
          responseSignature: receipt.signature,
        },
        domain,
      );
      expect(verified.supplier).toBe(address.supplier);
      served.push(BigInt(receipt.response.inputTokens + receipt.response.outputTokens));
    }

    // 7. Blocks go by; the RelayMiner claims, proves and settles by itself. `decai status` is the only window.
    let status = (await ok("status", "--json")).json();
    for (let i = 0; i < 400 && !status.claims.some((c: { state: string }) => c.state === "settled"); i++) {
      await testClient.mine({ blocks: 1 });
      await new Promise((r) => setTimeout(r, 60));
      if (i % 5 === 4) status = (await ok("status", "--json")).json();
    }
    status = (await ok("status", "--json")).json();
    const [claim] = status.claims;
    expect(claim).toMatchObject({
      supplier: address.supplier,
      application: address.app,
      service: "tiny-llama",
      session: String(session),
      rootCount: "2",
      rootSum: String(served.reduce((a, b) => a + b, 0n)), // per-token pricing: 1 CU per input and output token
      state: "settled",
    });
    const paid = BigInt(claim.amount);
    expect(paid).toBe(BigInt(claim.rootSum) * 10n ** 12n); // every relay applicable, DEFAULT paymentPerComputeUnit
    expect(BigInt(claim.supplierAmount) + BigInt(claim.sourceAmount) + BigInt(claim.daoAmount)).toBe(paid);

    const [service] = status.services;
    expect(service).toMatchObject({ name: "tiny-llama", source: address.source, modelName: "decai-mock" });
    expect(service.suppliers).toEqual([expect.objectContaining({ supplier: address.supplier, endpoint })]);
    expect(status.suppliers).toEqual([
      expect.objectContaining({ address: address.supplier, earned: claim.supplierAmount }),
    ]);
    expect(status.applications).toEqual([
      expect.objectContaining({
        address: address.app,
        escrow: (parseEther("50") - paid).toString(),
        spent: paid.toString(),
        gateways: [address.gateway],
      }),
    ]);
    expect(status.sources).toEqual([{ address: address.source, earned: claim.sourceAmount }]);
    expect(status.dao.earned).toBe(claim.daoAmount);

    // The tokens really moved: nothing minted, the app's escrow paid the supplier, the source and the DAO.
    const client = createPublicClient({ chain: foundry, transport: http(anvil.rpcUrl) });
    const dpt = (who: Address) =>
      client.readContract({
        address: deployment.contracts.paymentToken,
        abi: testTokenAbi,
        functionName: "balanceOf",
        args: [who],
      });
    expect(await dpt(address.supplier as Address)).toBe(parseEther("1000") + BigInt(claim.supplierAmount));
    expect(await dpt(address.source as Address)).toBe(parseEther("1000") + BigInt(claim.sourceAmount));

    // The per-actor views agree with `decai status`, and read the one library it reads (issue #9): every number
    // the supplier, source and app verbs print is what @decai/chain's readNetworkStatus and selectors say.
    const network = await readNetworkStatus({
      client: client as PublicClient,
      deployment: loadDeployment(join(runtime.cwd, ".decai/deployment.json")),
    });
    const asJson = (value: unknown) =>
      JSON.parse(JSON.stringify(value, (_, v) => (typeof v === "bigint" ? v.toString() : v)));

    const mine = selectSupplier(network, address.supplier as Address);
    expect(mine).toMatchObject({ earned: BigInt(claim.supplierAmount), sessionsServed: 1, relaysMined: 2n });
    const supplierView = (await ok("supplier", "status", "--key", "supplier", "--json")).json();
    expect(supplierView).toMatchObject({ earned: claim.supplierAmount });
    expect(supplierView).toMatchObject(
      asJson({
        address: mine.address,
        stake: mine.stake,
        services: mine.services,
        earned: mine.earned,
        sessionsServed: mine.sessionsServed,
        relaysMined: mine.relaysMined,
        computeUnits: mine.computeUnits,
        claimCounts: mine.claimCounts,
        earnings: mine.earnings,
        claims: [...mine.claims].reverse(),
      }),
    );
    expect(supplierView.claims).toEqual(asJson(network.claims)); // the only supplier: every claim is its own
    const supplierText = (await ok("supplier", "status", "--key", "supplier")).stdout.join("\n");
    expect(supplierText).toMatch(/claims +1 \(0 pending, 1 settled, 0 void\)/);
    expect(supplierText).toMatch(
      new RegExp(`work +1 session\\(s\\), 2 relays mined, ${mine.computeUnits} compute units`),
    );

    const src = selectSource(network, address.source as Address);
    expect(src.earned).toBe(BigInt(claim.sourceAmount));
    const sourceView = (await ok("source", "earnings", "--key", "source", "--json")).json();
    expect(sourceView).toMatchObject({
      earned: claim.sourceAmount,
      earnedByService: { "tiny-llama": claim.sourceAmount },
    });
    expect(sourceView).toMatchObject(
      asJson({
        source: src.address,
        earned: src.earned,
        settledClaims: src.settledClaims,
        services: src.services,
        formerServices: [],
        earnings: src.earnings,
        paymentToken: network.tokens.payment,
      }),
    );

    const spender = selectApplication(network, address.app as Address);
    const listed = network.applications.find((a) => a.address === address.app);
    expect(spender).toMatchObject({ spent: paid, settledClaims: 1, escrow: listed?.escrow });
    expect(listed?.spent).toBe(spender.spent);
    const appView = (await ok("app", "status", "--key", "app", "--json")).json();
    expect(appView).toMatchObject({ spent: paid.toString(), settledClaims: 1 });
    expect(appView).toMatchObject(
      asJson({
        address: spender.address,
        escrow: spender.escrow,
        services: spender.services,
        gateways: spender.gateways,
        spent: spender.spent,
        settledClaims: spender.settledClaims,
        claimCounts: spender.claimCounts,
        spending: spender.spending,
        pendingClaims: [],
      }),
    );
    const human = (await ok("status")).stdout.join("\n");
    expect(human).toContain(`supplier ${address.supplier} at ${endpoint}`);
    expect(human).toMatch(/Claims: 0 pending, 1 settled, 0 voided/);

    // 8. Ctrl-C stops the RelayMiner cleanly.
    miner.kill("SIGINT");
    const exit = await minerExit;
    expect(exit.code, exit.stderr.slice(-2000)).toBe(0);
    expect(exit.stderr).toMatch(/SIGINT: stopping the RelayMiner/);
    expect(exit.stderr).toMatch(/"msg":"relayminer stopped"/);
    const supplierKey = new Keystore(join(runtime.cwd, ".decai/keys")).load("supplier", PASSPHRASE);
    expect(exit.stderr).not.toContain(supplierKey.slice(2)); // logs name the supplier, never its key
    miner = undefined;
  }, 300_000);
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

function readyLine(child: ChildProcess): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    let buffer = "";
    let errors = "";
    child.stderr?.on("data", (d) => {
      errors += d;
    });
    child.stdout?.on("data", (d) => {
      buffer += d;
      const line = buffer.split("\n").find((l) => l.startsWith("{"));
      if (line) resolve(JSON.parse(line));
    });
    child.once("exit", (code) =>
      reject(new Error(`relayminer exited early with ${code}: ${errors.slice(-2000)}`)),
    );
  });
}

/** Retries while the RelayMiner has not yet seen the session's seed (503), as clients do. */
async function untilServed(send: () => Promise<Response>): Promise<Response> {
  for (let tries = 0; ; tries++) {
    const res = await send();
    if (res.status !== 503 || tries > 200) return res;
    await res.arrayBuffer();
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function stakeGateway(rpcUrl: string, contracts: Record<string, Address>, key: Hex): Promise<void> {
  const wallet = createWalletClient({
    account: privateKeyToAccount(key),
    chain: foundry,
    transport: http(rpcUrl),
  });
  const client = createPublicClient({ chain: foundry, transport: http(rpcUrl) });
  const amount = parseEther("100");
  for (const [address, abi, functionName, args] of [
    [contracts.stakeToken, testTokenAbi, "approve", [contracts.staking, amount]],
    [contracts.staking, stakingAbi, "stakeGateway", [amount]],
  ] as const) {
    const hash = await wallet.writeContract({ address, abi, functionName, args } as never);
    await client.waitForTransactionReceipt({ hash });
  }
}
