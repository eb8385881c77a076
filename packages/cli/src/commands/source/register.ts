import { serviceRegistryAbi } from "@decai/chain";
import { ComputeUnitMode } from "@decai/core";
import { openSigned, serviceIdOf } from "../../chain/context.js";
import { readService } from "../../chain/network.js";
import { type Command, positionalArgs } from "../../command.js";
import { CHAIN_OPTIONS_HELP, chainOptions } from "../../config/settings.js";
import { printJson, UsageError } from "../../output.js";
import {
  describePricing,
  fieldArgs,
  SERVICE_OPTIONS_HELP,
  serviceFields,
  serviceOptions,
} from "./serviceFlags.js";

const options = { ...chainOptions, ...serviceOptions } as const;

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

Registers service <name> (1-32 characters: a-z, 0-9, '.', '_', '-') in the ServiceRegistry with your key
as its source. You earn --share-bps of every settled claim on it. Suppliers stake for it by name.

Options:
${SERVICE_OPTIONS_HELP}
  Defaults: --model <name>, --share-bps 1000 (10%), per-token pricing with 1 CU per input and output token.
${CHAIN_OPTIONS_HELP}

Example:
  decai source register tiny-llama --weights-file tiny.gguf --share-bps 1000 --key source`,
  options,
  async run(values, positionals, output, runtime) {
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
