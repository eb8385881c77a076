// The budget a batch holds up front: each line's worst case, as the interactive path reserves it (every body byte
// an input token, `max_tokens` × `n` output tokens, at the dearest tier the line may run on).
import type { ReserveAmount } from "../budget.js";
import { GatewayError } from "../errors.js";
import type { ApiKeyRecord } from "../keys/types.js";
import { costOf } from "../pricing.js";
import type { EndpointSpec } from "../routes/params.js";
import type { Aliases, Catalog } from "../routing.js";
import type { InputLine } from "./jsonl.js";
import { batchRoute } from "./models.js";
import type { BatchLineError, NewLine } from "./types.js";

/**
 * Routes every line (batch tier first, then the interactive model) and computes its hold; for keys with budgets,
 * generating lines without `max_tokens` get `defaultMaxTokens` (the hold needs a bound). Lines whose model does
 * not exist or is not allowed come back as errors.
 *
 * @example
 * const { lines, hold, errors } = planBatch(parsed.lines, { spec, catalog, key, aliases: {}, defaultMaxTokens: 1024 });
 */
export function planBatch(
  input: readonly InputLine[],
  ctx: {
    spec: EndpointSpec;
    catalog: Catalog;
    key: ApiKeyRecord;
    aliases: Aliases;
    defaultMaxTokens: number;
  },
): { lines: NewLine[]; hold: ReserveAmount; errors: BatchLineError[] } {
  const { spec, key } = ctx;
  const bounded = key.limits.costBudget !== null || key.limits.tokenBudget !== null;
  const lines: NewLine[] = [];
  const errors: BatchLineError[] = [];
  const hold: ReserveAmount = { cost: 0n, tokens: 0 };
  for (const line of input) {
    let candidates: ReturnType<typeof batchRoute>["candidates"];
    try {
      candidates = batchRoute({
        catalog: ctx.catalog,
        requested: line.model,
        allowed: key.limits.models,
        aliases: ctx.aliases,
      }).candidates;
    } catch (error) {
      const e = error as GatewayError;
      errors.push({ code: e.code, message: e.message, param: "body.model", line: line.index + 1 });
      continue;
    }
    const body = { ...line.body };
    let maxTokens = (body.max_completion_tokens ?? body.max_tokens) as number | undefined;
    if (spec.generates && maxTokens === undefined && bounded) {
      maxTokens = ctx.defaultMaxTokens;
      body.max_tokens = maxTokens;
    }
    const n = spec.generates ? ((body.n as number | undefined) ?? 1) : 0;
    const worst = { inputTokens: line.bytes, outputTokens: (maxTokens ?? 0) * n };
    let cost = 0n;
    for (const c of candidates) {
      const worstCost = costOf(c.price, worst);
      if (worstCost > cost) cost = worstCost;
    }
    const tokens = worst.inputTokens + worst.outputTokens;
    hold.cost += cost;
    hold.tokens += tokens;
    lines.push({
      index: line.index,
      customId: line.customId,
      body,
      model: line.model,
      holdCost: cost,
      holdTokens: tokens,
    });
  }
  return { lines, hold, errors };
}

/** 400 unless `value` is a non-empty string. */
export function requiredString(value: unknown, param: string): string {
  if (typeof value !== "string" || value === "") {
    throw new GatewayError("missing_required_parameter", `Missing required parameter: '${param}'.`, {
      param,
    });
  }
  return value;
}
