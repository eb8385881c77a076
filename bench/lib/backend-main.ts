// A mock LLM backend in its own process, so that its CPU and the proxies' are measured apart:
//   node --import tsx bench/lib/backend-main.ts --port 8080 --options '{"completionTokens":8}'
import { parseArgs } from "node:util";
import { createBackendServer, createMockBackend, type MockBackendOptions } from "@decai/llm";

const { values } = parseArgs({
  options: { port: { type: "string" }, options: { type: "string", default: "{}" } },
});
const backend = createMockBackend(JSON.parse(values.options as string) as MockBackendOptions);
const server = await createBackendServer(backend, { port: Number(values.port ?? 0) });
const stop = async () => {
  await server.close();
  await backend.close();
  process.exit(0);
};
process.on("SIGTERM", () => void stop());
process.on("SIGINT", () => void stop());
