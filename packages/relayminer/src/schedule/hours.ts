// Daily serving windows: "09:00-18:00", or "22:00-06:00" across midnight.

/** Daily windows as minutes since midnight, [from, to); `to < from` wraps midnight. */
export type ServingHours = readonly { from: number; to: number }[];

const clock = /^([01]?\d|2[0-3]):([0-5]\d)$/;

function minutes(text: string, spec: string): number {
  const m = clock.exec(text.trim());
  if (!m) throw new Error(`"${spec}" is not a window like 09:00-18:00`);
  return Number(m[1]) * 60 + Number(m[2]);
}

/**
 * Parses windows such as `["09:00-18:00", "22:00-06:00"]`; throws on anything else.
 *
 * @example
 * parseHours(["22:00-06:00"]); // [{ from: 1320, to: 360 }]
 */
export function parseHours(specs: unknown): ServingHours {
  if (!Array.isArray(specs) || specs.length === 0 || !specs.every((s) => typeof s === "string")) {
    throw new Error("schedule.hours must be a non-empty list of windows like 09:00-18:00");
  }
  return specs.map((spec: string) => {
    const [a, b, ...rest] = spec.split("-");
    if (a === undefined || b === undefined || rest.length)
      throw new Error(`"${spec}" is not a window like 09:00-18:00`);
    const from = minutes(a, spec);
    const to = minutes(b, spec);
    if (from === to) throw new Error(`"${spec}" is empty: give different start and end times`);
    return { from, to };
  });
}

/**
 * Whether `at` falls inside one of the windows (local time, or UTC).
 *
 * @example
 * withinHours(parseHours(["22:00-06:00"]), new Date("2026-01-01T23:30:00"), false); // true
 */
export function withinHours(hours: ServingHours, at: Date, utc: boolean): boolean {
  const now = utc ? at.getUTCHours() * 60 + at.getUTCMinutes() : at.getHours() * 60 + at.getMinutes();
  return hours.some(({ from, to }) => (from < to ? now >= from && now < to : now >= from || now < to));
}
