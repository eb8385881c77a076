import { serviceRegistryAbi } from "@decai/chain";
import { openSigned, serviceIdOf } from "../../chain/context.js";
import { readService } from "../../chain/network.js";
import { type Command, positionalArgs } from "../../command.js";
import { CHAIN_OPTIONS_HELP, chainOptions } from "../../config/settings.js";
import { printJson, UsageError } from "../../output.js";
import {
  describePricing,
  fieldArgs,
  fieldsOf,
  SERVICE_OPTIONS_HELP,
  serviceFields,
  serviceOptions,
} from "./serviceFlags.js";

const options = { ...chainOptions, ...serviceOptions } as const;

/**
 * `decai source update <name>`: changes the fields given, keeps the others.
 *
 * @example
 * await main(["source", "update", "tiny-llama", "--share-bps", "1500", "--key", "source"]);
 */
export const sourceUpdateCommand: Command<typeof options> = {
  name: "source update",
  summary: "change a service you registered (model, weights, share, pricing)",
  help: `Usage: decai source update <name> [options]

Changes service <name>, which your key registered. Only the fields you pass change; the others keep
their current values. Changes apply to claims settled afterwards.

Options:
${SERVICE_OPTIONS_HELP}
${CHAIN_OPTIONS_HELP}

Example:
  decai source update tiny-llama --share-bps 1500 --key source`,
  options,
  async run(values, positionals, output, runtime) {
    const [name] = positionalArgs(positionals, this, ["<name>"]) as [string];
    const id = serviceIdOf(name);
    if (
      Object.keys(serviceOptions).every((flag) => values[flag as keyof typeof serviceOptions] === undefined)
    ) {
      throw new UsageError(
        `nothing to change: pass at least one of ${Object.keys(serviceOptions)
          .map((f) => `--${f}`)
          .join(", ")}`,
      );
    }
    const { conn, tx, settings } = await openSigned(values, runtime, output);
    const current = await readService(conn, id);
    if (!current) {
      throw new UsageError(
        `service "${name}" is not registered; register it with \`decai source register ${name}\``,
      );
    }
    if (current.source.toLowerCase() !== tx.signer.address.toLowerCase()) {
      throw new UsageError(
        `service "${name}" belongs to source ${current.source}, not to ${tx.signer.address} (${tx.signer.label}); use the key that registered it`,
      );
    }
    const fields = await serviceFields(values, runtime.cwd, fieldsOf(current));
    const { hash } = await tx.send(`updating service "${name}"`, {
      address: conn.deployment.contracts.serviceRegistry,
      abi: serviceRegistryAbi,
      functionName: "updateService",
      args: [id, ...fieldArgs(fields)],
    });
    if (settings.json) {
      printJson(output, { service: name, id, source: tx.signer.address, ...fields, tx: hash });
    } else {
      output.out(`Updated service "${name}" (${fields.modelName})`);
      output.out(`  weights ${fields.weightsDigest}`);
      output.out(`  source share ${fields.sourceShareBps / 100}%, ${describePricing(fields)}`);
    }
    return 0;
  },
};
