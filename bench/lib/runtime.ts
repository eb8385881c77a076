// How the bench runs Decai's own processes (RelayMiner, gateway, and the bare Node.js proxies beside them): as
// production runs them, bundled by `npm run bundle` into plain JS (the default), or from the TypeScript sources
// through tsx (`DECAI_BENCH_RUNTIME=tsx`), which costs memory and start-up time but no build.
import { join } from "node:path";
// @ts-expect-error: a plain ES module script without types
import { bundleEntry } from "../../scripts/bundle.mjs";
import { type Child, repoRoot, spawnCommand, spawnTs } from "./processes.js";

/** "bundle" (default) or "tsx". */
export const benchRuntime: "bundle" | "tsx" = process.env.DECAI_BENCH_RUNTIME === "tsx" ? "tsx" : "bundle";

const bundles = new Map<string, Promise<string>>();

/**
 * Starts a TypeScript entry point the way `benchRuntime` says: bundled once per run under dist/bench/ (inside
 * the checkout, so the bundle finds node_modules), or through tsx.
 *
 * @example
 * const miner = await spawnEntry("relayminer", "packages/relayminer/src/main.ts", ["--config", file]);
 */
export async function spawnEntry(
  name: string,
  entry: string,
  args: string[] = [],
  options: { nodeArgs?: string[]; env?: Record<string, string> } = {},
): Promise<Child> {
  if (benchRuntime === "tsx") return spawnTs(name, entry, args, options);
  let file = bundles.get(entry);
  if (!file) {
    const out = join(repoRoot, "dist", "bench", `${entry.replaceAll("/", "_").replace(/\.ts$/, "")}.mjs`);
    file = bundleEntry(entry, out) as Promise<string>;
    bundles.set(entry, file);
  }
  const bundled = await file;
  return spawnCommand(name, process.execPath, [...(options.nodeArgs ?? []), bundled, ...args], {
    env: options.env ?? {},
  });
}

/** How the reports name the runtime. */
export const benchRuntimeLabel =
  benchRuntime === "bundle"
    ? "Decai processes bundled as in production (`npm run bundle`, plain node)"
    : "Decai processes run from TypeScript through tsx";
