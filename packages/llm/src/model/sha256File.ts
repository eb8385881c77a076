import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";

/**
 * Streams a file through sha256 (models are gigabytes: never read them into memory). The result is the weights
 * digest a Source registers for its service.
 *
 * @example
 * await sha256File("/models/llama-3.2-1b.Q4_K_M.gguf"); // "0x9f86d0..."
 */
export async function sha256File(path: string): Promise<`0x${string}`> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return `0x${hash.digest("hex")}`;
}
