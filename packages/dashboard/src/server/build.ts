import { createHash } from "node:crypto";
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const packageDir = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

/** Where the UI's sources and its build live. */
export const dashboardPaths = {
  ui: join(packageDir, "ui"),
  dist: join(packageDir, "dist"),
} as const;

const STAMP = ".sources";
let inProcess: Promise<string> | undefined;

/**
 * Builds the UI with Vite into `dist/` when it is missing or older than its sources (a fresh clone, an edited
 * page), so `decai dashboard` and `decai devnet` work with no build step. Resolves with the `dist/` directory.
 * Concurrent callers in one process share one build; processes take turns through a lock directory, and each
 * build goes into its own folder that is then moved into place, so a server never reads half a build.
 *
 * @example
 * const dist = await ensureDashboardBuilt({ onStep: console.error });
 */
export function ensureDashboardBuilt(
  options: { force?: boolean; onStep?: (line: string) => void } = {},
): Promise<string> {
  if (!options.force && isFresh()) return Promise.resolve(dashboardPaths.dist);
  inProcess ??= build(options.force ?? false, options.onStep).finally(() => {
    inProcess = undefined;
  });
  return inProcess;
}

/** Whether `dist/` was built from the UI sources as they are now. */
export function isFresh(): boolean {
  const stamp = join(dashboardPaths.dist, STAMP);
  if (!existsSync(join(dashboardPaths.dist, "index.html")) || !existsSync(stamp)) return false;
  return readFileSync(stamp, "utf8") === sourcesDigest();
}

async function build(force: boolean, onStep?: (line: string) => void): Promise<string> {
  const release = await lock(`${dashboardPaths.dist}.lock`);
  try {
    if (!force && isFresh()) return dashboardPaths.dist; // another process built it while we waited
    return await buildLocked(onStep);
  } finally {
    release();
  }
}

async function buildLocked(onStep?: (line: string) => void): Promise<string> {
  onStep?.("building the dashboard UI (Vite, once per change)...");
  const digest = sourcesDigest();
  const { build: viteBuild } = await import("vite");
  const out = `${dashboardPaths.dist}.tmp-${process.pid}-${Date.now()}`;
  mkdirSync(out, { recursive: true });
  try {
    await viteBuild({
      root: dashboardPaths.ui,
      base: "/",
      configFile: false,
      logLevel: "warn",
      clearScreen: false,
      build: { outDir: out, emptyOutDir: true, reportCompressedSize: false, chunkSizeWarningLimit: 2000 },
    });
    writeFileSync(join(out, STAMP), digest);
    // Swap the new build in: a reader sees the old one or the new one, never half of either.
    const old = `${dashboardPaths.dist}.old-${process.pid}-${Date.now()}`;
    if (existsSync(dashboardPaths.dist)) renameSync(dashboardPaths.dist, old);
    renameSync(out, dashboardPaths.dist);
    rmSync(old, { recursive: true, force: true });
  } catch (error) {
    rmSync(out, { recursive: true, force: true });
    throw error;
  }
  return dashboardPaths.dist;
}

/**
 * Takes the lock directory `path`, waiting while another live process holds it. A holder that died (its pid is
 * gone) or held it for over 2 minutes leaves a stale lock, which is taken over.
 */
async function lock(path: string): Promise<() => void> {
  for (;;) {
    try {
      mkdirSync(path);
      writeFileSync(join(path, "pid"), String(process.pid));
      // A process that exits mid-build (Ctrl-C, a failed devnet start) must not leave the lock behind.
      const onExit = () => rmSync(path, { recursive: true, force: true });
      process.once("exit", onExit);
      return () => {
        process.off("exit", onExit);
        onExit();
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
    if (isStale(path)) rmSync(path, { recursive: true, force: true });
    else await new Promise((r) => setTimeout(r, 200));
  }
}

function isStale(path: string): boolean {
  const since = statSync(path, { throwIfNoEntry: false })?.mtimeMs;
  if (since === undefined) return false; // just released
  if (Date.now() - since > 120_000) return true;
  let pid = Number.NaN;
  try {
    pid = Number(readFileSync(join(path, "pid"), "utf8"));
  } catch {
    // not written yet, or just released
  }
  if (!Number.isInteger(pid)) return Date.now() - since > 5_000; // the holder has not written its pid yet
  try {
    process.kill(pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "ESRCH";
  }
}

/** A digest of every UI source file's path, size and modification time. */
function sourcesDigest(): string {
  const hash = createHash("sha256");
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) =>
      a.name.localeCompare(b.name),
    )) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else {
        const s = statSync(path);
        hash.update(`${relative(dashboardPaths.ui, path)}\0${s.size}\0${s.mtimeMs}\n`);
      }
    }
  };
  walk(dashboardPaths.ui);
  return hash.digest("hex");
}
