import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { main } from "../src/main.js";
import type { Output } from "../src/output.js";
import type { Runtime } from "../src/runtime.js";

/** Collects what a command prints, for assertions. */
export function captureOutput(): Output & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { stdout, stderr, out: (l) => stdout.push(l), err: (l) => stderr.push(l) };
}

/** A runtime for in-process runs: its own working directory and environment, no terminal. */
export function testRuntime(
  options: {
    cwd?: string;
    env?: Record<string, string | undefined>;
    stdin?: string;
    /** Answers to terminal prompts, in order; setting it makes the runtime interactive. */
    prompts?: string[];
    /** Resolves when the test wants a foreground command (relayminer start) to stop. */
    stop?: Promise<string>;
  } = {},
): Runtime & { prompted: string[] } {
  const prompted: string[] = [];
  const answers = [...(options.prompts ?? [])];
  return {
    env: options.env ?? {},
    cwd: options.cwd ?? mkdtempSync(join(tmpdir(), "decai-cli-")),
    interactive: options.prompts !== undefined,
    readStdin: async () => options.stdin ?? "",
    promptSecret: async (question) => {
      prompted.push(question);
      const answer = answers.shift();
      if (answer === undefined) throw new Error(`unexpected prompt: ${question}`);
      return answer;
    },
    untilStopped: () => options.stop ?? new Promise(() => {}),
    prompted,
  };
}

/** The result of one in-process `decai` run. */
// biome-ignore lint/suspicious/noExplicitAny: tests read the CLI's JSON output loosely
export type CliResult = { code: number; stdout: string[]; stderr: string[]; json: () => any; text: string };

/**
 * Runs `decai <args>` in-process with `runtime`.
 *
 * @example
 * const r = await decai(runtime, ["keys", "list", "--json"]);
 */
export async function decai(runtime: Runtime, args: string[]): Promise<CliResult> {
  const output = captureOutput();
  const code = await main(args, output, runtime);
  return {
    code,
    stdout: output.stdout,
    stderr: output.stderr,
    text: [...output.stdout, ...output.stderr].join("\n"),
    json: () => JSON.parse(output.stdout.join("")),
  };
}

export const DECAI_BIN = join(import.meta.dirname, "..", "bin", "decai.mjs");

/** Runs the real `decai` executable as a child process. */
export function spawnDecai(
  args: string[],
  env: NodeJS.ProcessEnv = {},
  options: { cwd?: string; stdin?: "ignore" | "pipe" } = {},
): ChildProcess {
  return spawn(process.execPath, [DECAI_BIN, ...args], {
    env: { ...process.env, ...env },
    stdio: [options.stdin ?? "ignore", "pipe", "pipe"],
    ...(options.cwd ? { cwd: options.cwd } : {}),
  });
}

/** Resolves with the exit code and everything printed once the child exits. */
export function waitForExit(
  child: ChildProcess,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (d) => {
    stdout += d;
  });
  child.stderr?.on("data", (d) => {
    stderr += d;
  });
  return new Promise((resolve) => child.once("exit", (code) => resolve({ code, stdout, stderr })));
}
