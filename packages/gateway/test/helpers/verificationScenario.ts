// The adversarial world with the gateway's verification switched on, and the numbers the issue asks for: requests
// until each cheat is sanctioned, its share of traffic afterwards, what verification cost, whether the honest
// supplier was ever sanctioned. Shared by the e2e test (packages/gateway/test/verification.adversarial.e2e.test.ts)
// and the bench (bench/verification.ts), which import it by path.
import { createEmbeddedBackend, type EmbeddedBackend } from "@decai/llm";
import type { AdversarialBackend } from "@decai/llm/adversarial";
import {
  type CheckKind,
  type CheckResult,
  createEmbeddedReference,
  decaiTransport,
  type EvidenceRecord,
  type Reference,
  type ReputationState,
  type Transition,
  type VerificationConfigInput,
  type VerificationStats,
  Verifier,
} from "../../src/index.js";
import { seeded } from "../verification/helpers.js";
import {
  type AdversarialWorld,
  type AdversarialWorldOptions,
  type SupplierRole,
  startAdversarialWorld,
  supplierRoles,
  worldModel,
} from "./adversarialWorld.js";
import { mixedTraffic, type SentRequest, sendTraffic } from "./mixedTraffic.js";

/**
 * Faster detection for more inference: every sampled check runs far more often than by default, within a budget
 * of half the served tokens (plus a head start so a supplier's first answers are re-scored at once). Replay
 * detection looks at shorter answers (the tiny model writes about 1.2 characters per token: 24 characters is about
 * 20 tokens of sampled babble, which does not repeat by chance; loops such as "7777…" are skipped). Prefill
 * re-checks judge answers sampled at temperature ≤ 0.8 only: the tiny model's next-token distribution is flat, and
 * short honest answers sampled hotter reach into the default thresholds (top-10 share 0.35, mean log-probability
 * −5.5). Measured: lowest honest top-10 share 0.63 in ~60 answers at 0.8, 0.47 in ~120 at 1.0, 0.36 at 1.2, 2 of 116
 * failing at 1.5; in e2e runs honest answers at 1.0 failed twice (12 tokens with a top-10 share of 0.33; 18 tokens
 * whose one re-tokenized token at −14.6 pulled the mean to −5.8). Another model's answers score a top-10 share of
 * 0.19 at most (106 of 106 failed). Sanctions are firmer:
 * - one signed over-billing (a usage audit or receipt failure: deterministic, the audit's tolerance keeps honest
 *   answers clear) excludes at once (severity 3, not 2);
 * - failures are remembered longer (a pass forgives 2% of its check's demerits, not 10%): a supplier that
 *   over-bills only the answers that give it room passes the audit in between, and at 10% those passes wash each
 *   failure out within about 14 answers;
 * - probation weighs 0.01, not 0.05: the weight scales a supplier's QoS score, so under load (the honest supplier
 *   busy, answers 10× slower than a quiet cheat's short ones) 0.05 still won about 10% of the picks in one run.
 */
export const highAssuranceConfig: VerificationConfigInput = {
  maxCostFraction: 0.5,
  burstTokens: 5_000,
  prefill: { rate: 0.3, warmup: 3, probationRate: 0.5, maxTemperature: 0.8 },
  reexecution: { rate: 0.05 },
  watchers: { rate: 0.05 },
  replay: { minChars: 24 },
  reputation: { forgiveness: 0.02, probationWeight: 0.01, severity: { usage: 3, receipt: 3 } },
};

/** The cheats, in the world's order. */
export const cheats = supplierRoles.filter((r) => r !== "honest") as Exclude<SupplierRole, "honest">[];

/** Options of {@link startVerificationScenario}. */
export type ScenarioOptions = {
  /** Laid over the defaults (`defaultVerificationConfig`); default: the defaults. */
  config?: VerificationConfigInput;
  /** Seeds the verifier's sampling (the traffic has its own seed). Default 1. */
  seed?: number;
  world?: AdversarialWorldOptions;
};

