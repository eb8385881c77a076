// The serving schedule of idle-hardware suppliers: serving hours, other processes' CPU/GPU load, hysteresis, and
// the same drain + on-chain pause as the operator's, against a real anvil for the chain half.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stakingAbi } from "@decai/chain";
import { createWalletClient, http } from "viem";
import { privateKeyToAccount, privateKeyToAddress } from "viem/accounts";
import { foundry } from "viem/chains";
import { afterAll, describe, expect, it } from "vitest";
import {
  ConfigError,
  DrainGate,
  gpuLoadFromPmon,
  loadConfig,
  onChainPause,
  parseHours,
  parseScheduleConfig,
  type ScheduleConfig,
  ServingSchedule,
  silentLogger,
  withinHours,
} from "../src/index.js";
import { startWorld, type World } from "./helpers/world.js";

const fail = (message: string, hint: string): never => {
  throw new ConfigError(message, hint);
};
const at = (hhmm: string) => new Date(`2026-03-02T${hhmm}:00Z`);

describe("serving hours", () => {
  it("reads daily windows, including ones across midnight", () => {
    const day = parseHours(["09:00-18:00"]);
    expect(withinHours(day, at("09:00"), true)).toBe(true);
    expect(withinHours(day, at("17:59"), true)).toBe(true);
    expect(withinHours(day, at("18:00"), true)).toBe(false);
    const night = parseHours(["22:00-06:30", "12:00-13:00"]);
    expect(withinHours(night, at("23:15"), true)).toBe(true);
    expect(withinHours(night, at("03:00"), true)).toBe(true);
    expect(withinHours(night, at("12:30"), true)).toBe(true);
    expect(withinHours(night, at("07:00"), true)).toBe(false);
  });

  it("rejects malformed windows with a hint", () => {
    expect(() => parseHours(["9-5"])).toThrow(/not a window like 09:00-18:00/);
    expect(() => parseHours(["10:00-10:00"])).toThrow(/empty/);
    expect(() => parseScheduleConfig({ hours: "25:00-02:00" }, fail)).toThrow(ConfigError);
    expect(() => parseScheduleConfig({ maxCpuLoad: 1.5 }, fail)).toThrow(/share from 0 to 1/);
    expect(() => parseScheduleConfig({ samples: 0 }, fail)).toThrow(/at least 1/);
  });
});

describe("nvidia-smi pmon", () => {
  const pmon = `# gpu         pid   type     sm    mem    enc    dec    command
# Idx           #    C/G      %      %      %      %    name
    0       4242     C     35     10      -      -    python
    0       1111     C     40     20      -      -    llama-server
    1       5151     C      5      1      -      -    blender
    1          -     -      -      -      -      -    -
`;
  it("sums other processes' SM share on the busiest GPU, leaving ours out", () => {
    expect(gpuLoadFromPmon(pmon, { ownPids: [], ownProcesses: ["llama-server"] })).toBeCloseTo(0.35);
    expect(gpuLoadFromPmon(pmon, { ownPids: [4242], ownProcesses: [] })).toBeCloseTo(0.4);
    expect(gpuLoadFromPmon(pmon, { ownPids: [], ownProcesses: [] })).toBeCloseTo(0.75);
    expect(
      gpuLoadFromPmon("# gpu pid\n    0   -  -  -  -  -  -  -\n", { ownPids: [], ownProcesses: [] }),
    ).toBe(0);
  });
});

