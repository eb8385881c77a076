import { createServer, type Server } from "node:net";
import { type BackendServer, createBackendServer, createMockBackend } from "@decai/llm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { main } from "../src/main.js";
import { captureOutput, testRuntime } from "./helpers.js";
import { type CliNetwork, startCliNetwork } from "./network.js";

describe("decai relayminer start", () => {
  let net: CliNetwork;
  let backend: BackendServer;
  beforeAll(async () => {
    net = await startCliNetwork();
    backend = await createBackendServer(createMockBackend());
  });
  afterAll(async () => {
    await backend?.close();
    await net?.anvil.stop();
  });

  it("runs in the foreground until asked to stop, warning about services not staked on-chain", async () => {
    let stop: (signal: string) => void = () => {};
    const stopped = new Promise<string>((resolve) => {
      stop = resolve;
    });
    const runtime = testRuntime({ cwd: net.cwd, env: { DECAI_PRIVATE_KEY: net.key(2) }, stop: stopped });
    const output = captureOutput();
    const backendUrl = new URL(backend.url).origin;
    const running = main(
      [
        "relayminer",
        "start",
        "--service",
        `tiny-llama=${backendUrl}`,
        "--port",
        "0",
        "--json",
        "--log-level",
        "info",
      ],
      output,
      runtime,
    );
    while (output.stdout.length === 0) {
      if (output.stderr.some((l) => l.startsWith("decai:"))) throw new Error(output.stderr.join("\n"));
      await new Promise((r) => setTimeout(r, 20));
    }
    const ready = JSON.parse(output.stdout[0] as string);
    expect(ready).toMatchObject({
      supplier: net.address(2),
      chainId: 31337,
      services: [{ name: "tiny-llama", backend: backendUrl }],
    });
    const health = await fetch(`${ready.url}/health`);
    expect(health.status).toBe(200);
    expect(output.stderr.join("\n")).toMatch(
      `warning: supplier ${net.address(2)} does not serve "tiny-llama" on-chain; run \`decai supplier stake --service tiny-llama=`,
    );
    // Logs are JSON lines on stderr, and never carry the key.
    expect(
      output.stderr.some((l) => JSON.parse(l.startsWith("{") ? l : "{}").msg === "relayminer listening"),
    ).toBe(true);
    expect(output.stderr.join("\n")).not.toContain(net.key(2).slice(2));

    stop("SIGINT");
    expect(await running).toBe(0);
    expect(output.stderr).toContain("SIGINT: stopping the RelayMiner...");
    await expect(fetch(`${ready.url}/health`)).rejects.toThrow();
  });

  it("says what to do on bad input and a busy port", async () => {
    const occupied: Server = createServer();
    await new Promise<void>((resolve) => occupied.listen(0, "127.0.0.1", resolve));
    const busy = String((occupied.address() as { port: number }).port);
    const backendUrl = new URL(backend.url).origin;
    const cases: [Record<string, string>, string[], number, RegExp][] = [
      [
        {},
        ["--service", `tiny-llama=${backendUrl}`],
        2,
        /no supplier key: pass --key <name> .* or set DECAI_PRIVATE_KEY/,
      ],
      [{ DECAI_PRIVATE_KEY: net.key(2) }, [], 2, /no services configured \(add "services"/],
      [
        { DECAI_PRIVATE_KEY: net.key(2) },
        ["--service", "tiny-llama"],
        2,
        /--service "tiny-llama" is not name=url/,
      ],
      [
        { DECAI_PRIVATE_KEY: net.key(2) },
        ["--service", "tiny-llama=ftp://x"],
        2,
        /the backend of service tiny-llama is not an http\(s\) URL/,
      ],
      [
        { DECAI_PRIVATE_KEY: net.key(2) },
        ["--service", `tiny-llama=${backendUrl}`, "--port", busy],
        1,
        new RegExp(`port ${busy} is already in use\\. Pass another --port`),
      ],
      [{ DECAI_PRIVATE_KEY: net.key(2) }, ["--key-file", "k"], 2, /Unknown option '--key-file'/],
    ];
    try {
      for (const [env, args, code, message] of cases) {
        const output = captureOutput();
        const result = await main(
          ["relayminer", "start", "--data-dir", "miner-errors", ...args],
          output,
          testRuntime({ cwd: net.cwd, env }),
        );
        expect(result, args.join(" ")).toBe(code);
        expect(output.stderr.join("\n"), args.join(" ")).toMatch(message);
      }
    } finally {
      occupied.close();
    }
  });
});
