// Scenario 6, inference verification: the adversarial world (anvil, five real RelayMiners on llama.cpp with the
// generated tiny model; one honest supplier, one serving another model under the same name and digest, one
// truncating, one inflating completion-token counts, one replaying cached answers) behind the gateway, with the
// gateway's verification on. Mixed traffic through the openai client, once with the DEFAULT verification settings
// and once with a high-assurance configuration. Per configuration: the extra inference cost of verification as a
// share of served tokens, detection per attack (runs in which it was caught, requests until it was, the check that
// caught it, its traffic share afterwards), and false positives on the honest supplier.
//
//   npx tsx bench/verification.ts [--requests 1000] [--runs 3] [--concurrency 8] [--configs default,high]
//
// Writes bench/results/verification.json and .md.
import { parseArgs } from "node:util";
import type { VerificationConfigInput } from "../packages/gateway/src/index.js";
import {
  cheats,
  highAssuranceConfig,
  type RoleReport,
  type ScenarioReport,
  startVerificationScenario,
} from "../packages/gateway/test/helpers/verificationScenario.js";
import { onCleanup, runCleanup } from "./lib/cleanup.js";
import { describeMachine, machineInfo } from "./lib/machine.js";
import { type Table, writeReport } from "./lib/report.js";

const { values } = parseArgs({
  options: {
    requests: { type: "string", default: "1000" },
    runs: { type: "string", default: "3" },
    concurrency: { type: "string", default: "8" },
    configs: { type: "string", default: "default,high" },
  },
});
const requests = Number(values.requests);
const runs = Number(values.runs);
const concurrency = Number(values.concurrency);
/** Verdicts settle (verifier.idle) after every batch, so detection is read on a request clock, not a race. */
const batch = 100;
const maxCost = 0.05;

const configs: Record<string, { label: string; config: VerificationConfigInput }> = {
  default: { label: "default", config: {} },
  high: { label: "high assurance", config: highAssuranceConfig },
};
const chosen = (values.configs ?? "").split(",").filter((c) => c in configs);

type Run = { config: string; run: number; seconds: number; report: ScenarioReport };

const machine = machineInfo();
console.error(`verification on ${describeMachine(machine)}`);
const results: Run[] = [];
try {
  for (const name of chosen) {
    for (let run = 0; run < runs; run++) {
      const started = performance.now();
      const scenario = await startVerificationScenario({ config: configs[name]?.config, seed: run + 1 });
      onCleanup(() => scenario.stop());
      for (let sent = 0; sent < requests; sent += batch) {
        await scenario.send(Math.min(batch, requests - sent), { concurrency, trafficSeed: run + 1 });
        await scenario.verifier.idle();
      }
      const report = await scenario.report();
      await runCleanup();
      const seconds = (performance.now() - started) / 1000;
      results.push({ config: name, run, seconds, report });
      const detected = report.roles
        .filter((r) => r.role !== "honest")
        .map((r) => `${r.role} ${r.detectedAfter ?? "never"}`)
        .join(", ");
      console.error(
        `${configs[name]?.label} run ${run + 1}/${runs}: ${seconds.toFixed(0)} s, cost ${pct(report.stats.cost.fraction)}, detected after: ${detected}`,
      );
    }
  }
} finally {
  await runCleanup();
}

// ---------------------------------------------------------------- tables
function pct(x: number): string {
  return `${(x * 100).toFixed(2)}%`;
}
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s[Math.floor((s.length - 1) / 2)] as number) : Number.NaN;
};
const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
const of = (config: string) => results.filter((r) => r.config === config);
const roleIn = (r: Run, role: string) => r.report.roles.find((x) => x.role === role) as RoleReport;

const costRows = chosen.map((name) => {
  const rs = of(name);
  const served = sum(rs.map((r) => r.report.stats.cost.servedTokens));
  const spent = sum(rs.map((r) => r.report.stats.cost.verificationTokens));
  const byCheck = (check: string) =>
    sum(rs.map((r) => (r.report.stats.cost.byCheck as Record<string, number>)[check] ?? 0));
  const skipped = sum(rs.map((r) => sum(Object.values(r.report.stats.checks).map((c) => c.skipped))));
  const fractions = rs.map((r) => r.report.stats.cost.fraction);
  return {
    config: name,
    served,
    spent,
    fraction: served ? spent / served : 0,
    worstRun: Math.max(...fractions),
    byCheck: Object.fromEntries(
      ["prefill", "watcher", "reexecution", "replay"].map((c) => [c, served ? byCheck(c) / served : 0]),
    ),
    skipped,
    seconds: median(rs.map((r) => r.seconds)),
  };
});

