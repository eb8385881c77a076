import { fromServiceId } from "@decai/core";
import type { Hex } from "viem";

/**
 * A service id as its name ("tiny-llama") when it is one, else the hex.
 *
 * @example
 * serviceName(toServiceId("tiny-llama")); // "tiny-llama"
 */
export function serviceName(id: Hex): string {
  try {
    const name = fromServiceId(id);
    return /^[a-z0-9._-]+$/.test(name) ? name : id;
  } catch {
    return id;
  }
}
