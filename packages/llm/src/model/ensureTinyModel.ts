import { createHash, randomBytes } from "node:crypto";
import { mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { buildTinyModel, type TinyModelOptions } from "./tinyModel.js";

/** A model file on disk and its sha256 (the service's weights digest), as 0x-prefixed hex. */
export type ModelFile = { path: string; sha256: `0x${string}` };

/**
 * Writes the tiny model for `options` into `dir` unless an intact copy is already there, and returns its path
 * and sha256. Files are content-addressed (`decai-tiny-<sha256 prefix>.gguf`) and written atomically (temporary
 * file, then rename), so concurrent callers and interrupted writes never leave a half-written model behind.
 *
 * @example
 * const { path, sha256 } = await ensureTinyModel(join(homedir(), ".cache", "decai", "models"));
 */
export async function ensureTinyModel(dir: string, options: TinyModelOptions = {}): Promise<ModelFile> {
  const bytes = buildTinyModel(options); // ~10 ms: cheaper than trusting a cache key
  const hex = createHash("sha256").update(bytes).digest("hex");
  const path = join(dir, `decai-tiny-${hex.slice(0, 16)}.gguf`);
  const sha256 = `0x${hex}` as const;
  const existing = await readFile(path).catch(() => undefined);
  if (existing && createHash("sha256").update(existing).digest("hex") === hex) return { path, sha256 };
  await mkdir(dir, { recursive: true });
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
  try {
    await writeFile(tmp, bytes);
    await rename(tmp, path);
  } finally {
    await rm(tmp, { force: true });
  }
  return { path, sha256 };
}