const attackRows = chosen.flatMap((name) =>
  cheats.map((role) => {
    const rs = of(name).map((r) => roleIn(r, role));
    const caught = rs.filter((r) => r.detectedAfter !== null);
    const after = caught.map((r) => r.shareAfterDetection);
    const causes = [...new Set(caught.map((r) => `${r.detectedBy?.check}/${r.detectedBy?.code}`))];
    return {
      config: name,
      role,
      detectedRuns: caught.length,
      runs: rs.length,
      requestsToDetection: caught.map((r) => r.detectedAfter as number),
      ownAnswersToDetection: caught.map((r) => r.ownAnswersBeforeDetection as number),
      causes,
      endStates: rs.map((r) => r.state),
      shareAfterDetection: after.length ? Math.max(...after) : null,
      failedChecks: sum(rs.map((r) => r.checks.failed)),
      checksRun: sum(rs.map((r) => r.checks.run)),
      evidence: sum(rs.map((r) => r.evidence)),
    };
  }),
);

const honestRows = chosen.map((name) => {
  const rs = of(name).map((r) => roleIn(r, "honest"));
  const run = sum(rs.map((r) => r.checks.run));
  const failed = sum(rs.map((r) => r.checks.failed));
  return {
    config: name,
    served: sum(rs.map((r) => r.served)),
    checksRun: run,
    failedChecks: failed,
    falsePositiveRate: run ? failed / run : 0,
    sanctions: sum(rs.map((r) => r.transitions.length)),
    evidence: sum(rs.map((r) => r.evidence)),
  };
});

const label = (name: string) => configs[name]?.label ?? name;
const tables: Table[] = [
  {
    title: `Extra inference cost of verification, share of served tokens (${runs} run(s) × ${requests} requests)`,
    columns: [
      "config",
      "served tokens",
      "verification tokens",
      "cost",
      "worst run",
      "≤ 5%",
      "prefill",
      "watchers",
      "re-execution",
      "replay confirm",
      "checks skipped",
      "s per run",
    ],
    rows: costRows.map((c) => [
      label(c.config),
      c.served,
      c.spent,
      pct(c.fraction),
      pct(c.worstRun),
      c.worstRun <= maxCost ? "yes" : "no",
      pct(c.byCheck.prefill ?? 0),
      pct(c.byCheck.watcher ?? 0),
      pct(c.byCheck.reexecution ?? 0),
      pct(c.byCheck.replay ?? 0),
      c.skipped,
      Math.round(c.seconds),
    ]),
  },
  {
    title:
      "Detection per attack: requests (all suppliers) answered when it first left `good`, and its own answers by then",
    columns: [
      "config",
      "attack",
      "detected",
      "requests to detection",
      "own answers",
      "first caught by",
      "state at end",
      "traffic share after (worst run)",
      "its checks failed/run",
      "evidence",
    ],
    rows: attackRows.map((a) => [
      label(a.config),
      a.role,
      `${a.detectedRuns}/${a.runs}`,
      a.requestsToDetection.join(", ") || "–",
      a.ownAnswersToDetection.join(", ") || "–",
      a.causes.join(", ") || "–",
      a.endStates.join(", "),
      a.shareAfterDetection === null ? "–" : pct(a.shareAfterDetection),
      `${a.failedChecks}/${a.checksRun}`,
      a.evidence,
    ]),
  },
  {
    title: "The honest supplier: false positives",
    columns: [
      "config",
      "answers served",
      "checks run",
      "checks failed",
      "false-positive rate",
      "sanctions",
      "evidence",
    ],
    rows: honestRows.map((h) => [
      label(h.config),
      h.served,
      h.checksRun,
      h.failedChecks,
      pct(h.falsePositiveRate),
      h.sanctions,
      h.evidence,
    ]),
  },
];

