// Scenario 2, streaming: the mock backend streams 256 tokens at a fixed rate; each token's arrival is timed
// (a) directly, (b) through two nginx hops (proxy_buffering off), and through the network: (c) gateway →
// RelayMiner, or (c') RelayMiner alone until the gateway serves through the network. Reports the added time to
// first token (TTFT) and whether any chunk was held back (buffering): tokens late against the backend's pace,
// and tokens that arrived glued to the one before.
//
//   npx tsx bench/streaming.ts [--streams 40] [--concurrency 4] [--rate 250] [--tokens 256]
//
// Writes bench/results/streaming.json and .md.
import { parseArgs } from "node:util";
import { benchModel, startBackendProcess } from "./lib/backend.js";
import { onCleanup, runCleanup } from "./lib/cleanup.js";
import { type GatewayUnderTest, gatewayAvailability, startGatewayUnderTest } from "./lib/gateway.js";
import { describeMachine, machineInfo } from "./lib/machine.js";
import { startBenchNetwork, startRelayMinerProcess } from "./lib/network.js";
import { findNginx, type NginxProxy, nginxInstallHint, startTwoHopNginx } from "./lib/nginx.js";
import { startTwoHopNodeProxy } from "./lib/nodeProxy.js";
import { relayHeader, signRelayHeaders } from "./lib/relays.js";
import { type Table, writeReport } from "./lib/report.js";
import { fmt, type Summary, summarize } from "./lib/stats.js";
import { type StreamTiming, timeStream } from "./lib/streamTiming.js";

const { values } = parseArgs({
  options: {
    streams: { type: "string", default: "40" },
    concurrency: { type: "string", default: "4" },
    rate: { type: "string", default: "250" },
    tokens: { type: "string", default: "256" },
  },
});
const streams = Number(values.streams);
const concurrency = Number(values.concurrency);
const rate = Number(values.rate);
const tokens = Number(values.tokens);
const intervalMs = 1000 / rate;
const body = JSON.stringify({
  model: benchModel,
  messages: [{ role: "user", content: "Tell me a long story." }],
  max_tokens: tokens,
  stream: true,
});

type Path = { id: string; label: string; url: string; headers?: Record<string, string>; signed: boolean };
type PathResult = {
  id: string;
  label: string;
  streams: number;
  incomplete: number;
  ttftMs: Summary;
  gapMs: Summary;
  /** How late tokens came against the pace set by their stream's first token. */
  latenessMs: Summary;
  /** Tokens more than one token interval late. */
  lateTokens: number;
  mergedShare: number;
  largestBurst: number;
};

