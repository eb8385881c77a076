import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { getLlama, type Llama, LlamaLogLevel } from "node-llama-cpp";
import { createEmbeddedBackend, type EmbeddedBackend, type EmbeddedBackendOptions } from "../src/index.js";

/** One llama.cpp binding and tiny model directory per test file; backends made from them are closed at the end. */
export type Fixture = {
  llama: Llama;
  dir: string;
  backend(options?: EmbeddedBackendOptions): Promise<EmbeddedBackend>;
  close(): Promise<void>;
};

export async function createFixture(): Promise<Fixture> {
  const dir = await mkdtemp(join(tmpdir(), "decai-llm-test-"));
  const llama = await getLlama({ gpu: false, build: "never", logLevel: LlamaLogLevel.error });
  const backends: EmbeddedBackend[] = [];
  return {
    llama,
    dir,
    async backend(options = {}) {
      const backend = await createEmbeddedBackend({ modelsDir: dir, llama, ...options });
      backends.push(backend);
      return backend;
    },
    async close() {
      for (const b of backends) await b.close();
      await llama.dispose();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** A chat request to the tiny model. */
export const ask = (content: string, extra: Record<string, unknown> = {}) => ({
  model: "decai-tiny",
  messages: [{ role: "user" as const, content }],
  ...extra,
});

/** A streamed chat request to the tiny model. */
export const askStream = (content: string, extra: Record<string, unknown> = {}) => ({
  ...ask(content, extra),
  stream: true as const,
});

/** Resolves once `check` holds, polling the event loop (for state that settles asynchronously, not for timing). */
export async function until(check: () => boolean, what: string, tries = 500): Promise<void> {
  for (let i = 0; i < tries; i++) {
    if (check()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`gave up waiting for ${what}`);
}
