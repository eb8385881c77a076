import type { TokenInfo } from "@decai/chain";

/**
 * Base units as tokens with the symbol, grouped and cut to `digits` decimals (three significant digits below
 * one token), e.g. `"1,234.5 DPT"`, `"0.0000315 DPT"`.
 *
 * @example
 * formatAmount("1234500000000000000000", { symbol: "DPT", decimals: 18 }); // "1,234.5 DPT"
 */
export function formatAmount(
  raw: string | undefined,
  token: Pick<TokenInfo, "symbol" | "decimals">,
  digits = 6,
): string {
  const value = BigInt(raw ?? "0");
  const negative = value < 0n;
  const abs = negative ? -value : value;
  const unit = 10n ** BigInt(token.decimals);
  const whole = (abs / unit).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  const digitsOf = (abs % unit).toString().padStart(token.decimals, "0");
  // Small amounts keep three significant digits, so parts still add up to their total on screen.
  const keep = abs > 0n && abs < unit ? Math.max(digits, digitsOf.search(/[1-9]/) + 3) : digits;
  const fraction = digitsOf.slice(0, keep).replace(/0+$/, "");
  const sign = negative ? "-" : "";
  return `${sign}${whole}${fraction ? `.${fraction}` : ""} ${token.symbol}`;
}

/**
 * Base units as a plain number of tokens, for charts.
 *
 * @example
 * tokenNumber("1500000000000000000", { decimals: 18 }); // 1.5
 */
export function tokenNumber(raw: string, token: Pick<TokenInfo, "decimals">): number {
  const value = BigInt(raw);
  const shift = token.decimals > 9 ? token.decimals - 9 : 0;
  return Number(value / 10n ** BigInt(shift)) / 10 ** (token.decimals - shift);
}

/**
 * `0x1234…abcd`.
 *
 * @example
 * shortHex("0x70997970C51812dc3A010C7d01b50e0d17dc79C8"); // "0x7099…79C8"
 */
export function shortHex(value: string, keep = 4): string {
  return value.length > 2 + keep * 2 + 1 ? `${value.slice(0, 2 + keep)}…${value.slice(-keep)}` : value;
}

/**
 * A whole number with thousands separators.
 *
 * @example
 * formatCount("1234567"); // "1,234,567"
 */
export function formatCount(value: string | number | bigint): string {
  return String(value).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}

/**
 * Milliseconds for a table cell: "—" when unknown.
 *
 * @example
 * formatMs(1234.5); // "1,235 ms"
 */
export function formatMs(value: number | null | undefined): string {
  return value === null || value === undefined ? "—" : `${formatCount(Math.round(value))} ms`;
}

/**
 * How long ago an ISO time was, roughly.
 *
 * @example
 * ago(new Date(Date.now() - 3000).toISOString()); // "3 s ago"
 */
export function ago(iso: string | null | undefined): string {
  if (!iso) return "never";
  const s = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000));
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  return `${Math.round(s / 3600)} h ago`;
}

/**
 * A chart axis number: short, without float noise.
 *
 * @example
 * trimNumber(0.000123456); // "0.000123"
 */
export function trimNumber(v: number): string {
  if (v === 0) return "0";
  if (Math.abs(v) >= 1000) return v.toLocaleString("en-US", { maximumFractionDigits: 0 });
  return Number(v.toPrecision(3)).toString();
}

/**
 * Parses a token amount typed by a person ("2.5") into base units; undefined when it is not one.
 *
 * @example
 * parseTokens("2.5", { decimals: 18 }); // "2500000000000000000"
 */
export function parseTokens(text: string, token: Pick<TokenInfo, "decimals">): string | undefined {
  const m = /^(\d+)(?:\.(\d+))?$/.exec(text.trim().replace(/[_,]/g, ""));
  if (!m || (m[2]?.length ?? 0) > token.decimals) return undefined;
  const fraction = (m[2] ?? "").padEnd(token.decimals, "0");
  return (BigInt(m[1] ?? "0") * 10n ** BigInt(token.decimals) + BigInt(fraction || "0")).toString();
}

/**
 * A gateway's check counts as text: `{ watcher: { passed: 3, failed: 1 } }` → "watcher 3/4 passed"; kinds that never
 * ran are left out.
 *
 * @example
 * describeChecks({ watcher: { passed: 3, failed: 1 }, reexecution: { passed: 0, failed: 0 } }); // "watcher 3/4 passed"
 */
export function describeChecks(checks: unknown): string {
  if (checks === null || checks === undefined) return "—";
  if (typeof checks !== "object") return String(checks);
  const parts = Object.entries(checks as Record<string, unknown>).flatMap(([kind, v]) => {
    const { passed, failed } = (v ?? {}) as { passed?: unknown; failed?: unknown };
    if (typeof passed !== "number" || typeof failed !== "number") return [`${kind} ${JSON.stringify(v)}`];
    return passed + failed === 0 ? [] : [`${kind} ${passed}/${passed + failed} passed`];
  });
  return parts.length ? parts.join(", ") : "none yet";
}

/**
 * Evidence as a count: a number, or the length of a list.
 *
 * @example
 * describeEvidence(2); // "2"
 */
export function describeEvidence(evidence: unknown): string {
  if (evidence === null || evidence === undefined) return "—";
  if (Array.isArray(evidence)) return String(evidence.length);
  return typeof evidence === "object" ? String(Object.keys(evidence).length) : String(evidence);
}
