import { homedir } from "node:os";
import { basename, join, resolve } from "node:path";
import { ensureTinyModel } from "../model/ensureTinyModel.js";

/** A resolved model file: where it is, what `/v1/models` calls it, and its digest when already known. */
export type ResolvedModel = { path: string; id: string; sha256: `0x${string}` | undefined; tiny: boolean };

/** Id under which the generated tiny model is served. */
export const tinyModelId = "decai-tiny";

/**
 * Where downloaded and generated models live: `$DECAI_MODELS_DIR`, else `~/.cache/decai/models`.
 *
 * @example
 * defaultModelsDir(); // "/home/me/.cache/decai/models"
 */
export function defaultModelsDir(): string {
  return process.env.DECAI_MODELS_DIR ?? join(homedir(), ".cache", "decai", "models");
}

/**
 * Resolves a model reference to a local GGUF file:
 * - `undefined` or `"tiny"`: the generated tiny model (written once into `dir`);
 * - `"hf:<user>/<repo>/<file>.gguf"` (or `hf:<user>/<repo>:<quant>`): downloaded into `dir` by node-llama-cpp
 *   on first use, which needs network access to huggingface.co;
 * - anything else: a path to a GGUF file.
 *
 * @example
 * await resolveModel("hf:bartowski/Llama-3.2-1B-Instruct-GGUF:Q4_K_M", defaultModelsDir());
 */
export async function resolveModel(model: string | undefined, dir: string): Promise<ResolvedModel> {
  if (model === undefined || model === "tiny") {
    const file = await ensureTinyModel(dir);
    return { path: file.path, id: tinyModelId, sha256: file.sha256, tiny: true };
  }
  if (model.startsWith("hf:") || /^https?:\/\//.test(model)) {
    const { resolveModelFile } = await import("node-llama-cpp");
    const path = await resolveModelFile(model, { directory: dir, cli: false });
    return { path, id: modelIdFromPath(path), sha256: undefined, tiny: false };
  }
  const path = resolve(model);
  return { path, id: modelIdFromPath(path), sha256: undefined, tiny: false };
}

const modelIdFromPath = (path: string) => basename(path).replace(/\.gguf$/i, "");
