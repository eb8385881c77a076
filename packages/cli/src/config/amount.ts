import { formatUnits, parseUnits } from "viem";
import { UsageError } from "../output.js";

/** The token an amount is in: what `formatAmount` prints and `parseAmount` scales by. */
export type TokenUnits = { symbol: string; decimals: number };

/**
 * Parses a human amount: `"100"` or `"2.5"` are whole tokens (scaled by the token's decimals), `"100wei"` is
 * base units. Rejects negatives, exponents and more fraction digits than the token has.
 *
 * @example
 * parseAmount("100", { symbol: "DST", decimals: 18 }, "amount"); // 100000000000000000000n
 * parseAmount("5wei", { symbol: "DST", decimals: 18 }, "amount"); // 5n
 */
export function parseAmount(raw: string, token: TokenUnits, what: string): bigint {
  const text = raw.trim().replace(/_/g, "");
  const wei = /^(\d+)\s*wei$/i.exec(text);
  if (wei?.[1]) return BigInt(wei[1]);
  const tokens = /^(\d+)(?:\.(\d+))?$/.exec(text);
  if (!tokens) {
    throw new UsageError(`${what} "${raw}" is not an amount: write tokens (100, 2.5) or base units (100wei)`);
  }
  if ((tokens[2]?.length ?? 0) > token.decimals) {
    throw new UsageError(
      `${what} "${raw}" has more than ${token.decimals} decimals (the ${token.symbol} token's)`,
    );
  }
  return parseUnits(text, token.decimals);
}

/**
 * Checks the syntax of an amount before anything is read from the chain (the token's decimals are not known yet).
 *
 * @example
 * checkAmountSyntax(positionals[0], "amount");
 */
export function checkAmountSyntax(raw: string, what: string): string {
  parseAmount(raw, { symbol: "token", decimals: 255 }, what);
  return raw;
}

/**
 * Formats base units as tokens with the symbol, e.g. `"1,234.5 DST"`.
 *
 * @example
 * formatAmount(1234500000000000000000n, { symbol: "DST", decimals: 18 }); // "1,234.5 DST"
 */
export function formatAmount(amount: bigint, token: TokenUnits): string {
  const [whole = "0", fraction] = formatUnits(amount, token.decimals).split(".");
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  return `${grouped}${fraction ? `.${fraction}` : ""} ${token.symbol}`;
}
