import { type Child, freePort, spawnTs, waitForHttp } from "./processes.js";

/** What the embedded backend process reports once it serves. */
export type EmbeddedInfo = {
  modelPath: string;
  modelId: string;
  contextSize: number;
  /** Size of the weights in memory, bytes. */
  modelBytes: number;
  /** llama.cpp's GPU backend, or false on CPU. */
  gpu: string | false;
  gpuDevices: string[];
  /** Layers offloaded to the GPU. */
  gpuLayers: number;
  cpuMathCores: number;
};

/** The embedded llama.cpp backend in a child process. */
export type EmbeddedProcess = {
  /** Base URL without `/v1`, e.g. "http://127.0.0.1:41234". */
  origin: string;
  child: Child;
  info: EmbeddedInfo;
  stop(): Promise<void>;
};

/** Why the embedded backend could not start (the model does not load, no llama.cpp binary, ...). */
export class EmbeddedUnavailableError extends Error {}

/**
 * Starts `createEmbeddedBackend` (node-llama-cpp) behind `createBackendServer` in its own process
 * (`bench/lib/embedded-main.ts`), serving `model` (a GGUF path; default the generated tiny model) under `modelId`,
 * and waits until it serves. Rejects with {@link EmbeddedUnavailableError} saying why when the model does not load.
 *
 * @example
 * const llm = await startEmbeddedProcess({ model: "/models/llama-3.2-1b.Q4_K_M.gguf", modelId: "bench-mock" });
 * console.log(llm.info.gpu, llm.info.gpuLayers);
 */
export async function startEmbeddedProcess(options: {
  model?: string;
  modelId: string;
  gpu?: string;
  /** How long loading may take (a large model from a slow disk). Default 10 min. */
  timeoutMs?: number;
}): Promise<EmbeddedProcess> {
  const port = await freePort();
  const child = spawnTs("embedded backend", "bench/lib/embedded-main.ts", [
    "--port",
    String(port),
    "--model-id",
    options.modelId,
    "--gpu",
    options.gpu ?? "auto",
    ...(options.model ? ["--model", options.model] : []),
  ]);
  const origin = `http://127.0.0.1:${port}`;
  // Its one JSON line, read from stdout as it comes (llama.cpp's own logs may fill the kept tail of the output).
  let stdout = "";
  child.process.stdout?.on("data", (chunk: Buffer) => {
    if (stdout.length < 65_536) stdout += chunk.toString("utf8");
  });
  const reported = () =>
    stdout
      .split("\n")
      .slice(0, -1) // complete lines only
      .filter((l) => l.startsWith('{"ready"') || l.startsWith('{"error"'))
      .map((l) => JSON.parse(l) as { ready?: true; error?: string } & EmbeddedInfo)[0];
  try {
    await waitForHttp(`${origin}/health`, child, options.timeoutMs ?? 600_000);
  } catch (error) {
    await child.stop();
    const why = reported()?.error ?? (error as Error).message;
    throw new EmbeddedUnavailableError(why);
  }
  // /health answers once the server listens, which is after the ready line is written: wait for it anyway.
  for (let i = 0; i < 50 && !reported(); i++) await new Promise((r) => setTimeout(r, 100));
  const line = reported();
  if (!line?.ready) {
    await child.stop();
    throw new EmbeddedUnavailableError(
      line?.error ?? `the embedded backend said nothing:\n${child.output()}`,
    );
  }
  const { ready: _, ...info } = line;
  return { origin, child, info, stop: () => child.stop() };
}
