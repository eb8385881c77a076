// A throwaway PostgreSQL cluster for tests: initdb + pg_ctl from Debian's `postgresql` package, in a temp dir,
// on a free port, as the `postgres` user when running as root (initdb refuses root).
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

export type TestPostgres = { url: string; stop(): void };

/** Why PostgreSQL tests cannot run here, or `undefined` when they can. */
export function postgresMissing(): string | undefined {
  return findBinDir() ? undefined : "PostgreSQL binaries not found under /usr/lib/postgresql/*/bin";
}

/**
 * Whether to skip the PostgreSQL tests: only when the binaries are missing AND `DECAI_SKIP_PG=1` AND not in CI.
 * Without PostgreSQL and without that opt-out the tests fail with instructions, so CI can never skip silently.
 */
export function skipPostgres(): boolean {
  const missing = postgresMissing();
  if (!missing) return false;
  if (process.env.DECAI_SKIP_PG === "1" && !process.env.CI) {
    console.warn(
      `\n!!! SKIPPING the PostgreSQL store tests: ${missing} and DECAI_SKIP_PG=1.\n!!! Install it (apt-get install -y postgresql) to run them; CI always runs them.\n`,
    );
    return true;
  }
  return false;
}

function findBinDir(): string | undefined {
  const root = "/usr/lib/postgresql";
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root)
    .filter((v) => existsSync(join(root, v, "bin", "initdb")))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] ? join(root, versions[0], "bin") : undefined;
}

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

/**
 * Starts a fresh cluster (trust auth on 127.0.0.1, fsync off) and returns its URL; `stop()` kills it and deletes
 * its files. Throws with the install command when PostgreSQL is missing.
 *
 * @example
 * const pg = await startPostgres();
 * const store = await PostgresStore.connect({ connectionString: pg.url });
 */
export async function startPostgres(): Promise<TestPostgres> {
  const bin = findBinDir();
  if (!bin) {
    throw new Error(
      "PostgreSQL is not installed: the gateway's PostgreSQL store tests need it. Run `apt-get install -y postgresql` " +
        "(CI must install it too), or set DECAI_SKIP_PG=1 to skip these tests locally.",
    );
  }
  const root = process.getuid?.() === 0;
  const dir = mkdtempSync(join(tmpdir(), "decai-gateway-pg-"));
  const data = join(dir, "data");
  const as = (cmd: string, args: string[]) =>
    root
      ? execFileSync("runuser", ["-u", "postgres", "--", join(bin, cmd), ...args], { stdio: "pipe" })
      : execFileSync(join(bin, cmd), args, { stdio: "pipe" });
  if (root) execFileSync("chown", ["postgres", dir]);
  const port = await freePort();
  try {
    as("initdb", ["-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"]);
    as("pg_ctl", [
      "-D",
      data,
      "-l",
      join(dir, "log"),
      "-w",
      "-t",
      "60",
      "-o",
      `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=100`,
      "start",
    ]);
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    const stderr = (error as { stderr?: Buffer }).stderr?.toString() ?? "";
    throw new Error(`could not start a test PostgreSQL in ${dir}: ${stderr || (error as Error).message}`);
  }
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    stop() {
      try {
        as("pg_ctl", ["-D", data, "-m", "immediate", "-w", "stop"]);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