const defaultCost = costRows.find((c) => c.config === "default");
const high = attackRows.filter((a) => a.config === "high");
const targets = [
  ...(defaultCost
    ? [
        {
          name: "verification cost with the default settings (worst run, share of served tokens)",
          goal: `<= ${maxCost}`,
          measured: Number(defaultCost.worstRun.toFixed(4)),
          met: defaultCost.worstRun <= maxCost,
        },
      ]
    : []),
  ...(high.length
    ? [
        {
          name: "high assurance: requests until the slowest attack is detected (worst run)",
          goal: "<= 100",
          measured: Math.max(
            ...high.map((a) => (a.detectedRuns < a.runs ? Infinity : Math.max(...a.requestsToDetection))),
          ),
          met: high.every((a) => a.detectedRuns === a.runs && Math.max(...a.requestsToDetection) <= 100),
        },
        {
          name: "high assurance: a cheat's share of traffic after its detection (worst)",
          goal: "<= 0.01",
          measured: Math.max(...high.map((a) => a.shareAfterDetection ?? 0)),
          met: high.every((a) => (a.shareAfterDetection ?? 0) <= 0.01),
        },
      ]
    : []),
  {
    name: "honest supplier sanctioned (state changes, all configs and runs)",
    goal: "0",
    measured: sum(honestRows.map((h) => h.sanctions)),
    met: honestRows.every((h) => h.sanctions === 0 && h.evidence === 0),
  },
];

const notes = [
  `The adversarial world of packages/gateway/test/helpers/adversarialWorld.ts: anvil with the contracts, five staked suppliers all drawn in one session, each a real RelayMiner in front of llama.cpp on the generated tiny model (the wrong-model one on another generated model of the same shape, claiming the honest digest). The gateway serves them over the network; its verifier has a reference on the service's own model file. Traffic (packages/gateway/test/helpers/mixedTraffic.ts, seeded per run): ${requests} requests per run at ${concurrency} at a time through the openai client: 1 in 8 text completions, 1 in 4 streamed, temperatures 0 to 1.2, max_tokens 12 to 64, 70% with stop sequences (the tiny model almost never ends its turn: stop sequences stand in for a real model's natural endings, which is what gives an over-biller room). Verdicts settle after every ${batch} requests (verifier.idle), so "requests to detection" counts requests answered, not a race with the background queue.`,
  `Configurations: "default" is defaultVerificationConfig (prefill 2.5% of answers + each supplier's first 3 within the budget, re-execution 0.5%, watchers 0.15%, maxCostFraction 5%, burstTokens 0). "high assurance" is highAssuranceConfig (prefill 30% of answers, judged only when sampled at temperature ≤ 0.8, re-execution 5%, watchers 5%, replay from 24 characters, maxCostFraction 50% + 5,000 tokens of head start; one signed over-billing excludes (usage and receipt severity 3), a pass forgives 2% of its check's demerits, probation weighs 0.01), the configuration of the e2e test packages/gateway/test/verification.adversarial.e2e.test.ts. Artifact commitment runs in both: every supplier of the world declares the honest digest (the wrong-model one lies), so it passes them all; the e2e test covers a contradicting declaration.`,
  "Checks skipped: sampled checks the budget or a full queue refused, watcher rounds due while one was running, and checks that found nothing to judge (e.g. answers under 8 tokens for the prefill re-check).",
  "Cost: verification tokens (reference prefill and generation, challenge and re-execution requests, all counted as full tokens although a prefill is far cheaper than generating) over prompt + completion tokens served to users, from Verifier.stats().cost. A detection is a supplier's first move from `good` to probation or exclusion; traffic share after = user requests it served among those sent after that moment. The honest supplier's false-positive rate is its failed checks over its checks run (usage audits on every answer included).",
  ...targets.map((t) => `Target: ${t.name} ${t.goal}: measured ${t.measured}, ${t.met ? "met" : "NOT met"}.`),
];

writeReport({
  name: "verification",
  title: "Inference verification: cost, detection per attack, false positives",
  machine,
  notes,
  tables,
  data: {
    requests,
    runs,
    concurrency,
    batch,
    configs: Object.fromEntries(chosen.map((c) => [c, configs[c]?.config])),
    cost: costRows,
    attacks: attackRows,
    honest: honestRows,
    targets,
    perRun: results.map((r) => ({
      config: r.config,
      run: r.run,
      seconds: Number(r.seconds.toFixed(1)),
      stats: r.report.stats,
      roles: r.report.roles,
    })),
  },
});
