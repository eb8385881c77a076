import type { Address, Hex } from "viem";
import { describe, expect, it } from "vitest";
import { escrowCap, RelayMeter } from "../src/index.js";

const app = "0x00000000000000000000000000000000000000A1" as Address;
const other = "0x00000000000000000000000000000000000000b2" as Address;
const svc = `0x${"11".repeat(32)}` as Hex;

describe("RelayMeter", () => {
  it("reserves the worst case, settles to the actual weight and refuses past the cap", () => {
    const meter = new RelayMeter(() => 100n);
    const a = meter.reserve(app, svc, 5n, 60n);
    expect(a).toBeDefined();
    expect(meter.reserve(app, svc, 5n, 41n)).toBeUndefined(); // 60 reserved + 41 > 100
    const b = meter.reserve(app, svc, 5n, 40n);
    expect(meter.usage(app, svc, 5n)).toEqual({ used: 0n, reserved: 100n });
    meter.settle(a as NonNullable<typeof a>, 10n);
    meter.release(b as NonNullable<typeof b>);
    expect(meter.usage(app, svc, 5n)).toEqual({ used: 10n, reserved: 0n });
    expect(meter.reserve(app, svc, 5n, 90n)).toBeDefined();
    expect(meter.reserve(app, svc, 5n, 1n)).toBeUndefined();
    // Other applications and sessions have their own share; addresses compare case-insensitively.
    expect(meter.reserve(other, svc, 5n, 100n)).toBeDefined();
    expect(meter.reserve(app, svc, 6n, 100n)).toBeDefined();
    expect(meter.usage(app.toLowerCase() as Address, svc, 5n).used).toBe(10n);
  });

  it("settles or releases a reservation once", () => {
    const meter = new RelayMeter(() => 10n);
    const r = meter.reserve(app, svc, 1n, 5n) as NonNullable<ReturnType<RelayMeter["reserve"]>>;
    meter.settle(r, 5n);
    expect(() => meter.release(r)).toThrow(/already/);
  });

  it("forgets sessions that can no longer be served, once their relays in flight are done", () => {
    const meter = new RelayMeter(() => 10n);
    const done = meter.reserve(app, svc, 0n, 3n) as NonNullable<ReturnType<RelayMeter["reserve"]>>;
    meter.settle(done, 3n);
    const running = meter.reserve(app, svc, 1n, 5n) as NonNullable<ReturnType<RelayMeter["reserve"]>>;
    meter.reserve(app, svc, 2n, 5n);
    meter.forgetBefore(2n);
    expect(meter.usage(app, svc, 0n)).toEqual({ used: 0n, reserved: 0n });
    // A relay of session 1 still runs: the session is kept (its claim waits for it) until it is done.
    expect(meter.usage(app, svc, 1n).reserved).toBe(5n);
    meter.settle(running, 4n);
    meter.forgetBefore(2n);
    expect(meter.usage(app, svc, 1n)).toEqual({ used: 0n, reserved: 0n });
    expect(meter.usage(app, svc, 2n).reserved).toBe(5n);
  });
});

describe("escrowCap", () => {
  it("is escrow / (suppliersPerSession × pendingSessions) / paymentPerComputeUnit, per session's epoch", () => {
    const chain = {
      escrow: (a: Address) => (a === app ? 1_000_000n : 0n),
      epochs: [
        { startSession: 0n, suppliersPerSession: 5 },
        { startSession: 10n, suppliersPerSession: 2 },
      ],
    };
    const cap = escrowCap(chain, { pendingSessions: 4n, paymentPerComputeUnit: 10n });
    expect(cap(app, svc, 3n)).toBe(1_000_000n / 20n / 10n);
    expect(cap(app, svc, 12n)).toBe(1_000_000n / 8n / 10n);
    expect(cap(other, svc, 3n)).toBe(0n);
    expect(() => escrowCap(chain, { pendingSessions: 0n, paymentPerComputeUnit: 1n })).toThrow(/positive/);
  });
});
