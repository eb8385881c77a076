import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { ChainError } from "../errors.js";

const require = createRequire(import.meta.url);

/**
 * Locates the anvil executable: `$DECAI_ANVIL_BIN` if set, else the platform binary that the npm package
 * `@foundry-rs/anvil` installs. We run the native binary directly (not the package's node shim) so that
 * stopping anvil is a single signal to a single process.
 *
 * @example
 * const bin = findAnvilBinary(); // ".../node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil"
 */
export function findAnvilBinary(env: NodeJS.ProcessEnv = process.env): string {
  const override = env.DECAI_ANVIL_BIN;
  if (override) {
    if (!existsSync(override)) {
      throw new ChainError(
        `DECAI_ANVIL_BIN points to ${override}, which does not exist`,
        "unset DECAI_ANVIL_BIN to use the anvil from npm, or point it at an anvil binary",
      );
    }
    return override;
  }
  const arch = process.arch === "x64" ? "amd64" : process.arch;
  const platform = process.platform === "win32" ? "win32" : process.platform;
  const pkg = `@foundry-rs/anvil-${platform}-${arch}`;
  try {
    const bin = join(
      dirname(require.resolve(`${pkg}/package.json`)),
      "bin",
      platform === "win32" ? "anvil.exe" : "anvil",
    );
    if (existsSync(bin)) return bin;
  } catch {
    // fall through to the error below
  }
  throw new ChainError(
    `anvil is not installed (npm package ${pkg} not found)`,
    "run `npm install` in the repository root, or set DECAI_ANVIL_BIN to an anvil binary",
  );
}