const machine = machineInfo();
console.error(`streaming on ${describeMachine(machine)}`);
const notes: string[] = [];
const net = await startBenchNetwork();
onCleanup(() => net.stop());
try {
  const backend = await startBackendProcess({ completionTokens: tokens, tokensPerSecond: rate });
  onCleanup(() => backend.stop());
  const paths: Path[] = [
    { id: "a", label: "(a) direct", url: `${backend.origin}/v1/chat/completions`, signed: false },
  ];
  const nginxBinary = findNginx();
  if (nginxBinary) {
    const nginx: NginxProxy = await startTwoHopNginx(nginxBinary, backend.port);
    onCleanup(() => nginx.stop());
    paths.push({
      id: "b",
      label: "(b) two nginx hops",
      url: `${nginx.origin}/v1/chat/completions`,
      signed: false,
    });
  } else {
    notes.push(`(b) skipped: nginx is not installed. Install it with \`${nginxInstallHint}\`.`);
  }
  // The runtime floor: the same two hops in bare Node.js.
  const nodeProxy = await startTwoHopNodeProxy(backend.origin);
  onCleanup(() => nodeProxy.stop());
  paths.push({
    id: "n",
    label: "(n) two bare Node.js proxy hops",
    url: `${nodeProxy.origin}/v1/chat/completions`,
    signed: false,
  });
  const miner = await startRelayMinerProcess(net, backend.origin);
  onCleanup(() => miner.stop());
  const gatewayState = await gatewayAvailability();
  if (gatewayState.available) {
    const gateway: GatewayUnderTest = await startGatewayUnderTest(net);
    onCleanup(() => gateway.stop());
    paths.push({
      id: "c",
      label: gateway.label,
      url: `${gateway.origin}/v1/chat/completions`,
      headers: gateway.headers,
      signed: false,
    });
  } else {
    notes.push(`(c) not measured: ${gatewayState.reason}; (c') RelayMiner alone stands in for it.`);
  }
  paths.push({
    id: "c'",
    label: "(c') RelayMiner → mock backend",
    url: `${miner.url}/v1/chat/completions`,
    signed: true,
  });

  // Rounds of `concurrency` streams per path, paths interleaved: drift on the machine hits every path alike.
  const rounds = Math.max(1, Math.ceil(streams / concurrency));
  const timings = new Map<string, StreamTiming[]>(paths.map((p) => [p.id, []]));
  const signed = new Map<string, string[]>(
    paths
      .filter((p) => p.signed)
      .map((p) => [p.id, signRelayHeaders(net, { body, count: (rounds + 1) * concurrency })]),
  );
  const round = (path: Path, keep: boolean) =>
    Promise.all(
      Array.from({ length: concurrency }, async () => {
        const relay = signed.get(path.id)?.pop();
        const timing = await timeStream(path.url, body, {
          ...path.headers,
          ...(relay ? { [relayHeader]: relay } : {}),
        });
        if (keep) timings.get(path.id)?.push(timing);
      }),
    );
  console.error(
    `  ${paths.length} paths, ${rounds} rounds of ${concurrency} streams each (after one warm-up round)...`,
  );
  for (const path of paths) await round(path, false);
  for (let r = 0; r < rounds; r++) for (const path of paths) await round(path, true);
  const results = paths.map((path) => analyse(path, timings.get(path.id) ?? []));

  // ---------------------------------------------------------------- report
  const direct = results.find((r) => r.id === "a") as PathResult;
  const timingsCount = direct.streams;
  const network = results.find((r) => r.id === "c") ?? (results.find((r) => r.id === "c'") as PathResult);
  // A proxy that buffers holds back every stream (most tokens late or glued together). A busy machine stalls a
  // process now and then, on any path, direct included: the tokens that piled up meanwhile go out in one burst.
  // So the verdict looks at what is systematic, and the late tokens are shown next to the direct path's.
  const buffering = (r: PathResult) => r.mergedShare > 0.25 || r.latenessMs.p50 > intervalMs;
  const table: Table = {
    title: `${tokens} tokens at ${rate} tokens/s (one every ${fmt(intervalMs)} ms), ${timingsCount} streams per path, ${concurrency} at a time (ms)`,
    columns: [
      "path",
      "TTFT p50",
      "TTFT p99",
      "added TTFT p50",
      "added TTFT p99",
      "gap p50",
      "gap p99",
      "gap max",
      "lateness p99",
      "lateness max",
      "late tokens",
      "merged tokens",
      "largest burst",
      "buffering",
    ],
    rows: results.map((r) => [
      r.label,
      fmt(r.ttftMs.p50),
      fmt(r.ttftMs.p99),
      r.id === "a" ? "–" : fmt(r.ttftMs.p50 - direct.ttftMs.p50),
      r.id === "a" ? "–" : fmt(r.ttftMs.p99 - direct.ttftMs.p99),
      fmt(r.gapMs.p50),
      fmt(r.gapMs.p99),
      fmt(r.gapMs.max),
      fmt(r.latenessMs.p99),
      fmt(r.latenessMs.max),
      r.lateTokens,
      `${fmt(100 * r.mergedShare)}%`,
      r.largestBurst,
      r.id === "a" ? "–" : buffering(r) ? "yes" : "no",
    ]),
  };
  const addedTtft = network.ttftMs.p50 - direct.ttftMs.p50;
  const targets = [
    {
      name: `added TTFT p50 of (${network.id})`,
      goal: "< 2 ms",
      measured: Number(addedTtft.toFixed(3)),
      met: addedTtft < 2,
    },
    {
      name: `no buffering on (${network.id})`,
      goal: "none",
      measured: buffering(network)
        ? "buffering"
        : `none (${network.lateTokens} late tokens vs ${direct.lateTokens} direct)`,
      met: !buffering(network),
    },
  ];
  notes.push(
    "TTFT: from sending the request to the first content token. Gap: between consecutive tokens. Lateness: how " +
      "much later than its stream's first token plus i token intervals token i arrived (the backend keeps that " +
      "pace, so lateness is jitter plus anything held back on the way). Late tokens: lateness above one interval. " +
      "Merged: tokens that arrived in the same socket read as the one before; largest burst: most tokens in one " +
      "read. Buffering (holding chunks back systematically) is reported when over 25% of a path's tokens are " +
      "merged or its median lateness exceeds one interval; late tokens and bursts beyond the direct path's come " +
      "from processes stalled by a busy machine, and are worth reading against (a)'s.",
    ...targets.map(
      (t) => `Target: ${t.name} ${t.goal}: measured ${t.measured}, ${t.met ? "met" : "NOT met"}.`,
    ),
  );
  const floor = results.find((r) => r.id === "n");
  if (floor) {
    const floorTtft = floor.ttftMs.p50 - direct.ttftMs.p50;
    notes.push(
      `Decomposition: two bare Node.js proxy hops (n) add ${fmt(floorTtft)} ms to the TTFT p50; (${network.id}) adds ` +
        `${fmt(addedTtft)} ms, so Decai's own work before the first token (key check and budget reservation, relay ` +
        `signing, the RelayMiner's signature, session and delegation checks, metering) costs ${fmt(addedTtft - floorTtft)} ms here.`,
    );
  }
  const incomplete = results.filter((r) => r.incomplete > 0);
  if (incomplete.length > 0) {
    notes.push(
      `Incomplete streams (fewer than ${tokens} tokens): ${incomplete.map((r) => `${r.label} ${r.incomplete}`).join(", ")}.`,
    );
  }
  writeReport({
    name: "streaming",
    title: "Streaming: time to first token and buffering, direct vs through the network",
    machine,
    notes,
    tables: [table],
    data: { tokens, rate, streams, concurrency, gateway: gatewayState, results, targets },
  });
} finally {
  await runCleanup();
}

function analyse(path: Path, timings: StreamTiming[]): PathResult {
  const gaps: number[] = [];
  const lateness: number[] = [];
  let merged = 0;
  let total = 0;
  for (const t of timings) {
    const first = t.tokenMs[0] ?? 0;
    for (let i = 1; i < t.tokenMs.length; i++) {
      gaps.push((t.tokenMs[i] as number) - (t.tokenMs[i - 1] as number));
      lateness.push((t.tokenMs[i] as number) - first - i * intervalMs);
    }
    merged += t.merged;
    total += t.tokenMs.length;
  }
  return {
    id: path.id,
    label: path.label,
    streams: timings.length,
    incomplete: timings.filter((t) => t.status !== 200 || t.tokenMs.length !== tokens).length,
    ttftMs: summarize(timings.map((t) => t.ttftMs)),
    gapMs: summarize(gaps),
    latenessMs: summarize(lateness),
    lateTokens: lateness.filter((l) => l > intervalMs).length,
    mergedShare: total ? merged / total : 0,
    largestBurst: Math.max(0, ...timings.map((t) => t.largestBurst)),
  };
}
