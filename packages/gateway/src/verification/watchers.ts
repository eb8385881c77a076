// Watchers: challenge requests shaped like real traffic, sent at temperature 0 with a fixed seed to every supplier
// of a service, compared with the reference's own answer (or, without one, with the suppliers' majority).
import { compareAnswers, judgeComparison } from "./compare.js";
import type { VerificationConfig } from "./config.js";
import type { Reference } from "./reference.js";
import type { TrafficModel } from "./traffic.js";
import type { ChallengeTransport } from "./transport.js";
import type { CheckResult, Exchange } from "./types.js";

/** What a watcher round needs. */
export type WatcherDeps = {
  transport: ChallengeTransport;
  /** The trusted answer; without one the suppliers' strict majority (of at least three) is expected. */
  reference: Pick<Reference, "generate"> | undefined;
  traffic: TrafficModel;
  config: VerificationConfig["watchers"];
  random: () => number;
  /** Waits between challenges (jittered like real traffic); tests pass one that returns at once. */
  sleep: (ms: number) => Promise<void>;
  now: () => number;
  /** Ends the round early (the verifier is closing): no further challenge is sent. */
  signal?: AbortSignal;
  /** Every supplier answer, so its billed usage is audited like any other. */
  onExchange?: (exchange: Exchange) => void;
};

/** A round's verdicts and what it cost (supplier requests + the reference's generation). */
export type WatcherRound = { results: CheckResult[]; cost: number; suppliers: number };

const tokens = (x: Exchange) => (x.usage ? x.usage.inputTokens + x.usage.outputTokens : 0);

/**
 * One watcher round for `service`: a challenge made from a recent real request's shape (see `TrafficModel`), sent
 * to each current supplier in random order with pauses drawn from real inter-arrival times, each answer compared
 * with the expected one (`judgeComparison`, `minAgreement`). Suppliers that do not answer are left out (that is
 * QoS, not verification). Excluded suppliers are challenged too: passing is how they earn their way back.
 *
 * @example
 * const round = await watcherRound("tiny-llama", { transport, reference, traffic, config: config.watchers,
 *   random: Math.random, sleep: (ms) => new Promise((r) => setTimeout(r, ms)), now: Date.now });
 */
export async function watcherRound(service: string, deps: WatcherDeps): Promise<WatcherRound> {
  const challenge = deps.traffic.challenge(service, deps.random, deps.config.seed);
  if (!challenge) return { results: [], cost: 0, suppliers: 0 };
  const suppliers = shuffle(await deps.transport.suppliers(service), deps.random);
  let cost = 0;
  let expected: { source: string; text: string } | undefined;
  if (deps.reference) {
    const own = await deps.reference.generate(challenge.endpoint, challenge.body);
    cost += own.usage.inputTokens + own.usage.outputTokens;
    expected = { source: "reference", text: own.choices[0]?.text ?? "" };
  }
  const answers: Exchange[] = [];
  for (const supplier of suppliers) {
    if (deps.signal?.aborted) break;
    await deps.sleep(deps.traffic.gap(service, deps.random));
    if (deps.signal?.aborted) break;
    try {
      const answer = await deps.transport.send({
        service,
        endpoint: challenge.endpoint,
        body: structuredClone(challenge.body),
        supplier,
        origin: "watcher",
      });
      cost += tokens(answer);
      answers.push(answer);
      deps.onExchange?.(answer);
    } catch {
      // unreachable or refusing: the SDK's QoS deals with that
    }
  }
  const textOf = (x: Exchange) => x.choices[0]?.text ?? "";
  expected ??= majority(answers.map(textOf));
  if (!expected) return { results: [], cost, suppliers: suppliers.length };
  const { text, source } = expected;
  const results = answers.map((answer): CheckResult => {
    const comparison = compareAnswers(text, textOf(answer));
    const agreeing = answers.filter((a) => textOf(a) === textOf(answer)).map((a) => a.supplier);
    return {
      check: "watcher",
      supplier: answer.supplier,
      service,
      ...judgeComparison(comparison, deps.config.minAgreement),
      details: { ...comparison, expectedFrom: source, sameAnswerAs: agreeing, answered: answers.length },
      cost: tokens(answer),
      exchange: answer,
      comparedWith: { source, text },
      at: deps.now(),
    };
  });
  return { results, cost, suppliers: suppliers.length };
}

/** The answer given by more than half of at least three suppliers. */
function majority(texts: readonly string[]): { source: string; text: string } | undefined {
  if (texts.length < 3) return undefined;
  const counts = new Map<string, number>();
  for (const t of texts) counts.set(t, (counts.get(t) ?? 0) + 1);
  for (const [text, n] of counts) if (n * 2 > texts.length) return { source: "majority", text };
  return undefined;
}

function shuffle<T>(items: T[], random: () => number): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j] as T, items[i] as T];
  }
  return items;
}
