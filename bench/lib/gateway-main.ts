// The gateway under test in its own process, serving through the Decai network (see gateway.ts):
//   DECAI_BENCH_GATEWAY_KEY=0x... node --import tsx bench/lib/gateway-main.ts --port 8080 --rpc-url ... \
//     --deployment deployment.json --application 0x... --dir /tmp/run
import { join } from "node:path";
import { parseArgs } from "node:util";
import { loadDeployment } from "@decai/chain";
import { connectDecaiNetwork, createKey, Gateway, SqliteStore } from "@decai/gateway";
import { createPublicClient, type Hex, http } from "viem";

const { values } = parseArgs({
  options: {
    port: { type: "string" },
    "rpc-url": { type: "string" },
    deployment: { type: "string" },
    application: { type: "string" },
    dir: { type: "string" },
  },
});
const { upstream, pricing } = connectDecaiNetwork({
  client: createPublicClient({ transport: http(values["rpc-url"]) }),
  deployment: loadDeployment(values.deployment as string),
  gatewayKey: process.env.DECAI_BENCH_GATEWAY_KEY as Hex,
  application: values.application as Hex,
});
const store = SqliteStore.open(join(values.dir as string, `gateway-${process.pid}.sqlite`));
const { key } = await createKey(store, { name: "bench", limits: {} });
const gateway = await Gateway.start({ store, upstream, pricing, port: Number(values.port) });
process.stdout.write(`${JSON.stringify({ apiKey: key })}\n`);
const stop = async () => {
  await gateway.stop();
  await upstream.close?.();
  await store.close();
  process.exit(0);
};
process.on("SIGTERM", () => void stop());
process.on("SIGINT", () => void stop());
