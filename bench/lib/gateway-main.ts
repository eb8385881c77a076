// The gateway under test in its own process, serving through the Decai network (see gateway.ts):
//   DECAI_BENCH_GATEWAY_KEY=0x... node --import tsx bench/lib/gateway-main.ts --port 8080 --rpc-url ... \
//     --deployment deployment.json --application 0x... --dir /tmp/run
import { join } from "node:path";
import { parseArgs } from "node:util";
import { loadDeployment } from "@decai/chain";
import * as gatewayPackage from "@decai/gateway";
import { createKey, Gateway, SqliteStore, type Upstream } from "@decai/gateway";
import { DecaiClient } from "@decai/sdk";
import { createPublicClient, type Hex, http } from "viem";
import { networkUpstreamExport } from "./gateway.js";

const { values } = parseArgs({
  options: {
    port: { type: "string" },
    "rpc-url": { type: "string" },
    deployment: { type: "string" },
    application: { type: "string" },
    dir: { type: "string" },
  },
});
const signerKey = process.env.DECAI_BENCH_GATEWAY_KEY as Hex;
const deployment = loadDeployment(values.deployment as string);
const publicClient = createPublicClient({ transport: http(values["rpc-url"]) });
const client = DecaiClient.fromDeployment({
  client: publicClient as never,
  deployment: { chainId: deployment.chainId, contracts: deployment.contracts },
  signerKey,
  application: values.application as Hex,
});
// The expected shape of the network upstream's factory; adjust this call if it lands with another one.
const factory = (gatewayPackage as Record<string, unknown>)[networkUpstreamExport] as (options: {
  client: DecaiClient;
  publicClient: typeof publicClient;
  deployment: typeof deployment;
  signerKey: Hex;
  application: Hex;
}) => Upstream;
const upstream = factory({
  client,
  publicClient,
  deployment,
  signerKey,
  application: values.application as Hex,
});
const store = SqliteStore.open(join(values.dir as string, `gateway-${process.pid}.sqlite`));
const { key } = await createKey(store, { name: "bench", limits: {} });
const gateway = await Gateway.start({ store, upstream, port: Number(values.port) });
process.stdout.write(`${JSON.stringify({ apiKey: key })}\n`);
const stop = async () => {
  await gateway.stop();
  await upstream.close?.();
  await store.close();
  process.exit(0);
};
process.on("SIGTERM", () => void stop());
process.on("SIGINT", () => void stop());
