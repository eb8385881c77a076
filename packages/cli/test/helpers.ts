import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";
import type { Output } from "../src/output.js";

/** Collects what a command prints, for assertions. */
export function captureOutput(): Output & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { stdout, stderr, out: (l) => stdout.push(l), err: (l) => stderr.push(l) };
}

export const DECAI_BIN = join(import.meta.dirname, "..", "bin", "decai.mjs");

/** Runs the real `decai` executable as a child process. */
export function spawnDecai(args: string[], env: NodeJS.ProcessEnv = {}): ChildProcess {
  return spawn(process.execPath, [DECAI_BIN, ...args], {
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
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
