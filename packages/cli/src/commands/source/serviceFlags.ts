import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { resolve } from "node:path";
import { ComputeUnitMode } from "@decai/core";
import type { Hex } from "viem";
import type { ServiceView } from "../../chain/network.js";
import { integerOption } from "../../command.js";
import { UsageError } from "../../output.js";

/**
 * Flags shared by `source register` and `source update`.
 *
 * @example
 * const options = { ...chainOptions, ...serviceOptions } as const;
 */
export const serviceOptions = {
  model: { type: "string" },
  "weights-digest": { type: "string" },
  "weights-file": { type: "string" },
  "share-bps": { type: "string" },
  "cu-per-relay": { type: "string" },
  "cu-per-input-token": { type: "string" },
  "cu-per-output-token": { type: "string" },
} as const;

export const SERVICE_OPTIONS_HELP = `  --model <name>              human-readable model name (e.g. llama-3.1-8b-instruct-q4)
  --weights-file <path>       the model file (GGUF) suppliers must serve; its sha256 is committed
  --weights-digest <0x...>    or the sha256 itself (32 bytes hex)
  --share-bps <n>             your share of every settled claim, in basis points (at most 5000)
  --cu-per-input-token <n>    compute units per input token (per-token pricing)
  --cu-per-output-token <n>   compute units per output token (per-token pricing)
  --cu-per-relay <n>          or a fixed number of compute units per relay (per-relay pricing)`;

type Values = { [K in keyof typeof serviceOptions]?: string };

/** The registry's service fields, in `registerService` / `updateService` argument order after the id. */
export type ServiceFields = {
  modelName: string;
  weightsDigest: Hex;
  sourceShareBps: number;
  cuMode: ComputeUnitMode;
  cuPerRelay: bigint;
  cuPerInputToken: bigint;
  cuPerOutputToken: bigint;
};

/**
 * Builds the service fields from flags over `base` (the current service on update, defaults on register).
 *
 * @example
 * const fields = await serviceFields(values, runtime.cwd, current);
 */
export async function serviceFields(
  values: Values,
  cwd: string,
  base: ServiceFields,
): Promise<ServiceFields> {
  if (values["weights-digest"] !== undefined && values["weights-file"] !== undefined) {
    throw new UsageError("pass either --weights-file or --weights-digest, not both");
  }
  const perToken = values["cu-per-input-token"] !== undefined || values["cu-per-output-token"] !== undefined;
  if (values["cu-per-relay"] !== undefined && perToken) {
    throw new UsageError(
      "pass either --cu-per-relay or --cu-per-input-token/--cu-per-output-token, not both",
    );
  }
  const u64 = (flag: keyof Values, fallback: bigint) =>
    BigInt(integerOption(values[flag], `--${flag}`, Number(fallback)));
  let weightsDigest = base.weightsDigest;
  if (values["weights-digest"] !== undefined) {
    if (!/^0x[0-9a-fA-F]{64}$/.test(values["weights-digest"])) {
      throw new UsageError("--weights-digest must be 0x followed by 64 hex digits (a sha256)");
    }
    weightsDigest = values["weights-digest"] as Hex;
  } else if (values["weights-file"] !== undefined) {
    weightsDigest = await sha256File(resolve(cwd, values["weights-file"]));
  }
  const cuMode =
    values["cu-per-relay"] !== undefined
      ? ComputeUnitMode.PerRelay
      : perToken
        ? ComputeUnitMode.PerToken
        : base.cuMode;
  return {
    modelName: values.model ?? base.modelName,
    weightsDigest,
    sourceShareBps: integerOption(values["share-bps"], "--share-bps", base.sourceShareBps, { max: 10_000 }),
    cuMode,
    cuPerRelay: u64("cu-per-relay", base.cuPerRelay),
    cuPerInputToken: u64("cu-per-input-token", base.cuPerInputToken),
    cuPerOutputToken: u64("cu-per-output-token", base.cuPerOutputToken),
  };
}

/**
 * A service view as the fields `updateService` takes.
 *
 * @example
 * const base = fieldsOf(await readService(conn, id));
 */
export function fieldsOf(service: ServiceView): ServiceFields {
  return {
    modelName: service.modelName,
    weightsDigest: service.weightsDigest,
    sourceShareBps: service.sourceShareBps,
    cuMode: service.cuMode === "per-relay" ? ComputeUnitMode.PerRelay : ComputeUnitMode.PerToken,
    cuPerRelay: service.cuPerRelay,
    cuPerInputToken: service.cuPerInputToken,
    cuPerOutputToken: service.cuPerOutputToken,
  };
}

/**
 * The contract arguments after the service id.
 *
 * @example
 * args: [id, ...fieldArgs(fields)]
 */
export function fieldArgs(f: ServiceFields): readonly unknown[] {
  return [
    f.modelName,
    f.weightsDigest,
    f.sourceShareBps,
    f.cuMode,
    f.cuPerRelay,
    f.cuPerInputToken,
    f.cuPerOutputToken,
  ];
}

/**
 * One line describing how a service prices relays.
 *
 * @example
 * describePricing(fields); // "per token: 1 CU in, 2 CU out"
 */
export function describePricing(f: ServiceFields): string {
  return f.cuMode === ComputeUnitMode.PerRelay
    ? `${f.cuPerRelay} CU per relay`
    : `per token: ${f.cuPerInputToken} CU in, ${f.cuPerOutputToken} CU out`;
}

function sha256File(path: string): Promise<Hex> {
  return new Promise((resolvePromise, reject) => {
    const hash = createHash("sha256");
    createReadStream(path)
      .on("data", (chunk) => hash.update(chunk))
      .on("error", () =>
        reject(new UsageError(`cannot read the weights file ${path}; check the --weights-file path`)),
      )
      .on("end", () => resolvePromise(`0x${hash.digest("hex")}`));
  });
}
