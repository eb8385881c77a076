import { type ChildProcess, spawn } from "node:child_process";
import { appendFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import type { Address, Hex } from "viem";
import { privateKeyToAddress } from "viem/accounts";

const root = join(import.meta.dirname, "..", "..");
const MAIN = join(root, "packages", "relayminer", "src", "main.ts");
// tsx as a loader of this very process (not its CLI, which runs the program in a child that a SIGKILL would orphan).
const TSX = pathToFileURL(join(root, "node_modules", "tsx", "dist", "loader.mjs")).href;

/** One JSON log line of a RelayMiner, parsed. */
export type LogLine = { time: string; level: string; msg: string } & Record<string, unknown>;

/** Where a supplier's RelayMiner lives and how it is configured. */
export type SupplierProcessOptions = {
  /** For messages, e.g. "supplier-2". */
  name: string;
  key: Hex;
  /** The port its endpoint declares on-chain; every life listens there. */
  port: number;
  /** Its home: config, data directory (trees, replay logs, claim records) and `relayminer.log`. */
  dir: string;
  /** The RelayMiner's config file (JSON, see `loadConfig`), written as is. */
  config: Record<string, unknown>;
};

/**
 * A supplier's RelayMiner run as its own process (`packages/relayminer/src/main.ts`), so a test can SIGKILL it
 * and start it again on the same port and data directory. Every log line of every life is kept in `logs` (and
 * appended to `<dir>/relayminer.log`).
 *
 * @example
 * const supplier = new SupplierProcess({ name: "supplier-1", key, port, dir, config });
 * await supplier.start();
 * await supplier.kill("SIGKILL");
 * await supplier.start(); // resumes from its data directory
 */
export class SupplierProcess {
  readonly address: Address;
  readonly url: string;
  readonly logs: LogLine[] = [];
  /** How many times it was started. */
  lives = 0;
  #child: ChildProcess | undefined;
  readonly #configPath: string;
  readonly #logPath: string;
  #stderr = "";

  constructor(readonly options: SupplierProcessOptions) {
    this.address = privateKeyToAddress(options.key);
    this.url = `http://127.0.0.1:${options.port}`;
    this.#configPath = join(options.dir, "relayminer.json");
    this.#logPath = join(options.dir, "relayminer.log");
    writeFileSync(this.#configPath, JSON.stringify({ ...options.config, port: options.port }, null, 2));
  }

  /** Whether a life is running. */
  get running(): boolean {
    return this.#child !== undefined;
  }

  /** Starts a life and resolves once it listens (its chain cache loaded); rejects if it exits first. */
  start(timeoutMs = 60_000): Promise<void> {
    if (this.#child) return Promise.reject(new Error(`${this.options.name} is already running`));
    this.lives++;
    const child = spawn(process.execPath, ["--import", TSX, MAIN, "--config", this.#configPath], {
      env: { ...process.env, DECAI_SUPPLIER_KEY: this.options.key },
      stdio: ["ignore", "pipe", "pipe"],
    });
    this.#child = child;
    let pending = "";
    child.stdout?.setEncoding("utf8");
    child.stdout?.on("data", (chunk: string) => {
      appendFileSync(this.#logPath, chunk);
      pending += chunk;
      const lines = pending.split("\n");
      pending = lines.pop() ?? "";
      for (const line of lines) {
        try {
          this.logs.push({ ...(JSON.parse(line) as LogLine), life: this.lives });
        } catch {
          // not a log line (e.g. a stray print): kept in the file only
        }
      }
    });
    child.stderr?.setEncoding("utf8");
    child.stderr?.on("data", (chunk: string) => {
      appendFileSync(this.#logPath, chunk);
      this.#stderr = (this.#stderr + chunk).slice(-2000);
    });
    const life = this.lives;
    child.once("exit", () => {
      if (this.#child === child) this.#child = undefined;
    });
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill("SIGKILL");
        reject(new Error(`${this.options.name} did not listen within ${timeoutMs} ms: ${this.#stderr}`));
      }, timeoutMs);
      const onExit = (code: number | null, signal: string | null) => {
        clearTimeout(timer);
        reject(
          new Error(`${this.options.name} exited (${code ?? signal}) before listening: ${this.#stderr}`),
        );
      };
      child.once("exit", onExit);
      this.waitForLog((l) => l.msg === "relayminer listening" && l.life === life, timeoutMs).then(
        () => {
          clearTimeout(timer);
          child.off("exit", onExit);
          resolve();
        },
        () => {},
      );
    });
  }

  /** Sends `signal` to the running life and resolves once it has exited. */
  async kill(signal: NodeJS.Signals = "SIGKILL"): Promise<void> {
    const child = this.#child;
    if (!child) return;
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    child.kill(signal);
    await exited;
  }

  /** Resolves with the first log line (of any life) that matches, waiting up to `timeoutMs` for it. */
  async waitForLog(match: (line: LogLine) => boolean, timeoutMs = 30_000): Promise<LogLine> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.logs.find(match);
      if (found) return found;
      if (Date.now() > deadline)
        throw new Error(`${this.options.name}: no matching log line in ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}
