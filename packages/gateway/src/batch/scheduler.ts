// Where the next batch line may go without hurting anyone: a lane per model tier, sized by its suppliers, with an
// AIMD window that backs off on refusals (429 / no supplier) and on rising latency, and, on interactive models,
// only the capacity interactive traffic leaves idle.
import type { CatalogEntry } from "../routing.js";
import type { InteractiveLoad } from "./interactive.js";
import { tierOf } from "./models.js";

/** Options of {@link BatchScheduler}. */
export type BatchSchedulerOptions = {
  /** Batch lines in flight per supplier of a batch-tier model. Default 2. */
  perSupplier?: number;
  /** Batch lines per supplier of an interactive model, minus what interactive traffic reserves. Default 1. */
  idlePerSupplier?: number;
  /** A lane whose latency EWMA exceeds this multiple of its best level shrinks its window. Default 2. */
  slowFactor?: number;
  /** First backoff after a refusal, ms; doubles up to `maxBackoffMs`. Default 500 / 30 000. */
  backoffMs?: number;
  maxBackoffMs?: number;
  /** Interactive traffic, watched to yield to it. */
  interactive?: InteractiveLoad;
  now?: () => number;
};

/** How a line sent through a slot ended, for the lane's window. */
export type SlotOutcome =
  | { kind: "ok"; latencyMs: number }
  /** Refused for capacity (429, no supplier free, a paused supplier): back off. */
  | { kind: "busy" }
  /** Anything else (a broken answer, a rejected request, the gateway stopping): no verdict on capacity. */
  | { kind: "other" };

/** The right to send one line to one model now; call `done` exactly once. */
export type BatchSlot = { entry: CatalogEntry; done(outcome: SlotOutcome): void };

type Lane = {
  inFlight: number;
  window: number;
  backoffUntil: number;
  backoffMs: number;
  ewmaMs?: number;
  baselineMs?: number;
  lastShrink: number;
};

/** A lane's state, for metrics and tests. */
export type LaneState = {
  model: string;
  inFlight: number;
  window: number;
  capacity: number;
  backingOff: boolean;
};

/**
 * Decides, line by line, which tier a batch line goes to. A lane per model: at most `perSupplier` lines per
 * supplier of a batch tier, and on an interactive model at most `idlePerSupplier` per supplier minus what
 * interactive traffic needs (its recent peak in flight, plus a spare supplier while it is active: `reserved`),
 * nothing while interactive latency is up. Within that bound an AIMD window
 * grows by one line per window of successes, halves (and the lane pauses with exponential backoff) on a
 * refusal, and shrinks by a quarter when the lane's latency climbs past `slowFactor` × its best level.
 *
 * @example
 * const slot = scheduler.acquire(route.candidates); // batch tier first, then idle interactive capacity
 * if (slot) send(line, slot.entry).then((r) => slot.done({ kind: "ok", latencyMs: r.ms }), () => slot.done({ kind: "busy" }));
 */
export class BatchScheduler {
  readonly #lanes = new Map<string, Lane>();
  readonly #o: Required<Omit<BatchSchedulerOptions, "interactive">> & { interactive?: InteractiveLoad };

  constructor(options: BatchSchedulerOptions = {}) {
    this.#o = {
      perSupplier: options.perSupplier ?? 2,
      idlePerSupplier: options.idlePerSupplier ?? 1,
      slowFactor: options.slowFactor ?? 2,
      backoffMs: options.backoffMs ?? 500,
      maxBackoffMs: options.maxBackoffMs ?? 30_000,
      now: options.now ?? Date.now,
      ...(options.interactive ? { interactive: options.interactive } : {}),
    };
  }

  /** Lines `entry` may take now on top of what it carries (0 while backing off or yielding). */
  capacity(entry: CatalogEntry): number {
    const lane = this.#lane(entry.model.id);
    if (this.#o.now() < lane.backoffUntil) return 0;
    return Math.max(0, Math.min(Math.floor(lane.window), this.#bound(entry)) - lane.inFlight);
  }

  /** A slot on the first candidate with room, or `undefined` when none has any now. */
  acquire(candidates: readonly CatalogEntry[]): BatchSlot | undefined {
    for (const entry of candidates) {
      if (this.capacity(entry) <= 0) continue;
      const lane = this.#lane(entry.model.id);
      lane.inFlight++;
      let open = true;
      return {
        entry,
        done: (outcome) => {
          if (!open) return;
          open = false;
          lane.inFlight--;
          this.#learn(entry, lane, outcome);
        },
      };
    }
    return undefined;
  }

  /** Every lane's state. */
  lanes(entries: readonly CatalogEntry[]): LaneState[] {
    return entries.map((e) => {
      const lane = this.#lane(e.model.id);
      return {
        model: e.model.id,
        inFlight: lane.inFlight,
        window: Math.floor(lane.window),
        capacity: this.capacity(e),
        backingOff: this.#o.now() < lane.backoffUntil,
      };
    });
  }

  /** The most lines the model's suppliers may carry for batches now. */
  #bound(entry: CatalogEntry): number {
    const suppliers = entry.model.suppliers;
    if (tierOf(entry.model) === "batch") return suppliers * this.#o.perSupplier;
    const load = this.#o.interactive;
    if (load?.slowed(entry.model.id)) return 0;
    return suppliers * this.#o.idlePerSupplier - (load?.reserved(entry.model.id) ?? 0);
  }

  #lane(model: string): Lane {
    let lane = this.#lanes.get(model);
    if (!lane) {
      lane = { inFlight: 0, window: 1, backoffUntil: 0, backoffMs: this.#o.backoffMs, lastShrink: 0 };
      this.#lanes.set(model, lane);
    }
    return lane;
  }

  #learn(entry: CatalogEntry, lane: Lane, outcome: SlotOutcome): void {
    const now = this.#o.now();
    const cap = Math.max(1, this.#bound(entry), entry.model.suppliers * this.#o.perSupplier);
    if (outcome.kind === "busy") {
      lane.window = Math.max(1, lane.window / 2);
      lane.backoffUntil = now + lane.backoffMs;
      lane.backoffMs = Math.min(this.#o.maxBackoffMs, lane.backoffMs * 2);
      return;
    }
    if (outcome.kind !== "ok") return;
    lane.backoffMs = this.#o.backoffMs;
    const ms = outcome.latencyMs;
    lane.ewmaMs = lane.ewmaMs === undefined ? ms : lane.ewmaMs + 0.2 * (ms - lane.ewmaMs);
    lane.baselineMs =
      lane.baselineMs === undefined ? lane.ewmaMs : Math.min(lane.ewmaMs, lane.baselineMs * 1.01);
    if (lane.ewmaMs > lane.baselineMs * this.#o.slowFactor) {
      // At most one shrink per baseline latency: the lines already in flight saw the same queue.
      if (now - lane.lastShrink >= lane.baselineMs) {
        lane.window = Math.max(1, lane.window * 0.75);
        lane.lastShrink = now;
      }
      return;
    }
    lane.window = Math.min(cap, lane.window + 1 / Math.max(1, lane.window));
  }
}
