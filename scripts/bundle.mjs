#!/usr/bin/env node
// `npm run bundle`: the RelayMiner and the gateway as one plain-JS file each (dist/relayminer.mjs,
// dist/gateway.mjs), for production. Running the TypeScript sources through tsx works everywhere with no build
// step, but its loader thread and on-the-fly transforms about double a process's memory (bench/results).
// Native and heavy dependencies stay in node_modules: the bundles run from this checkout after `npm install`.
import { mkdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { build } from "esbuild";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");

/** What every bundle leaves to node_modules: native addons and packages that load files of their own. */
export const bundleExternals = [
  "better-sqlite3",
  "pg",
  "pg-native",
  "secp256k1",
  "keccak",
  "node-gyp-build",
  "node-llama-cpp",
];

/** The production entry points and their bundles. */
export const bundleEntries = {
  relayminer: "packages/relayminer/src/main.ts",
  gateway: "packages/gateway/src/main.ts",
};

/**
 * Bundles one TypeScript entry point into an ES module at `outfile`.
 *
 * @example
 * await bundleEntry("packages/gateway/src/main.ts", "dist/gateway.mjs");
 */
export async function bundleEntry(entry, outfile) {
  mkdirSync(dirname(outfile), { recursive: true });
  await build({
    entryPoints: [resolve(root, entry)],
    outfile,
    bundle: true,
    platform: "node",
    target: "node20",
    format: "esm",
    external: bundleExternals,
    // CommonJS dependencies inside an ES module bundle still call require().
    banner: {
      js: "import { createRequire as __decaiRequire } from 'node:module'; const require = __decaiRequire(import.meta.url);",
    },
    logLevel: "warning",
    legalComments: "none",
  });
  return outfile;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const outDir = resolve(root, process.argv[2] ?? "dist");
  for (const [name, entry] of Object.entries(bundleEntries)) {
    const outfile = await bundleEntry(entry, join(outDir, `${name}.mjs`));
    process.stdout.write(`bundled ${entry} -> ${outfile}\n`);
  }
}
