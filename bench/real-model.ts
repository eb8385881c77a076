// The optional real-model scenario: tokens/s and time to first token of streamed completions on
// the embedded llama.cpp backend (node-llama-cpp), (a) directly vs through the network, (c) gateway → RelayMiner
// → backend ((c') RelayMiner alone until the gateway serves through the network). The backend runs a user-given
// GGUF, on the GPU when llama.cpp finds one; without one, the project's generated tiny model (random weights:
// its tokens/s say nothing of real models, but the network/direct ratio is still the network's overhead on real
// llama.cpp inference).
//
//   npx tsx bench/real-model.ts [--model <path.gguf>] [--requests 10] [--max-tokens 128] [--gpu auto|false|cuda|vulkan]
//
// The model may also come from DECAI_BENCH_GGUF. When the model does not load, the result says skipped and why,
// and the exit code is 0. Writes bench/results/real-model.json and .md.
import { parseArgs } from "node:util";
import { benchModel } from "./lib/backend.js";
import { onCleanup, runCleanup } from "./lib/cleanup.js";
import { type CompletionTiming, timeCompletion } from "./lib/completionTiming.js";
import { type EmbeddedProcess, startEmbeddedProcess } from "./lib/embedded.js";
import { gatewayAvailability, startGatewayUnderTest } from "./lib/gateway.js";
import { describeMachine, machineInfo } from "./lib/machine.js";
import { startBenchNetwork, startRelayMinerProcess } from "./lib/network.js";
import { relayHeader, signRelayHeaders } from "./lib/relays.js";
import { type Table, writeReport } from "./lib/report.js";
import { fmt, type Summary, summarize } from "./lib/stats.js";

const { values } = parseArgs({
  options: {
    model: { type: "string" },
    requests: { type: "string", default: "10" },
    "max-tokens": { type: "string", default: "128" },
    gpu: { type: "string", default: "auto" },
    prompt: { type: "string", default: "Write a short story about a lighthouse keeper who finds a message." },
  },
});
const modelArg = values.model ?? process.env.DECAI_BENCH_GGUF;
const requests = Number(values.requests);
const maxTokens = Number(values["max-tokens"]);
if (!(requests > 0 && maxTokens > 0)) throw new Error("--requests and --max-tokens must be positive");
const title = "Real model: tokens/s and TTFT on llama.cpp, direct vs through the network";
// The bench network registers one service, "bench-mock": the backend serves the model under that name.
const body = JSON.stringify({
  model: benchModel,
  messages: [{ role: "user", content: values.prompt }],
  max_tokens: maxTokens,
  temperature: 0,
  stream: true,
  stream_options: { include_usage: true },
});

type Path = { id: string; label: string; url: string; headers?: Record<string, string>; relays?: string[] };
type PathResult = {
  id: string;
  label: string;
  ok: number;
  failed: number;
  firstError?: string;
  ttftMs: Summary;
  totalMs: Summary;
  meanTokens: number;
  /** All tokens over all time, first byte of the request to the end of each answer. */
  tokensPerSecond: number;
  /** Median over answers of (tokens − 1) / (last token − first token): generation speed once streaming. */
  decodeTokensPerSecond: number;
  usageReported: boolean;
};

