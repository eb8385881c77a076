// Summarises a V8 `.cpuprofile` (node --cpu-prof) by where the time goes on the relay path: each sample is
// charged to the first frame, from the leaf up, that a rule recognises, so generic helpers (Buffer, events)
// count for whoever called them.
import { readFileSync } from "node:fs";

type CallFrame = { functionName: string; url: string; lineNumber: number };
type ProfileNode = { id: number; callFrame: CallFrame; children?: number[] };
/** The JSON that `node --cpu-prof` writes. Times in microseconds, on the monotonic clock (`process.hrtime`). */
export type CpuProfile = {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
};

/** A category and the frames it claims. */
export type CategoryRule = { category: string; test: (frame: CallFrame) => boolean };

const inUrl = (frame: CallFrame, ...parts: string[]) => parts.some((p) => frame.url.includes(p));
const named = (frame: CallFrame, ...names: string[]) => names.includes(frame.functionName);

/** The categories of the issue (signature verify, signing, hashing, JSON, HTTP) and the rest of the path. */
export const relayPathRules: CategoryRule[] = [
  { category: "idle", test: (f) => named(f, "(idle)") },
  { category: "garbage collection", test: (f) => named(f, "(garbage collector)") },
  {
    category: "signature verify (recover)",
    test: (f) =>
      named(f, "ecdsaRecover", "recoverDigest", "recoverRelayRequestSigner", "recoverRelayResponseSigner"),
  },
  {
    category: "signing",
    test: (f) => named(f, "ecdsaSign", "signDigest", "signRelayResponse", "signRelayRequest"),
  },
  {
    category: "hashing (keccak, sha256)",
    test: (f) =>
      inUrl(f, "@noble/hashes", "node:internal/crypto", "smst/src/hasher") ||
      named(f, "keccak256", "sha256", "createHash", "createResponseHasher"),
  },
  // V8 charges JSON.parse / JSON.stringify to their caller (builtins get no frame of their own), so the callers
  // that exist to parse JSON stand for it.
  {
    category: "JSON (request body, usage)",
    test: (f) =>
      (f.url === "" && named(f, "parse", "stringify")) ||
      (inUrl(f, "packages/relayminer/src/usage", "packages/relayminer/src/sse") &&
        named(f, "parseRequestBody", "responseUsage", "push")),
  },
  { category: "SMST (tree in memory)", test: (f) => inUrl(f, "packages/smst/") },
  { category: "disk (fs writes, fsync)", test: (f) => inUrl(f, "node:fs", "node:internal/fs") },
  {
    category: "HTTP (server, client, sockets, streams)",
    test: (f) =>
      inUrl(
        f,
        "node:_http",
        "node:http",
        "node:internal/http",
        "node:net",
        "node:internal/streams",
        "node:stream",
      ) || named(f, "writev", "writeUtf8String", "writeBuffer", "parserOnHeadersComplete", "execute"),
  },
  { category: "viem (encoding, addresses)", test: (f) => inUrl(f, "node_modules/viem/") },
  { category: "relay encoding and checks (core)", test: (f) => inUrl(f, "packages/core/") },
  { category: "RelayMiner logic", test: (f) => inUrl(f, "packages/relayminer/") },
  { category: "chain indexer", test: (f) => inUrl(f, "packages/chain/") },
  { category: "gateway", test: (f) => inUrl(f, "packages/gateway/") },
  { category: "SDK", test: (f) => inUrl(f, "packages/sdk/") },
  { category: "V8 / native (program)", test: (f) => named(f, "(program)") },
];

/** Time per category and the heaviest functions by self time, within a window. */
export type ProfileSummary = {
  /** Milliseconds sampled in the window, idle included. */
  totalMs: number;
  /** Milliseconds not idle. */
  busyMs: number;
  categories: { category: string; ms: number; shareOfBusy: number }[];
  topFunctions: { name: string; ms: number; shareOfBusy: number }[];
};

/**
 * Reads a profile file and summarises it over `[fromUs, toUs]` (monotonic microseconds, e.g.
 * `process.hrtime.bigint() / 1000n` taken by any process on the same machine), or the whole profile.
 *
 * @example
 * const summary = summarizeProfile(readProfile(file), relayPathRules, { fromUs, toUs });
 */
export function summarizeProfile(
  profile: CpuProfile,
  rules: CategoryRule[] = relayPathRules,
  window: { fromUs?: number; toUs?: number } = {},
): ProfileSummary {
  const byId = new Map<number, ProfileNode>();
  const parent = new Map<number, number>();
  for (const node of profile.nodes) {
    byId.set(node.id, node);
    for (const child of node.children ?? []) parent.set(child, node.id);
  }
  const categoryOf = new Map<number, string>();
  const classify = (id: number): string => {
    const known = categoryOf.get(id);
    if (known) return known;
    const path: number[] = [];
    let category = "other";
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const cached = categoryOf.get(at);
      if (cached) {
        category = cached;
        break;
      }
      path.push(at);
      const frame = (byId.get(at) as ProfileNode).callFrame;
      const rule = rules.find((r) => r.test(frame));
      if (rule) {
        category = rule.category;
        break;
      }
    }
    // Only the frames below the match inherit it (the matched frame's ancestors may belong elsewhere).
    for (const p of path) categoryOf.set(p, category);
    return category;
  };

  const perCategory = new Map<string, number>();
  const perFunction = new Map<string, number>();
  let time = profile.startTime;
  let total = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    time += profile.timeDeltas[i] ?? 0;
    if (window.fromUs !== undefined && time < window.fromUs) continue;
    if (window.toUs !== undefined && time > window.toUs) break;
    // A sample stands for the time until the next one.
    const us = Math.max(0, (profile.timeDeltas[i + 1] ?? 0) as number);
    const id = profile.samples[i] as number;
    total += us;
    const category = classify(id);
    perCategory.set(category, (perCategory.get(category) ?? 0) + us);
    if (category === "idle") continue;
    const frame = (byId.get(id) as ProfileNode).callFrame;
    const file = frame.url.replace(/^.*\/(packages|node_modules)\//, "$1/").replace(/^file:\/\//, "");
    const name =
      `${frame.functionName || "(anonymous)"} ${file ? `${file}:${frame.lineNumber + 1}` : ""}`.trim();
    perFunction.set(name, (perFunction.get(name) ?? 0) + us);
  }
  const busy = total - (perCategory.get("idle") ?? 0);
  const share = (us: number) => Number(((100 * us) / Math.max(1, busy)).toFixed(1));
  return {
    totalMs: Math.round(total / 1000),
    busyMs: Math.round(busy / 1000),
    categories: [...perCategory]
      .filter(([c]) => c !== "idle")
      .sort((x, y) => y[1] - x[1])
      .map(([category, us]) => ({ category, ms: Math.round(us / 1000), shareOfBusy: share(us) })),
    topFunctions: [...perFunction]
      .sort((x, y) => y[1] - x[1])
      .slice(0, 15)
      .map(([name, us]) => ({ name, ms: Math.round(us / 1000), shareOfBusy: share(us) })),
  };
}

/**
 * Reads a `.cpuprofile` file.
 *
 * @example
 * const profile = readProfile("/tmp/prof/CPU.20261125.123.cpuprofile");
 */
export function readProfile(path: string): CpuProfile {
  return JSON.parse(readFileSync(path, "utf8")) as CpuProfile;
}

/** Monotonic microseconds, comparable with profile times of any process on this machine. */
export const monotonicUs = (): number => Number(process.hrtime.bigint() / 1000n);
