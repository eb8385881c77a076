// Scenario 1, proxy overhead: the mock backend (8-token answers) reached (a) directly, (b) through two nginx
// reverse-proxy hops with keep-alive upstreams, (n) through two bare Node.js proxy hops (the runtime's floor), (c)
// through gateway → RelayMiner, and (c') straight through a RelayMiner with relays pre-signed as the gateway would
// (real signatures, mining, fsynced persistence). Same load generator (autocannon, one header rebuilt per
// request), same concurrency levels, same duration.
//
//   npx tsx bench/proxy-overhead.ts [--duration 5] [--warmup 1] [--levels 1,16,64] [--no-sdk] [--no-tmpfs]
//
// Also measured, labelled apart: (c'tmpfs) the same RelayMiner with its data on tmpfs, where fsync costs nothing
// (what is left is CPU), and (c'sdk) the SDK's DecaiClient as the client at concurrency 1.
//
// Writes bench/results/proxy-overhead.json and .md.
import { existsSync } from "node:fs";
import { parseArgs } from "node:util";
import { DecaiClient } from "@decai/sdk";
import { benchModel, startBackendProcess } from "./lib/backend.js";
import { onCleanup, runCleanup } from "./lib/cleanup.js";
import { runClosedLoop } from "./lib/closedLoop.js";
import { type GatewayUnderTest, gatewayAvailability, startGatewayUnderTest } from "./lib/gateway.js";
import type { LoadResult } from "./lib/load.js";
import { describeMachine, machineInfo } from "./lib/machine.js";
import { type RelayMinerProcess, startBenchNetwork, startRelayMinerProcess } from "./lib/network.js";
import { findNginx, type NginxProxy, nginxInstallHint, startTwoHopNginx } from "./lib/nginx.js";
import { startTwoHopNodeProxy } from "./lib/nodeProxy.js";
import { freePort, ProcessMonitor, type ProcessStats } from "./lib/processes.js";
import { type Table, writeReport } from "./lib/report.js";
import { fmt } from "./lib/stats.js";
import { type LoadTarget, measureTarget, smallChatBody } from "./lib/targets.js";

const { values } = parseArgs({
  options: {
    duration: { type: "string", default: "5" },
    warmup: { type: "string", default: "1" },
    levels: { type: "string", default: "1,16,64" },
    "no-sdk": { type: "boolean", default: false },
    "no-tmpfs": { type: "boolean", default: false },
  },
});
const durationSeconds = Number(values.duration);
const warmupSeconds = Number(values.warmup);
const levels = (values.levels as string).split(",").map(Number);
const path = "/v1/chat/completions";