const machine = machineInfo();
console.error(`real model on ${describeMachine(machine)}`);
const notes: string[] = [];
let llm: EmbeddedProcess;
try {
  console.error(`  loading ${modelArg ?? "the generated tiny model"} into llama.cpp (gpu: ${values.gpu})...`);
  llm = await startEmbeddedProcess({
    ...(modelArg ? { model: modelArg } : {}),
    modelId: benchModel,
    gpu: values.gpu,
  });
} catch (error) {
  const reason = `node-llama-cpp could not load ${modelArg ?? "the tiny model"}: ${(error as Error).message.replace(/\.$/, "")}`;
  console.error(`skipped: ${reason}`);
  writeReport({
    name: "real-model",
    title,
    machine,
    notes: [`Skipped: ${reason}.`],
    tables: [],
    data: { skipped: reason, model: modelArg ?? "tiny", targets: [] },
  });
  process.exit(0);
}
onCleanup(() => llm.stop());
const tiny = modelArg === undefined;
const net = await startBenchNetwork();
onCleanup(() => net.stop());
try {
  const miner = await startRelayMinerProcess(net, llm.origin);
  onCleanup(() => miner.stop());
  const paths: Path[] = [{ id: "a", label: "(a) direct", url: `${llm.origin}/v1/chat/completions` }];
  const gatewayState = await gatewayAvailability();
  if (gatewayState.available) {
    const gateway = await startGatewayUnderTest(net);
    onCleanup(() => gateway.stop());
    paths.push({
      id: "c",
      label: gateway.label.replace("mock backend", "llama.cpp"),
      url: `${gateway.origin}/v1/chat/completions`,
      headers: gateway.headers,
    });
  } else {
    notes.push(`(c) not measured: ${gatewayState.reason}; (c') RelayMiner alone stands in for it.`);
    paths.push({
      id: "c'",
      label: "(c') RelayMiner → llama.cpp",
      url: `${miner.url}/v1/chat/completions`,
      relays: signRelayHeaders(net, { body, count: requests + 1 }),
    });
  }

  // One at a time, paths alternating (and which goes first alternating too), after one warm-up request each.
  const send = (path: Path) => {
    const relay = path.relays?.pop();
    return timeCompletion(path.url, body, {
      ...path.headers,
      ...(relay ? { [relayHeader]: relay } : {}),
    }).catch((error: Error): CompletionTiming => {
      const nan = Number.NaN;
      const failed = {
        ttftMs: nan,
        lastTokenMs: nan,
        totalMs: nan,
        completionTokens: 0,
        usageReported: false,
      };
      return { status: 0, ...failed, text: "", error: error.message };
    });
  };
  const timings = new Map<string, CompletionTiming[]>(paths.map((p) => [p.id, []]));
  console.error(`  ${requests} streamed completions per path, max_tokens ${maxTokens}, temperature 0...`);
  for (const path of paths) await send(path);
  for (let i = 0; i < requests; i++) {
    const order = i % 2 === 0 ? paths : [...paths].reverse();
    for (const path of order) timings.get(path.id)?.push(await send(path));
  }
  const results = paths.map((p) => analyse(p, timings.get(p.id) ?? []));

  // ---------------------------------------------------------------- report
  const direct = results[0] as PathResult;
  const network = results[1] as PathResult;
  const directTexts = (timings.get("a") ?? []).map((t) => t.text);
  const sameText = (timings.get(network.id) ?? []).filter(
    (t, i) => t.status === 200 && t.text === directTexts[i],
  );
  const ratio = {
    tokensPerSecond: network.tokensPerSecond / direct.tokensPerSecond,
    decodeTokensPerSecond: network.decodeTokensPerSecond / direct.decodeTokensPerSecond,
    addedTtftMsP50: network.ttftMs.p50 - direct.ttftMs.p50,
  };
  const info = llm.info;
  const device = info.gpu
    ? `GPU (${info.gpu}: ${info.gpuDevices.join(", ") || "unnamed"}), ${info.gpuLayers} layers offloaded`
    : `CPU (${info.cpuMathCores} math cores)`;
  const tables: Table[] = [
    {
      title: `${requests} streamed chat completions per path, max_tokens ${maxTokens}, temperature 0, one at a time (ms; tokens/s)`,
      columns: [
        "path",
        "ok",
        "failed",
        "TTFT p50",
        "TTFT p99",
        "total p50",
        "tokens per answer",
        "tokens/s end to end",
        "decode tokens/s",
      ],
      rows: results.map((r) => [
        r.label,
        r.ok,
        r.failed,
        fmt(r.ttftMs.p50),
        fmt(r.ttftMs.p99),
        fmt(r.totalMs.p50),
        fmt(r.meanTokens),
        fmt(r.tokensPerSecond),
        fmt(r.decodeTokensPerSecond),
      ]),
    },
    {
      title: `Network (${network.id}) against direct (a)`,
      columns: ["tokens/s ratio", "decode tokens/s ratio", "added TTFT p50 (ms)", "same text as direct"],
      rows: [
        [
          `${fmt(ratio.tokensPerSecond)}×`,
          `${fmt(ratio.decodeTokensPerSecond)}×`,
          fmt(ratio.addedTtftMsP50),
          `${sameText.length} of ${network.ok}`,
        ],
      ],
    },
  ];
  notes.push(
    `Model: ${info.modelPath} (${fmt(info.modelBytes / 2 ** 20)} MiB of weights, context ${info.contextSize}), ` +
      `served as "${benchModel}" (the bench network's service) by createEmbeddedBackend in its own process, one ` +
      `sequence at a time; llama.cpp on ${device}.`,
    ...(tiny
      ? [
          "No --model (or DECAI_BENCH_GGUF) given: this is the project's generated tiny model, random weights of a " +
            "few hundred KB. Its tokens/s mean nothing for real models; the ratio network/direct is still what the " +
            "network costs on real llama.cpp inference. Give a real GGUF (on a GPU machine when there is one) for " +
            "numbers that describe a model.",
        ]
      : []),
    "TTFT: from sending the request to the first content token. Tokens/s end to end: all completion tokens over " +
      "all request times (TTFT and the end of the stream included; through the network the end carries the " +
      "signed receipt). Decode tokens/s: median over answers of (tokens − 1) over the time from the first to the " +
      "last token. Tokens are the stream's usage (completion_tokens)" +
      `${results.every((r) => r.usageReported) ? "" : " where reported, else content events"}. ` +
      "Everything shares this machine's cores, llama.cpp included: on a CPU-only box the RelayMiner and gateway " +
      "take CPU from generation, which is the overhead a supplier running both on one box sees.",
    `Network/direct: tokens/s ${fmt(ratio.tokensPerSecond)}×, decode tokens/s ${fmt(ratio.decodeTokensPerSecond)}×, ` +
      `added TTFT p50 ${fmt(ratio.addedTtftMsP50)} ms; ${sameText.length} of ${network.ok} answers through the network ` +
      "were the same text as direct (temperature 0).",
    ...results
      .filter((r) => r.firstError)
      .map((r) => `${r.label}: ${r.failed} failed, first: ${r.firstError}`),
  );
  writeReport({
    name: "real-model",
    title,
    machine,
    notes,
    tables,
    data: {
      model: modelArg ?? "tiny",
      tiny,
      embedded: info,
      requests,
      maxTokens,
      gateway: gatewayState,
      results,
      ratio,
      sameText: sameText.length,
      targets: [],
    },
  });
} finally {
  await runCleanup();
}