/** One state change of a supplier, with the traffic clock when it happened. */
export type ScenarioTransition = Transition & {
  role: SupplierRole | undefined;
  /** User requests answered when it happened. */
  completed: number;
  /** The failed check that caused it (the supplier's last failure before it). */
  cause: { check: CheckKind; code: string } | undefined;
};

/** What one role went through. */
export type RoleReport = {
  role: SupplierRole;
  supplier: string;
  state: ReputationState;
  /** User requests answered (all suppliers) when it first left `good`; null if it never did. */
  detectedAfter: number | null;
  /** Its own user answers before that. */
  ownAnswersBeforeDetection: number | null;
  /** The check and failure code that first moved it. */
  detectedBy: { check: CheckKind; code: string } | null;
  /** Stored evidence records against it. */
  evidence: number;
  /** The same per check (of the newest 1,000). */
  evidenceByCheck: Partial<Record<CheckKind, number>>;
  /** User requests it served, in all and among those sent after it was first sanctioned. */
  served: number;
  servedAfterDetection: number;
  /** Requests sent after it was first sanctioned (all suppliers). */
  sentAfterDetection: number;
  /** `servedAfterDetection / sentAfterDetection` (0 when nothing was sent after). */
  shareAfterDetection: number;
  /** Checks of its answers: run, failed. */
  checks: { run: number; failed: number };
  /** Answers its backend served and tampered with (challenges and re-executions included). */
  tampered: { served: number; tampered: number } | null;
  transitions: ScenarioTransition[];
};

/** The scenario's numbers. */
export type ScenarioReport = {
  requests: number;
  failedRequests: number;
  roles: RoleReport[];
  stats: VerificationStats;
};

/**
 * Starts the adversarial world with a verifier in its gateway: a reference on the service's own model file
 * (usage audits, prefill re-checks, expected answers), watcher challenges and re-executions through the gateway's
 * own SDK client, reputation feeding the client's routing, SDK receipt evidence folded in.
 *
 * @example
 * const scenario = await startVerificationScenario({ config: highAssuranceConfig });
 * await scenario.send(100, { concurrency: 8 });
 * console.log(await scenario.report());
 * await scenario.stop();
 */