const machine = machineInfo();
console.error(`proxy overhead on ${describeMachine(machine)}`);
const notes: string[] = [];
const net = await startBenchNetwork();
onCleanup(() => net.stop());
try {
  const backend = await startBackendProcess({ completionTokens: 8 });
  onCleanup(() => backend.stop());
  const targets: LoadTarget[] = [
    { id: "a", label: "(a) direct", url: `${backend.origin}${path}`, signed: false },
  ];
  const watched: Record<string, { name: string; pid: number }[]> = {
    a: [{ name: "backend", pid: backend.child.pid }],
  };

  const nginxBinary = findNginx();
  let nginx: NginxProxy | undefined;
  if (nginxBinary) {
    nginx = await startTwoHopNginx(nginxBinary, backend.port);
    onCleanup(() => (nginx as NginxProxy).stop());
    targets.push({ id: "b", label: "(b) two nginx hops", url: `${nginx.origin}${path}`, signed: false });
    watched.b = [{ name: "backend", pid: backend.child.pid }];
  } else {
    const line = `(b) skipped: nginx is not installed. Install it with \`${nginxInstallHint}\`.`;
    console.error(line);
    notes.push(line);
  }

  // The runtime floor: the same two hops in Node.js, doing nothing but proxying.
  const nodeProxy = await startTwoHopNodeProxy(backend.origin);
  onCleanup(() => nodeProxy.stop());
  targets.push({
    id: "n",
    label: "(n) two bare Node.js proxy hops",
    url: `${nodeProxy.origin}${path}`,
    signed: false,
  });
  watched.n = [
    ...nodeProxy.children.map((c, i) => ({ name: i === 0 ? "node proxy 1" : "node proxy 2", pid: c.pid })),
    { name: "backend", pid: backend.child.pid },
  ];

  const miner: RelayMinerProcess = await startRelayMinerProcess(net, backend.origin);
  onCleanup(() => miner.stop());
  const gatewayState = await gatewayAvailability();
  let gateway: GatewayUnderTest | undefined;
  if (gatewayState.available) {
    gateway = await startGatewayUnderTest(net);
    onCleanup(() => (gateway as GatewayUnderTest).stop());
    targets.push({
      id: "c",
      label: gateway.label,
      url: `${gateway.origin}${path}`,
      headers: gateway.headers,
      signed: false,
    });
    watched.c = [
      { name: "gateway", pid: gateway.child.pid },
      { name: "relayminer", pid: miner.child.pid },
      { name: "backend", pid: backend.child.pid },
    ];
  } else {
    notes.push(
      `(c) not measured: ${gatewayState.reason}. (c') stands in for it: the load generator sends relays signed ` +
        "as the gateway would (pre-signed, one per request, for the application that delegated to it) straight " +
        "to the RelayMiner, which checks signature, delegation and session, meters, proxies, signs the response, " +
        "and mines the relay into its session tree, fsynced to disk before answering.",
    );
  }
  targets.push({
    id: "c'",
    label: "(c') RelayMiner → mock backend",
    url: `${miner.url}${path}`,
    signed: true,
  });
  watched["c'"] = [
    { name: "relayminer", pid: miner.child.pid },
    { name: "backend", pid: backend.child.pid },
  ];
  if (!values["no-tmpfs"] && existsSync("/dev/shm")) {
    const shm = await startRelayMinerProcess(net, backend.origin, {
      dataRoot: "/dev/shm",
      port: await freePort(),
      name: "relayminer (tmpfs)",
    });
    onCleanup(() => shm.stop());
    targets.push({
      id: "c'tmpfs",
      label: "(c'tmpfs) same, data on tmpfs (fsync free)",
      url: `${shm.url}${path}`,
      signed: true,
    });
    watched["c'tmpfs"] = [
      { name: "relayminer", pid: shm.child.pid },
      { name: "backend", pid: backend.child.pid },
    ];
  }

  type Row = { target: string; label: string; result: LoadResult; processes: ProcessStats[] };
  const rows: Row[] = [];
  // Levels outermost: every path is measured at about the same time, so drift on the machine hits all alike.
  for (const connections of levels) {
    let expectedRps = 0;
    for (const target of targets) {
      console.error(`  ${target.label} at ${connections} connection(s)...`);
      const monitor = new ProcessMonitor([
        ...(watched[target.id] ?? []),
        { name: "load generator", pid: process.pid },
      ]);
      monitor.start();
      const result = await measureTarget(net, target, {
        connections,
        durationSeconds,
        warmupSeconds,
        expectedRps: Math.max(expectedRps, 1000),
      });
      const processes = monitor.stop();
      if (target.id === "a") expectedRps = result.rps;
      if (result.non2xx + result.errors > 0) {
        console.error(
          `    ${result.non2xx} non-2xx, ${result.errors} errors: ${JSON.stringify(result.statusCodes)}`,
        );
      }
      rows.push({ target: target.id, label: target.label, result, processes });
    }
  }

  let sdk: LoadResult | undefined;
  if (!values["no-sdk"]) {
    // The SDK as an application uses it: signs each relay, picks the session's supplier, checks the receipt.
    console.error("  SDK DecaiClient at 1 connection...");
    const client = DecaiClient.fromDeployment({
      client: net.publicClient as never,
      deployment: { chainId: net.anvil.chainId, contracts: net.contracts },
      signerKey: net.keys.gateway,
      application: net.application,
    });
    const send = async () => {
      const answer = await client.relay({ body: smallChatBody });
      return !answer.stream && answer.status === 200;
    };
    await runClosedLoop({ connections: 1, durationSeconds: warmupSeconds, send });
    sdk = await runClosedLoop({ connections: 1, durationSeconds, send });
  }

  // ---------------------------------------------------------------- report
  const find = (id: string, c: number) => rows.find((r) => r.target === id && r.result.connections === c);
  const network = gateway ? "c" : "c'";
  const detail: Table = {
    title: "Every run (latency in ms; CPU in cores busy, averaged over the run)",
    columns: ["path", "conns", "req/s", "p50", "p99", "added p50", "added p99", "failed", "CPU"],
    rows: rows.map(({ target, label, result, processes }) => {
      const base = find("a", result.connections)?.result.latencyMs;
      const added = (p: "p50" | "p99") =>
        target === "a" || !base ? "–" : fmt(result.latencyMs[p] - base[p]);
      return [
        label,
        result.connections,
        result.rps,
        fmt(result.latencyMs.p50),
        fmt(result.latencyMs.p99),
        added("p50"),
        added("p99"),
        result.non2xx + result.errors + result.timeouts,
        processes.map((p) => `${p.name} ${p.cpuCores}`).join(", "),
      ];
    }),
  };
  const ratio = (x: number | undefined, y: number | undefined) =>
    x === undefined || y === undefined || y <= 0 ? "–" : `${fmt(x / y)}×`;
  const addedOf = (id: string, c: number, p: "p50" | "p99") => {
    const row = find(id, c);
    const base = find("a", c);
    return row && base ? row.result.latencyMs[p] - base.result.latencyMs[p] : undefined;
  };
  const summary: Table = {
    title: `Added latency (ms, over (a)) and throughput: (${network}) against (b)`,
    columns: [
      "conns",
      "(b) added p50",
      `(${network}) added p50`,
      `p50 (${network})/(b)`,
      "(b) added p99",
      `(${network}) added p99`,
      `p99 (${network})/(b)`,
      "(b) req/s",
      `(${network}) req/s`,
      `req/s (${network})/(b)`,
    ],
    rows: levels.map((c) => [
      c,
      fmt(addedOf("b", c, "p50")),
      fmt(addedOf(network, c, "p50")),
      ratio(addedOf(network, c, "p50"), addedOf("b", c, "p50")),
      fmt(addedOf("b", c, "p99")),
      fmt(addedOf(network, c, "p99")),
      ratio(addedOf(network, c, "p99"), addedOf("b", c, "p99")),
      find("b", c)?.result.rps ?? "–",
      find(network, c)?.result.rps ?? "–",
      ratio(find(network, c)?.result.rps, find("b", c)?.result.rps),
    ]),
  };
  if (rows.some((r) => r.target === "n")) {
    // Against the same two hops in bare Node.js: what Decai's own work adds over the runtime's floor.
    summary.columns.push("(n) added p50", `p50 (${network})/(n)`, "(n) req/s", `req/s (${network})/(n)`);
    summary.rows.forEach((row, i) => {
      const c = levels[i] as number;
      row.push(
        fmt(addedOf("n", c, "p50")),
        ratio(addedOf(network, c, "p50"), addedOf("n", c, "p50")),
        find("n", c)?.result.rps ?? "–",
        ratio(find(network, c)?.result.rps, find("n", c)?.result.rps),
      );
    });
  }
  if (rows.some((r) => r.target === "c'tmpfs")) {
    // Same path without the cost of fsync: what is left is the relay path's CPU work.
    summary.columns.push("(c'tmpfs) added p50", "(c'tmpfs) req/s");
    summary.rows.forEach((row, i) => {
      const c = levels[i] as number;
      row.push(fmt(addedOf("c'tmpfs", c, "p50")), find("c'tmpfs", c)?.result.rps ?? "–");
    });
  }
  const maxRps = (id: string) => Math.max(0, ...rows.filter((r) => r.target === id).map((r) => r.result.rps));
  const addedAt1 = addedOf(network, 1, "p50");
  const target = {
    name: `added p50 latency of (${network}) over (a) at concurrency 1`,
    goal: "<= 0.5 ms",
    measured: addedAt1 === undefined ? undefined : Number(addedAt1.toFixed(3)),
    met: addedAt1 !== undefined && addedAt1 <= 0.5,
  };
  notes.push(
    `Each run: ${warmupSeconds} s warm-up, then ${durationSeconds} s measured, closed loop (each connection sends ` +
      "its next request when the last one is answered). Every answer is timed exactly (not autocannon's " +
      "millisecond histogram). The load generator, the backend, nginx, the RelayMiner and anvil share the machine's cores.",
    `Max throughput (best level): (a) ${maxRps("a")} req/s, (b) ${maxRps("b") || "–"}, (${network}) ${maxRps(network)}; ` +
      `(${network})/(b) ${ratio(maxRps(network), maxRps("b"))}.`,
    `Target: ${target.name} ${target.goal}: measured ${fmt(target.measured)} ms, ${target.met ? "met" : "NOT met"}.`,
  );
  const nodeAt1 = addedOf("n", 1, "p50");
  if (nodeAt1 !== undefined && addedAt1 !== undefined) {
    notes.push(
      `Decomposition at concurrency 1: two bare Node.js proxy hops (n) add ${fmt(nodeAt1)} ms over (a) on this ` +
        `machine, two nginx hops (b) ${fmt(addedOf("b", 1, "p50"))} ms; (${network}) adds ${fmt(addedAt1)} ms, so ` +
        `Decai's own work on the path (signatures, hashing, metering, key budgets, mining, storage) costs ` +
        `${fmt(addedAt1 - nodeAt1)} ms over the runtime's floor.` +
        (nodeAt1 > 0.5 ? " The 0.5 ms target is below what two Node.js processes alone take here." : ""),
    );
  }
  const tmpfsAt1 = addedOf("c'tmpfs", 1, "p50");
  if (tmpfsAt1 !== undefined) {
    notes.push(
      `With the RelayMiner's data on tmpfs (fsync free, everything else equal) the added p50 at concurrency 1 is ` +
        `${fmt(tmpfsAt1)} ms: the rest of (${network})'s is waiting for the disk.`,
    );
  }
  const tables = [summary, detail];
  if (sdk) {
    const base = find("a", 1)?.result.latencyMs;
    tables.push({
      title:
        "The SDK as the client (its own closed loop in the load process; signs and checks every receipt)",
      columns: ["path", "conns", "req/s", "p50", "p99", "added p50 over (a)", "added p99 over (a)"],
      rows: [
        [
          "(c'sdk) DecaiClient.relay → RelayMiner → mock backend",
          1,
          sdk.rps,
          fmt(sdk.latencyMs.p50),
          fmt(sdk.latencyMs.p99),
          base ? fmt(sdk.latencyMs.p50 - base.p50) : "–",
          base ? fmt(sdk.latencyMs.p99 - base.p99) : "–",
        ],
      ],
    });
  }
  writeReport({
    name: "proxy-overhead",
    title: "Proxy overhead: direct vs two nginx hops vs the Decai relay path",
    machine,
    notes,
    tables,
    data: {
      durationSeconds,
      warmupSeconds,
      levels,
      networkPath: network,
      gateway: gatewayState,
      model: benchModel,
      body: smallChatBody,
      runs: rows,
      sdk,
      target,
    },
  });
} finally {
  await runCleanup();
}