describe("ServingSchedule", () => {
  const config = (extra: Partial<ScheduleConfig> = {}): ScheduleConfig => ({
    utc: true,
    ownProcesses: [],
    checkIntervalMs: 1000,
    samples: 2,
    onChain: true,
    ...extra,
  });

  it("pauses after `samples` busy checks, resumes after `samples` idle ones, driving gate and chain", async () => {
    const gate = new DrainGate();
    let cpu = 0.1;
    const chain: string[] = [];
    const schedule = new ServingSchedule({
      config: config({ maxCpuLoad: 0.5 }),
      gate,
      log: silentLogger,
      cpu: () => cpu,
      chain: { pause: async () => void chain.push("pause"), resume: async () => void chain.push("resume") },
    });
    expect((await schedule.tick()).serve).toBe(true);
    cpu = 0.9;
    const busy = await schedule.tick();
    expect(busy).toMatchObject({ serve: false, cpu: 0.9 });
    expect(busy.why[0]).toMatch(/90% of the CPU/);
    expect(gate.paused).toBe(false); // one busy check is a spike, not a reason
    await schedule.tick();
    expect(gate.state.reasons).toEqual(["schedule"]);
    expect(chain).toEqual(["pause"]);
    cpu = 0.2;
    await schedule.tick();
    expect(gate.paused).toBe(true);
    await schedule.tick();
    expect(gate.paused).toBe(false);
    expect(chain).toEqual(["pause", "resume"]);
  });

  it("follows the serving hours and never lifts an operator's pause on-chain", async () => {
    const gate = new DrainGate();
    let now = at("08:00");
    const chain: string[] = [];
    const schedule = new ServingSchedule({
      config: config({ hours: parseHours(["09:00-17:00"]), samples: 1 }),
      gate,
      log: silentLogger,
      now: () => now,
      chain: { pause: async () => void chain.push("pause"), resume: async () => void chain.push("resume") },
    });
    expect((await schedule.tick()).why).toEqual(["outside the serving hours"]);
    expect(gate.holds("schedule")).toBe(true);
    void gate.pause("operator");
    now = at("10:00");
    await schedule.tick();
    expect(gate.holds("schedule")).toBe(false);
    expect(gate.paused).toBe(true); // still the operator's
    expect(chain).toEqual(["pause"]);
  });

  it("ignores the GPU condition where nvidia-smi is missing, and retries a failed chain call", async () => {
    const gate = new DrainGate();
    let failing = true;
    const calls: string[] = [];
    const schedule = new ServingSchedule({
      config: config({ maxGpuLoad: 0.1, hours: parseHours(["00:00-00:01"]), samples: 1 }),
      gate,
      log: silentLogger,
      now: () => at("12:00"),
      gpu: async () => undefined,
      chain: {
        pause: async () => {
          calls.push("pause");
          if (failing) throw new Error("rpc down");
        },
        resume: async () => {},
      },
    });
    const verdict = await schedule.verdict();
    expect(verdict.gpu).toBeUndefined();
    await expect(schedule.tick()).rejects.toThrow(/rpc down/);
    expect(gate.paused).toBe(true); // drained locally at once
    failing = false;
    await schedule.tick();
    expect(calls).toEqual(["pause", "pause"]);
  });

  it("is read from the config file", () => {
    const dir = mkdtempSync(join(tmpdir(), "decai-schedule-"));
    try {
      writeFileSync(join(dir, "key"), `0x${"11".repeat(32)}`);
      writeFileSync(
        join(dir, "rm.json"),
        JSON.stringify({
          supplierKeyFile: "key",
          contracts: {
            sessionClock: `0x${"01".repeat(20)}`,
            serviceRegistry: `0x${"02".repeat(20)}`,
            staking: `0x${"03".repeat(20)}`,
          },
          verifyingContract: `0x${"04".repeat(20)}`,
          services: [{ name: "tiny-llama", backend: "http://127.0.0.1:8080" }],
          schedule: { hours: ["22:00-07:00"], maxGpuLoad: 0.2, ownProcesses: ["ollama"], onChain: false },
        }),
      );
      const cfg = loadConfig({ argv: ["--config", join(dir, "rm.json")], env: {} });
      expect(cfg.schedule).toMatchObject({
        hours: [{ from: 1320, to: 420 }],
        maxGpuLoad: 0.2,
        ownProcesses: ["ollama"],
        onChain: false,
        samples: 2,
        checkIntervalMs: 15_000,
      });
      expect(loadConfig({ argv: ["--config", join(dir, "rm.json")], env: {} }).schedule?.utc).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("on-chain pause of the schedule", () => {
  let world: World;
  afterAll(async () => {
    await world?.stop();
  });

  it("pauses and resumes the supplier on-chain, idempotently", async () => {
    world = await startWorld();
    const key = world.suppliers.A;
    const supplier = privateKeyToAddress(key);
    const walletClient = createWalletClient({
      account: privateKeyToAccount(key),
      chain: foundry,
      transport: http(world.net.anvil.rpcUrl),
    });
    const chain = onChainPause({
      publicClient: world.net.publicClient,
      walletClient,
      staking: world.net.contracts.staking,
    });
    const pausedFrom = () =>
      world.net.publicClient.readContract({
        address: world.net.contracts.staking,
        abi: stakingAbi,
        functionName: "supplierPausedFrom",
        args: [supplier],
      });
    const session = await world.net.actions.currentSession();
    await chain.pause();
    await chain.pause(); // already paused: no second transaction (it would revert)
    expect(await pausedFrom()).toBe(session + 1n);
    await chain.resume();
    await chain.resume();
    expect(await pausedFrom()).toBe(0n);
  }, 240_000);
});