function analyse(path: Path, all: CompletionTiming[]): PathResult {
  const ok = all.filter((t) => t.status === 200 && t.completionTokens > 0);
  const tokens = ok.reduce((sum, t) => sum + t.completionTokens, 0);
  const seconds = ok.reduce((sum, t) => sum + t.totalMs, 0) / 1000;
  const decode = ok
    .filter((t) => t.completionTokens > 1 && t.lastTokenMs > t.ttftMs)
    .map((t) => ((t.completionTokens - 1) * 1000) / (t.lastTokenMs - t.ttftMs));
  const failedOne = all.find((t) => !ok.includes(t));
  return {
    id: path.id,
    label: path.label,
    ok: ok.length,
    failed: all.length - ok.length,
    ...(failedOne ? { firstError: `HTTP ${failedOne.status} ${failedOne.error ?? "(no tokens)"}` } : {}),
    ttftMs: summarize(ok.map((t) => t.ttftMs)),
    totalMs: summarize(ok.map((t) => t.totalMs)),
    meanTokens: ok.length ? tokens / ok.length : Number.NaN,
    tokensPerSecond: seconds > 0 ? tokens / seconds : Number.NaN,
    decodeTokensPerSecond: summarize(decode).p50,
    usageReported: ok.every((t) => t.usageReported),
  };
}