export async function startVerificationScenario(options: ScenarioOptions = {}) {
  let world: AdversarialWorld | undefined;
  let reference: Reference | undefined;
  let referenceBackend: EmbeddedBackend | undefined;
  const completed = { value: 0 };
  const sent: SentRequest[] = [];
  const transitions: ScenarioTransition[] = [];
  const lastFailure = new Map<string, { check: CheckKind; code: string }>();
  const checksOf = new Map<string, { run: number; failed: number }>();
  const verifier = await Verifier.create({
    config: options.config ?? {},
    references: (service) => (service === worldModel ? reference : undefined),
    transport: () => (world ? decaiTransport(world.client) : undefined),
    random: seeded(options.seed ?? 1),
  });
  verifier.on("check", (c: CheckResult) => {
    const key = c.supplier.toLowerCase();
    const counts = checksOf.get(key) ?? { run: 0, failed: 0 };
    counts.run++;
    if (!c.passed) {
      counts.failed++;
      lastFailure.set(key, { check: c.check, code: c.code });
    }
    checksOf.set(key, counts);
  });
  verifier.on("state", (t: Transition) => {
    transitions.push({
      ...t,
      role: world?.roleOf(t.supplier),
      completed: completed.value,
      cause: t.to === "good" ? undefined : lastFailure.get(t.supplier.toLowerCase()),
    });
  });
  try {
    world = await startAdversarialWorld({
      ...options.world,
      network: { ...options.world?.network, weight: verifier.weightFor, onEvidence: verifier.receipt },
      gateway: { ...options.world?.gateway, verification: verifier },
    });
    referenceBackend = await createEmbeddedBackend({
      model: world.model.path,
      modelId: worldModel,
      llama: world.llama,
      parallel: 1,
    });
    reference = await createEmbeddedReference({ backend: referenceBackend });
  } catch (error) {
    await verifier.close();
    await referenceBackend?.close();
    await world?.stop();
    throw error;
  }
  const live = world;
  let traffic = 0;

  return {
    world: live,
    verifier,
    reference,
    /** Every request sent so far, in order. */
    sent,
    transitions,
    /**
     * Sends the next `count` requests of the seeded mix (`trafficSeed`, default 1), `concurrency` at a time, and
     * returns them (the supplier of each included).
     */
    async send(count: number, opts: { concurrency?: number; trafficSeed?: number } = {}) {
      const requests = mixedTraffic(traffic + count, opts.trafficSeed ?? 1).slice(traffic);
      const batch = await sendTraffic({
        openai: live.openai,
        store: live.store,
        model: worldModel,
        requests,
        concurrency: opts.concurrency ?? 8,
        startIndex: traffic,
        completed,
        idle: () => live.gateway.idle(),
      });
      traffic += count;
      sent.push(...batch);
      return batch;
    },
    /** The numbers so far (call after `verifier.idle()` for settled ones). */
    async report(): Promise<ScenarioReport> {
      const counts = await verifier.store.evidenceCounts();
      const roles: RoleReport[] = [];
      for (const s of live.suppliers) {
        const supplier = s.address.toLowerCase();
        // The newest 1,000 records per supplier say which checks found it; the total is counted apart.
        const evidence = await verifier.evidence({ supplier, limit: 1000 });
        const total = counts.get(`${supplier}|${worldModel}`) ?? 0;
        roles.push(
          roleReport(s.role, supplier, s.backend, verifier, sent, transitions, evidence, total, checksOf),
        );
      }
      return {
        requests: sent.length,
        failedRequests: sent.filter((r) => r.error).length,
        roles,
        stats: verifier.stats(),
      };
    },
    async stop() {
      await verifier.close();
      await reference?.close?.();
      await referenceBackend?.close();
      await live.stop();
    },
  };
}

export type VerificationScenario = Awaited<ReturnType<typeof startVerificationScenario>>;

function roleReport(
  role: SupplierRole,
  supplier: string,
  backend: unknown,
  verifier: Verifier,
  sent: readonly SentRequest[],
  transitions: readonly ScenarioTransition[],
  evidence: readonly EvidenceRecord[],
  evidenceTotal: number,
  checksOf: ReadonlyMap<string, { run: number; failed: number }>,
): RoleReport {
  const mine = transitions.filter((t) => t.supplier.toLowerCase() === supplier);
  const first = mine.find((t) => t.from === "good");
  const detectedAfter = first ? first.completed : null;
  const served = sent.filter((r) => r.supplier === supplier);
  const after = first ? sent.filter((r) => r.sentAt > first.at) : [];
  const servedAfter = after.filter((r) => r.supplier === supplier).length;
  const byCheck: Partial<Record<CheckKind, number>> = {};
  for (const e of evidence) byCheck[e.check] = (byCheck[e.check] ?? 0) + 1;
  const counts = (backend as Partial<AdversarialBackend>).counts;
  return {
    role,
    supplier,
    state: verifier.state(supplier, worldModel),
    detectedAfter,
    ownAnswersBeforeDetection: first ? served.filter((r) => r.doneAt <= first.at).length : null,
    detectedBy: first?.cause ?? null,
    evidence: evidenceTotal,
    evidenceByCheck: byCheck,
    served: served.length,
    servedAfterDetection: servedAfter,
    sentAfterDetection: after.length,
    shareAfterDetection: after.length ? servedAfter / after.length : 0,
    checks: checksOf.get(supplier) ?? { run: 0, failed: 0 },
    tampered: typeof counts === "function" ? counts.call(backend) : null,
    transitions: [...mine],
  };
}
