import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { devAccounts } from "@decai/chain";
import { AdminClient } from "@decai/gateway";
import { createBackendServer, createMockBackend } from "@decai/llm";
import type { Browser, Page } from "playwright-core";
import type { Hex } from "viem";
import { privateKeyToAddress } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
// The CLI is the dashboard's user, not its dependency: the tests borrow its devnet and its `status` verb.
import { type Devnet, startDevnet } from "../../cli/src/devnet/startDevnet.js";
import { main } from "../../cli/src/main.js";
import { dashboardPaths, ensureDashboardBuilt, isFresh } from "../src/index.js";
import { formatAmount } from "../ui/src/format.js";
import { launchChromium, numberIn, overflowsHorizontally, screenshot } from "./browser.js";

// A whole devnet (anvil, contracts, one supplier's RelayMiner in front of a mock backend, the gateway and the
// dashboard) with 4-block sessions of 0.25 s blocks, so a chat request is claimed, proven and settled within seconds.
describe("dashboard in a real browser against a running devnet", () => {
  const dataDir = mkdtempSync(join(tmpdir(), "decai-dashboard-"));
  let devnet: Devnet;
  let browser: Browser;
  let page: Page;
  let closeBackend: () => Promise<void>;

  beforeAll(async () => {
    const backend = await createBackendServer(
      createMockBackend({ modelId: "decai-tiny", completionTokens: 8 }),
    );
    closeBackend = () => backend.close();
    [devnet, browser] = await Promise.all([
      startDevnet({
        port: 0,
        blockTime: 0.25,
        sessionBlocks: 4,
        suppliers: 1,
        backend: new URL(backend.url).origin,
        dataDir,
        dashboardPort: 0,
        onStep: () => {},
      }),
      launchChromium(),
    ]);
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await devnet?.stop();
    await closeBackend?.();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("shows the network, then the claim and settlement of a chat request without a reload", async () => {
    await page.goto(devnet.dashboardUrl);
    await expect.poll(() => numberIn(page, "stat-block")).toBeGreaterThan(0);
    expect(await page.getByTestId("services").textContent()).toContain("decai-tiny");
    expect(await numberIn(page, "stat-suppliers")).toBe(1);
    expect(await numberIn(page, "stat-claims-settled")).toBe(0);
    await expect.poll(() => page.getByTestId("feed-empty").isVisible()).toBe(true);
    const firstBlock = await numberIn(page, "stat-block");
    await expect.poll(() => numberIn(page, "stat-block"), { timeout: 10_000 }).toBeGreaterThan(firstBlock); // live
    await page.evaluate("window.notReloaded = true"); // gone if the page reloads

    for (const content of ["Hello", "Hello again"]) {
      const res = await fetch(`${devnet.openaiBaseUrl}/chat/completions`, {
        method: "POST",
        headers: { authorization: `Bearer ${devnet.openaiApiKey}`, "content-type": "application/json" },
        body: JSON.stringify({ model: devnet.model, messages: [{ role: "user", content }], max_tokens: 8 }),
      });
      expect(res.status, await res.clone().text()).toBe(200);
      await res.json();
    }

    // Claims appear, then settle, and the page follows by itself.
    await expect
      .poll(() => numberIn(page, "stat-claims-settled"), { timeout: 60_000, interval: 250 })
      .toBeGreaterThan(0);
    const feed = await page.getByTestId("feed").textContent();
    expect(feed).toMatch(/claim/i);
    expect(feed).toMatch(/settle/i);
    expect(await page.getByTestId("stat-paid").textContent()).not.toMatch(/^0 /);
    expect(await page.evaluate("window.notReloaded")).toBe(true);
    await screenshot(page, "network");

    // One library: what the page was served is what `decai status --json` says, claim for claim.
    // biome-ignore lint/suspicious/noExplicitAny: the API's JSON, compared as it is
    const api = ((await (await fetch(`${devnet.dashboardUrl}/api/network`)).json()) as any).status;
    const cli = await statusJson(devnet);
    const settled = api.claims.filter((c: { state: string }) => c.state === "settled");
    expect(settled.length).toBeGreaterThan(0);
    for (const claim of settled) expect(cli.claims).toContainEqual(claim);
    expect(cli.services.map((s: { name: string }) => s.name)).toEqual(
      api.services.map((s: { name: string }) => s.name),
    );
  }, 90_000);

  it("shows a batch tier next to its interactive service, with both tiers' prices", async () => {
    // The devnet's source (anvil's account 1) adds the cheaper tier: same input price, half the output price.
    const sourceKey = devAccounts(2)[1]?.privateKey as Hex;
    expect(privateKeyToAddress(sourceKey)).toBe(devnet.accounts.source);
    const register = await decai(
      [
        ...["source", "register", "--batch-of", "decai-tiny", "--json"],
        ...["--cu-per-input-token", "1", "--cu-per-output-token", "1"],
        ...["--deployment", devnet.deploymentFile, "--rpc-url", devnet.rpcUrl],
      ],
      undefined,
      { DECAI_PRIVATE_KEY: sourceKey },
    );
    expect(register.code, register.errors.join("\n")).toBe(0);

    await page.goto(devnet.dashboardUrl);
    const interactive = page.getByTestId("service-decai-tiny");
    const batch = page.getByTestId("service-decai-tiny.batch");
    await expect.poll(() => batch.isVisible(), { timeout: 10_000 }).toBe(true);
    expect(await interactive.getByTestId("service-tier").textContent()).toBe("interactive");
    expect(await batch.getByTestId("service-tier").textContent()).toBe("batch of decai-tiny");
    // The batch tier's row comes right under its interactive service's, prices in the same columns.
    const rows = await page
      .getByTestId("services")
      .locator("tbody tr")
      .evaluateAll((trs) => trs.map((tr) => tr.getAttribute("data-testid")));
    expect(rows.indexOf("service-decai-tiny.batch")).toBe(rows.indexOf("service-decai-tiny") + 1);

    // Prices per 1k tokens: compute units × paymentPerComputeUnit × 1000, as the page formats them.
    // biome-ignore lint/suspicious/noExplicitAny: the API's JSON, read as it is
    const api = ((await (await fetch(`${devnet.dashboardUrl}/api/network`)).json()) as any).status;
    const perK = (cu: bigint) =>
      formatAmount((cu * BigInt(api.paymentPerComputeUnit) * 1000n).toString(), api.tokens.payment);
    expect(await interactive.getByTestId("price-input").textContent()).toBe(perK(1n));
    expect(await interactive.getByTestId("price-output").textContent()).toBe(perK(2n));
    expect(await batch.getByTestId("price-input").textContent()).toBe(perK(1n));
    expect(await batch.getByTestId("price-output").textContent()).toBe(perK(1n));
    expect(perK(1n)).not.toBe(perK(2n)); // the two tiers' output prices do differ on screen
    await screenshot(page, "network-tiers");

    // `decai status` names both tiers too, and its JSON carries the links.
    const cli = await statusJson(devnet);
    const [tiny, tinyBatch] = ["decai-tiny", "decai-tiny.batch"].map((name) =>
      cli.services.find((s: { name: string }) => s.name === name),
    );
    expect(tiny).toMatchObject({ tier: "interactive", batchTier: tinyBatch.id });
    expect(tinyBatch).toMatchObject({ tier: "batch", batchOf: tiny.id });
    expect(tiny).not.toHaveProperty("batchOf");
    const text = await decai(["status", "--deployment", devnet.deploymentFile, "--rpc-url", devnet.rpcUrl]);
    expect(text.lines.join("\n")).toContain("decai-tiny (interactive, batch tier decai-tiny.batch): model");
    expect(text.lines.join("\n")).toContain("decai-tiny.batch (batch tier of decai-tiny): model");
  }, 60_000);

  it("shows the supplier's stake, work, claims by stage and an earnings chart", async () => {
    const [supplier] = devnet.accounts.suppliers;
    await page.getByTestId("suppliers").locator(`a[href="/supplier/${supplier}"]`).click();
    await expect.poll(() => page.getByTestId("supplier-earned").isVisible()).toBe(true);
    expect(page.url()).toBe(`${devnet.dashboardUrl}/supplier/${supplier}`);
    expect(await page.getByTestId("supplier-stake").textContent()).toMatch(/^1,000 /);
    expect(await numberIn(page, "supplier-relays")).toBeGreaterThan(0);
    expect(await numberIn(page, "supplier-sessions")).toBeGreaterThan(0);
    expect(await numberIn(page, "stage-settled")).toBeGreaterThan(0);
    expect(await page.getByTestId("supplier-earned").textContent()).not.toMatch(/^0 /);
    expect(await page.getByTestId("supplier-chart").locator("rect.bar").count()).toBeGreaterThan(0);
    // The gateway's reputation list: its rows when it publishes one, else an empty state that says why.
    const reputation = await page.getByTestId("supplier-reputation").textContent();
    expect(reputation).toMatch(/Score|reputation|no score/i);
    await screenshot(page, "supplier");
  }, 30_000);

  it("shows the source's revenue share per service over time", async () => {
    await page.goto(`${devnet.dashboardUrl}/source/${devnet.accounts.source}`);
    await expect.poll(() => page.getByTestId("source-chart").isVisible(), { timeout: 10_000 }).toBe(true);
    expect(await page.getByTestId("source-earned").textContent()).not.toMatch(/^0 /);
    expect(await page.getByTestId("source-service-decai-tiny").textContent()).toContain("10% share");
    await screenshot(page, "source");
  }, 30_000);

  it("opens the gateway console with the admin token, shows usage, creates and revokes a key", async () => {
    await page.goto(`${devnet.dashboardUrl}/console`);
    const form = page.getByTestId("token-form");
    await form.locator("input").fill("not-the-token");
    await form.locator("button").click();
    await expect.poll(() => page.getByRole("alert").textContent()).toMatch(/admin token/i);

    await form.locator("input").fill(devnet.adminToken);
    await form.locator("button").click();
    await expect.poll(() => page.getByTestId("key-devnet").isVisible(), { timeout: 10_000 }).toBe(true);
    expect(await page.evaluate('sessionStorage.getItem("decai.adminToken")')).toBe(devnet.adminToken);
    await expect.poll(() => numberIn(page, "usage-requests"), { timeout: 10_000 }).toBeGreaterThanOrEqual(2);
    expect(await page.getByTestId("usage-by-model").textContent()).toContain("decai-tiny");
    expect(await page.getByTestId("chart-requests").locator("rect.bar").count()).toBeGreaterThan(0);

    const create = page.getByTestId("create-key");
    await create.locator('input[name="name"]').fill("browser-e2e");
    await create.locator('input[name="budget"]').fill("2.5");
    await create.locator('input[name="rpm"]').fill("60");
    await create.locator('button[type="submit"]').click();
    const secret = (await page.getByTestId("created-key").locator("code").textContent()) ?? "";
    expect(secret.length).toBeGreaterThan(20);
    const row = page.getByTestId("key-browser-e2e");
    await expect.poll(() => row.isVisible()).toBe(true);
    expect(await row.textContent()).toMatch(/2\.5 \w+ \/ month/);
    expect(await row.textContent()).toContain("60 rpm");
    await screenshot(page, "console");

    page.once("dialog", (dialog) => void dialog.accept());
    await row.getByRole("button", { name: "Revoke" }).click();
    await expect.poll(() => row.textContent()).toContain("revoked");
    // The gateway agrees: the key is revoked and refused.
    const admin = new AdminClient({ url: new URL(devnet.openaiBaseUrl).origin, token: devnet.adminToken });
    const key = (await admin.listKeys()).find((k) => k.name === "browser-e2e");
    expect(key?.revokedAt).not.toBeNull();
    expect(key?.limits).toMatchObject({ costBudget: "2500000000000000000", rpm: 60, period: "month" });
    const refused = await fetch(`${devnet.openaiBaseUrl}/models`, {
      headers: { authorization: `Bearer ${secret}` },
    });
    expect(refused.status).toBe(401);
  }, 60_000);

  it("fits a phone's width on every page", async () => {
    const phone = await browser.newPage({
      viewport: { width: 375, height: 812 },
      isMobile: true,
      hasTouch: true,
    });
    try {
      await phone.addInitScript(
        `sessionStorage.setItem("decai.adminToken", ${JSON.stringify(devnet.adminToken)})`,
      );
      const pages: [string, string, string][] = [
        ["/", "stat-block", "network-phone"],
        [`/supplier/${devnet.accounts.suppliers[0]}`, "supplier-earned", "supplier-phone"],
        [`/source/${devnet.accounts.source}`, "source-earned", "source-phone"],
        ["/console", "keys", "console-phone"],
      ];
      for (const [path, ready, name] of pages) {
        await phone.goto(`${devnet.dashboardUrl}${path}`);
        await expect.poll(() => phone.getByTestId(ready).isVisible(), { timeout: 10_000 }).toBe(true);
        await phone.waitForTimeout(300); // let charts take their measured width
        expect(await overflowsHorizontally(phone), `${path} is wider than the phone`).toBe(false);
        await screenshot(phone, name);
      }
    } finally {
      await phone.close();
    }
  }, 60_000);

  it("rebuilds the UI over a lock left by a build that died", async () => {
    const dead = spawnSync(process.execPath, ["-e", ""]).pid as number;
    const lockDir = `${dashboardPaths.dist}.lock`;
    mkdirSync(lockDir);
    writeFileSync(join(lockDir, "pid"), String(dead));
    await ensureDashboardBuilt({ force: true });
    expect(existsSync(lockDir)).toBe(false);
    expect(isFresh()).toBe(true);
    expect((await fetch(devnet.dashboardUrl)).status).toBe(200); // the running server serves the new build
  }, 60_000);

  it("is served by `decai dashboard`, which finds the devnet's gateway by itself", async () => {
    let stop: (signal: string) => void = () => {};
    const stopped = new Promise<string>((resolve) => {
      stop = resolve;
    });
    const args = [
      "dashboard",
      "--json",
      "--port",
      "0",
      "--deployment",
      devnet.deploymentFile,
      "--rpc-url",
      devnet.rpcUrl,
    ];
    const running = decai(args, stopped);
    await expect.poll(() => running.lines.length, { timeout: 30_000 }).toBeGreaterThan(0);
    const ready = JSON.parse(running.lines[0] as string);
    expect(ready.gateway).toBe(new URL(devnet.openaiBaseUrl).origin);
    const network = await fetch(`${ready.url}/api/network`);
    expect(network.status).toBe(200);
    expect(((await network.json()) as { gatewayUrl: string }).gatewayUrl).toBe(ready.gateway);
    expect(await (await fetch(`${ready.url}/supplier/${devnet.accounts.suppliers[0]}`)).text()).toContain(
      '<div id="root">',
    );
    stop("SIGINT");
    expect((await running).code).toBe(0);
    await expect(fetch(`${ready.url}/api/network`)).rejects.toThrow();
  }, 60_000);
});

describe("decai dashboard", () => {
  it("prints its help", async () => {
    const { code, lines } = await decai(["dashboard", "--help"]);
    expect(code).toBe(0);
    expect(lines.join("\n")).toMatch(/--gateway <url>/);
    expect(lines.join("\n")).toMatch(/same data as `decai status`/);
  });

  it("rejects a gateway that is not a URL before touching the chain", async () => {
    const { code, errors } = await decai(["dashboard", "--gateway", "localhost:8080"]);
    expect(code).toBe(2);
    expect(errors.join("\n")).toMatch(/--gateway must be an http\(s\) URL/);
  });
});

/**
 * Runs `decai <args>` in-process; `stop` resolves the foreground command's wait for Ctrl-C. Its `lines` fill up while
 * it runs.
 */
function decai(
  args: string[],
  stop: Promise<string> = Promise.resolve("SIGINT"),
  env: Record<string, string> = {},
) {
  const lines: string[] = [];
  const errors: string[] = [];
  const done = main(
    args,
    { out: (l) => lines.push(l), err: (l) => errors.push(l) },
    {
      env,
      cwd: tmpdir(),
      interactive: false,
      readStdin: async () => "",
      promptSecret: async () => "",
      untilStopped: () => stop,
    },
  ).then((code) => ({ code, lines, errors }));
  return Object.assign(done, { lines, errors });
}

/** `decai status --json` against the devnet, in-process. */
async function statusJson(devnet: Devnet) {
  const { code, lines, errors } = await decai([
    "status",
    "--json",
    "--deployment",
    devnet.deploymentFile,
    "--rpc-url",
    devnet.rpcUrl,
  ]);
  expect(code, errors.join("\n")).toBe(0);
  return JSON.parse(lines.join("\n"));
}
