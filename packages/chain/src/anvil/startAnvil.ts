import { type ChildProcess, spawn } from "node:child_process";
import { ChainError } from "../errors.js";
import { ANVIL_MNEMONIC, type DevAccount, devAccounts } from "./devAccounts.js";
import { findAnvilBinary } from "./findAnvilBinary.js";

/** Options for {@link startAnvil}. */
export type StartAnvilOptions = {
  /** TCP port; 0 (the default) lets the OS pick a free one. */
  port?: number;
  /** Interface to listen on. Default 127.0.0.1. */
  host?: string;
  /** Seconds between blocks (fractions allowed). Default: automine, one block per transaction. */
  blockTime?: number;
  /** Chain id. Default 31337. */
  chainId?: number;
  /** Number of pre-funded accounts. Default 10. */
  accounts?: number;
  /** How long to wait for anvil to listen. Default 15 s. */
  startTimeoutMs?: number;
  /** Extra command-line arguments passed to anvil as they are. */
  extraArgs?: string[];
};

/** A running anvil node. */
export type Anvil = {
  rpcUrl: string;
  port: number;
  chainId: number;
  /** The pre-funded development accounts, in anvil's order. */
  accounts: DevAccount[];
  /** Stops anvil and waits until the process has exited. Safe to call twice. */
  stop: () => Promise<void>;
};

/**
 * Starts a local anvil node on a free port and resolves once it accepts RPC calls.
 *
 * @example
 * const anvil = await startAnvil({ blockTime: 1 });
 * console.log(anvil.rpcUrl); // http://127.0.0.1:41234
 * await anvil.stop();
 */
export async function startAnvil(options: StartAnvilOptions = {}): Promise<Anvil> {
  const host = options.host ?? "127.0.0.1";
  const chainId = options.chainId ?? 31337;
  const accountCount = options.accounts ?? 10;
  const args = [
    "--host",
    host,
    "--port",
    String(options.port ?? 0),
    "--chain-id",
    String(chainId),
    "--accounts",
    String(accountCount),
    "--mnemonic",
    ANVIL_MNEMONIC,
  ];
  if (options.blockTime !== undefined) args.push("--block-time", String(options.blockTime));
  args.push(...(options.extraArgs ?? []));

  const child = spawn(findAnvilBinary(), args, { stdio: ["ignore", "pipe", "pipe"] });
  const port = await waitForListening(child, options.startTimeoutMs ?? 15_000);
  const rpcHost = host === "0.0.0.0" ? "127.0.0.1" : host;
  let stopped: Promise<void> | undefined;
  return {
    rpcUrl: `http://${rpcHost}:${port}`,
    port,
    chainId,
    accounts: devAccounts(accountCount),
    stop: () => {
      stopped ??= stopProcess(child);
      return stopped;
    },
  };
}

/** Reads anvil's stdout until it prints "Listening on host:port"; rejects on early exit or timeout. */
function waitForListening(child: ChildProcess, timeoutMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    let output = "";
    const fail = (error: ChainError) => {
      clearTimeout(timer);
      child.kill("SIGKILL");
      reject(error);
    };
    const timer = setTimeout(
      () =>
        fail(
          new ChainError(
            `anvil did not start listening within ${timeoutMs} ms`,
            `check that the port is free; anvil said: ${output.trim().slice(-300) || "(nothing)"}`,
          ),
        ),
      timeoutMs,
    );
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /Listening on [^\s]+:(\d+)/.exec(output);
      if (match?.[1]) {
        clearTimeout(timer);
        // Keep draining the pipes so anvil never blocks on a full stdout buffer.
        child.stdout?.removeListener("data", onData);
        child.stdout?.resume();
        child.stderr?.resume();
        resolve(Number(match[1]));
      }
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.once("error", (error) =>
      fail(
        new ChainError(`could not run anvil: ${error.message}`, "run `npm install` in the repository root"),
      ),
    );
    child.once("exit", (code) =>
      fail(
        new ChainError(
          `anvil exited with code ${code} before it was ready`,
          `anvil said: ${output.trim().slice(-300) || "(nothing)"}`,
        ),
      ),
    );
  });
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 3_000);
  await exited;
  clearTimeout(timer);
}
