// Idle-hardware suppliers: serve while the machine is free (inside the serving hours, other processes leaving the
// CPU and GPU alone), pause otherwise — the same drain and on-chain pause as `decai supplier pause`.
import type { DrainGate } from "../drain.js";
import type { Logger } from "../log.js";
import type { ScheduleConfig } from "./config.js";
import { withinHours } from "./hours.js";

/** What one check found. */
export type ScheduleVerdict = {
  /** Whether the conditions allow serving now. */
  serve: boolean;
  /** Why not, for logs (empty when serving). */
  why: string[];
  cpu?: number;
  gpu?: number;
};

/** Options of {@link ServingSchedule}. */
export type ServingScheduleOptions = {
  config: ScheduleConfig;
  gate: DrainGate;
  log: Logger;
  /** Pauses / resumes the supplier on-chain (idempotent); omit to only drain locally. */
  chain?: { pause(): Promise<void>; resume(): Promise<void> };
  /** Other processes' CPU share since the last call (`cpuLoadSampler`). */
  cpu?: () => number;
  /** Other processes' GPU share (`gpuLoadSampler`); `undefined`: no GPU to watch. */
  gpu?: () => Promise<number | undefined>;
  now?: () => Date;
};

/**
 * Checks the schedule every `checkIntervalMs` and, once `samples` checks in a row agree, pauses (drain, then
 * `pauseSupplier` on-chain) or resumes (`resumeSupplier`, then take relays again). An operator's pause wins: the
 * schedule never resumes what `decai supplier pause` paused.
 *
 * @example
 * const schedule = new ServingSchedule({ config: config.schedule, gate: miner.drain, log, chain, cpu: cpuLoadSampler() });
 * schedule.start();
 */
export class ServingSchedule {
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<unknown> | undefined;
  #streak = 0;
  #chainWants: "pause" | "resume" | undefined;

  constructor(private readonly options: ServingScheduleOptions) {}

  /** Whether the schedule holds the supplier paused now. */
  get paused(): boolean {
    return this.options.gate.holds("schedule");
  }

  start(): void {
    const loop = () => {
      this.#running = this.tick().catch((error) => this.options.log.warn("schedule check failed", { error }));
      void this.#running.finally(() => {
        if (this.#timer) this.#timer = setTimeout(loop, this.options.config.checkIntervalMs);
      });
    };
    this.#timer = setTimeout(loop, 0);
  }

  async stop(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#running;
  }

  /** What the conditions say right now. */
  async verdict(): Promise<ScheduleVerdict> {
    const { config } = this.options;
    const why: string[] = [];
    const verdict: ScheduleVerdict = { serve: true, why };
    if (config.hours && !withinHours(config.hours, (this.options.now ?? (() => new Date()))(), config.utc)) {
      why.push("outside the serving hours");
    }
    if (config.maxCpuLoad !== undefined && this.options.cpu) {
      verdict.cpu = this.options.cpu();
      if (verdict.cpu > config.maxCpuLoad) why.push(`other processes use ${pct(verdict.cpu)} of the CPU`);
    }
    if (config.maxGpuLoad !== undefined && this.options.gpu) {
      const gpu = await this.options.gpu();
      if (gpu !== undefined) {
        verdict.gpu = gpu;
        if (gpu > config.maxGpuLoad) why.push(`other processes use ${pct(gpu)} of the GPU`);
      }
    }
    verdict.serve = why.length === 0;
    return verdict;
  }

  /** One check; switches once `samples` checks in a row disagree with the current state. */
  async tick(): Promise<ScheduleVerdict> {
    await this.#syncChain();
    const verdict = await this.verdict();
    const wantsPause = !verdict.serve;
    if (wantsPause === this.paused) {
      this.#streak = 0;
      return verdict;
    }
    if (++this.#streak < this.options.config.samples) return verdict;
    this.#streak = 0;
    const { gate, log } = this.options;
    if (wantsPause) {
      log.info("schedule: pausing", { why: verdict.why, cpu: verdict.cpu, gpu: verdict.gpu });
      const drained = gate.pause("schedule");
      this.#chainWants = "pause";
      await this.#syncChain();
      await drained;
      log.info("schedule: paused and drained", { ...gate.state });
    } else {
      log.info("schedule: resuming", { cpu: verdict.cpu, gpu: verdict.gpu });
      this.#chainWants = "resume";
      await this.#syncChain();
      gate.resume("schedule");
    }
    return verdict;
  }

  /** Brings the on-chain pause in line with the schedule; a failure is retried on the next check. */
  async #syncChain(): Promise<void> {
    const { chain, config, gate } = this.options;
    const wants = this.#chainWants;
    if (!wants || !chain || !config.onChain) return;
    // The operator's on-chain pause is theirs to lift.
    if (wants === "resume" && gate.holds("operator")) {
      this.#chainWants = undefined;
      return;
    }
    await (wants === "pause" ? chain.pause() : chain.resume());
    if (this.#chainWants === wants) this.#chainWants = undefined;
  }
}

const pct = (share: number) => `${Math.round(share * 100)}%`;
