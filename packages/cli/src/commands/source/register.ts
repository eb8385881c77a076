import { serviceRegistryAbi } from "@decai/chain";
import { ComputeUnitMode } from "@decai/core";
import { openSigned, serviceIdOf } from "../../chain/context.js";
import { readService, type ServiceView } from "../../chain/network.js";
import { type Command, positionalArgs } from "../../command.js";
import { CHAIN_OPTIONS_HELP, chainOptions } from "../../config/settings.js";
import { printJson, UsageError } from "../../output.js";
import {
  describePricing,
  fieldArgs,
  fieldsOf,
  SERVICE_OPTIONS_HELP,
  type ServiceFields,
  serviceFields,
  serviceOptions,
} from "./serviceFlags.js";

const options = { ...chainOptions, ...serviceOptions, "batch-of": { type: "string" } } as const;

/**
 * `decai source register <name>`: publishes a model as a service; the signer becomes its source.
 *
 * @example
 * await main(["source", "register", "tiny-llama", "--weights-file", "tiny.gguf", "--key", "source"]);
 */
export const sourceRegisterCommand: Command<typeof options> = {
  name: "source register",
  summary: "register a service (one model) and earn a share of every claim on it",
  help: `Usage: decai source register <name> --weights-file <model.gguf> [options]
       decai source register [name] --batch-of <service> [--cu-per-input-token n --cu-per-output-token n]

Registers service <name> (1-32 characters: a-z, 0-9, '.', '_', '-') in the ServiceRegistry with your key
as its source. You earn --share-bps of every settled claim on it. Suppliers stake for it by name.

With --batch-of <service> (one of yours), registers its batch tier: a cheaper service for the same weights,
for latency-tolerant work (batch jobs, agents, evaluations) on otherwise idle hardware. Suppliers stake for
it like any service; gateways list it as <service>:batch and send batch jobs there first. Its compute-unit
weights must be lower (default: half the interactive ones); the name defaults to <service>.batch.

Options:
${SERVICE_OPTIONS_HELP}
  --batch-of <service>        register the batch tier of this interactive service
  Defaults: --model <name>, --share-bps 1000 (10%), per-token pricing with 1 CU per input and output token.
${CHAIN_OPTIONS_HELP}

Examples:
  decai source register tiny-llama --weights-file tiny.gguf --share-bps 1000 --key source
  decai source register --batch-of tiny-llama --cu-per-output-token 1 --key source`,
  options,
  async run(values, positionals, output, runtime) {
    if (values["batch-of"] !== undefined) return registerBatchTier(values, positionals, output, runtime);
    const [name] = positionalArgs(positionals, this, ["<name>"]) as [string];
    const id = serviceIdOf(name);
    if (values["weights-file"] === undefined && values["weights-digest"] === undefined) {
      throw new UsageError(
        "give the model suppliers must serve: --weights-file <model.gguf> (its sha256 is committed) or --weights-digest 0x...",
      );
    }
    const fields = await serviceFields(values, runtime.cwd, {
      modelName: name,
      weightsDigest: `0x${"00".repeat(32)}`,
      sourceShareBps: 1000,
      cuMode: ComputeUnitMode.PerToken,
      cuPerRelay: 0n,
      cuPerInputToken: 1n,
      cuPerOutputToken: 1n,
    });
    const { conn, tx, settings } = await openSigned(values, runtime, output);
    const existing = await readService(conn, id);
    if (existing) {
      const mine = existing.source.toLowerCase() === tx.signer.address.toLowerCase();
      throw new UsageError(
        mine
          ? `service "${name}" is already registered by you; change it with \`decai source update ${name}\``
          : `service "${name}" is already registered by ${existing.source}; pick another name`,
      );
    }
    const { hash } = await tx.send(`registering service "${name}"`, {
      address: conn.deployment.contracts.serviceRegistry,
      abi: serviceRegistryAbi,
      functionName: "registerService",
      args: [id, ...fieldArgs(fields)],
    });
    if (settings.json) {
      printJson(output, { service: name, id, source: tx.signer.address, ...fields, tx: hash });
    } else {
      output.out(`Registered service "${name}" (${fields.modelName}) with source ${tx.signer.address}`);
      output.out(`  weights ${fields.weightsDigest}`);
      output.out(`  source share ${fields.sourceShareBps / 100}%, ${describePricing(fields)}`);
    }
    return 0;
  },
};

/** `decai source register [name] --batch-of <service>`: the cheaper batch tier of one of your services. */
async function registerBatchTier(
  values: Parameters<typeof sourceRegisterCommand.run>[0],
  positionals: string[],
  output: Parameters<typeof sourceRegisterCommand.run>[2],
  runtime: Parameters<typeof sourceRegisterCommand.run>[3],
): Promise<number> {
  const of = values["batch-of"] as string;
  const [given] = positionalArgs(positionals, sourceRegisterCommand, [], ["[name]"]);
  const name = given ?? `${of}.batch`;
  for (const flag of ["weights-file", "weights-digest", "model"] as const) {
    if (values[flag] !== undefined) {
      throw new UsageError(
        `--${flag} does not go with --batch-of: the batch tier serves ${of}'s model and weights`,
      );
    }
  }
  const id = serviceIdOf(name);
  const ofId = serviceIdOf(of);
  const { conn, tx, settings } = await openSigned(values, runtime, output);
  const interactive = await readService(conn, ofId);
  if (!interactive) throw new UsageError(`service "${of}" is not registered; register it first`);
  if (interactive.source.toLowerCase() !== tx.signer.address.toLowerCase()) {
    throw new UsageError(
      `service "${of}" belongs to ${interactive.source}: only its source can add a batch tier`,
    );
  }
  if (await readService(conn, id))
    throw new UsageError(`service "${name}" is already registered; pick another name`);
  const fields = await serviceFields(values, runtime.cwd, halfPrice(interactive));
  const { hash } = await tx.send(`registering "${name}" as the batch tier of "${of}"`, {
    address: conn.deployment.contracts.serviceRegistry,
    abi: serviceRegistryAbi,
    functionName: "registerBatchService",
    args: [id, ofId, ...fieldArgs(fields).slice(2)],
  });
  if (settings.json) {
    printJson(output, { service: name, id, batchOf: of, source: tx.signer.address, ...fields, tx: hash });
  } else {
    output.out(`Registered the batch tier "${name}" of "${of}" (gateways list it as ${of}:batch)`);
    output.out(`  ${describePricing(fields)} (interactive: ${describePricing(fieldsOf(interactive))})`);
    output.out(`  suppliers stake for it like any service: decai supplier stake --service ${name}=<url>`);
  }
  return 0;
}

/** The interactive service's fields at half its compute-unit weights (rounded down): the default batch price. */
function halfPrice(service: ServiceView): ServiceFields {
  const base = fieldsOf(service);
  const half = {
    ...base,
    cuPerRelay: base.cuPerRelay / 2n,
    cuPerInputToken: base.cuPerInputToken / 2n,
    cuPerOutputToken: base.cuPerOutputToken / 2n,
  };
  // 1 CU in and out halves to nothing: drop the input weight only, still a lower price.
  if (half.cuPerInputToken === 0n && half.cuPerOutputToken === 0n && base.cuPerInputToken > 0n) {
    half.cuPerOutputToken = base.cuPerOutputToken;
  }
  return half;
}
