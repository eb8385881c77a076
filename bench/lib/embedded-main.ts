// The embedded llama.cpp backend (node-llama-cpp, packages/llm) in its own process, so that its CPU and memory
// are apart from the bench's:
//   node --import tsx bench/lib/embedded-main.ts --port 8080 --model-id bench-mock [--model x.gguf] [--gpu auto]
// Prints one JSON line on stdout once it serves: `{"ready":true,...}` (model, GPU, layers offloaded), or
// `{"error":"..."}` and exits 2 when the model does not load.
import { parseArgs } from "node:util";
import { createBackendServer, createEmbeddedBackend } from "@decai/llm";
import { getLlama, LlamaLogLevel } from "node-llama-cpp";

const { values } = parseArgs({
  options: {
    port: { type: "string", default: "0" },
    model: { type: "string" },
    "model-id": { type: "string" },
    gpu: { type: "string", default: "auto" },
    parallel: { type: "string", default: "1" },
  },
});
const gpu = values.gpu === "false" ? false : (values.gpu as "auto" | "cuda" | "vulkan" | "metal");
try {
  const llama = await getLlama({ gpu, build: "never", logLevel: LlamaLogLevel.warn });
  const backend = await createEmbeddedBackend({
    ...(values.model ? { model: values.model } : {}),
    ...(values["model-id"] ? { modelId: values["model-id"] } : {}),
    parallel: Number(values.parallel),
    llama,
  });
  const server = await createBackendServer(backend, { port: Number(values.port) });
  const ready = {
    ready: true,
    modelPath: backend.modelPath,
    modelId: backend.modelId,
    contextSize: backend.contextSize,
    modelBytes: backend.llamaModel.size,
    gpu: llama.gpu,
    gpuDevices: llama.gpu ? await llama.getGpuDeviceNames() : [],
    gpuLayers: backend.llamaModel.gpuLayers,
    cpuMathCores: llama.cpuMathCores,
  };
  process.stdout.write(`${JSON.stringify(ready)}\n`);
  const stop = async () => {
    await server.close();
    await backend.close();
    await llama.dispose();
    process.exit(0);
  };
  process.on("SIGTERM", () => void stop());
  process.on("SIGINT", () => void stop());
} catch (error) {
  process.stdout.write(`${JSON.stringify({ error: (error as Error).message })}\n`);
  process.exit(2);
}
