import { openChain } from "../chain/context.js";
import { readLedger, totalsBy } from "../chain/ledger.js";
import {
  readApplication,
  readServiceSuppliers,
  readServices,
  readSession,
  readSupplier,
} from "../chain/network.js";
import { deploymentTokens } from "../chain/tokens.js";
import { type Command, positionalArgs } from "../command.js";
import { formatAmount } from "../config/amount.js";
import { CHAIN_OPTIONS_HELP, chainOptions } from "../config/settings.js";
import { printJson } from "../output.js";

const options = { ...chainOptions } as const;

/**
 * `decai status`: the whole network as the chain sees it.
 *
 * @example
 * await main(["status", "--json"]);
 */
export const statusCommand: Command<typeof options> = {
  name: "status",
  summary: "the network: session, services, suppliers, applications, claims, earnings",
  help: `Usage: decai status [options]

Shows the network as the chain sees it: current block and session, services with the suppliers that
serve them (and their endpoints), suppliers' stakes, applications' escrows and delegations, pending and
settled claims, and what suppliers and sources earned and applications spent. Reads contracts and their
events since the deployment block; needs no key.

${CHAIN_OPTIONS_HELP}`,
  options,
  async run(values, positionals, output, runtime) {
    positionalArgs(positionals, this, []);
    const { settings, conn } = await openChain(values, runtime);
    const [now, tokens, services, ledger] = await Promise.all([
      readSession(conn),
      deploymentTokens(conn),
      readServices(conn),
      readLedger(conn),
    ]);
    const withSuppliers = await Promise.all(
      services.map(async (s) => ({ ...s, suppliers: await readServiceSuppliers(conn, s.id, now.session) })),
    );
    const earnedBySupplier = totalsBy(ledger.payments, "supplier", "supplierAmount");
    const earnedBySource = totalsBy(ledger.payments, "source", "sourceAmount");
    const spentByApp = totalsBy(ledger.payments, "application", "total");
    const suppliers = (await Promise.all(ledger.suppliers.map((a) => readSupplier(conn, a))))
      .filter((s) => s.stake > 0n)
      .map((s) => ({ ...s, earned: earnedBySupplier.get(s.address.toLowerCase()) ?? 0n }));
    const applications = (await Promise.all(ledger.applications.map((a) => readApplication(conn, a))))
      .filter((a) => a.escrow > 0n || spentByApp.has(a.address.toLowerCase()))
      .map((a) => ({ ...a, spent: spentByApp.get(a.address.toLowerCase()) ?? 0n }));
    const sources = [...new Map(services.map((s) => [s.source.toLowerCase(), s.source])).values()].map(
      (address) => ({
        address,
        earned: earnedBySource.get(address.toLowerCase()) ?? 0n,
      }),
    );
    const dao = {
      address: conn.deployment.dao,
      earned: ledger.payments.reduce((sum, p) => sum + p.daoAmount, 0n),
    };
    const pending = ledger.claims.filter((c) => c.state === "claimed" || c.state === "proven");
    const count = (state: string) => ledger.claims.filter((c) => c.state === state).length;

    if (settings.json) {
      printJson(output, {
        chainId: conn.deployment.chainId,
        rpcUrl: conn.rpcUrl,
        deploymentFile: conn.deploymentFile,
        contracts: conn.deployment.contracts,
        ...now,
        tokens,
        services: withSuppliers,
        suppliers,
        applications,
        claims: ledger.claims,
        sources,
        dao,
      });
      return 0;
    }
    const pay = (v: bigint) => formatAmount(v, tokens.payment);
    output.out(
      `Decai on chain ${conn.deployment.chainId} (${conn.rpcUrl}): block ${now.block}, session ${now.session} (blocks ${now.startBlock}-${now.endBlock})`,
    );
    output.out(`\nServices (${withSuppliers.length})`);
    for (const s of withSuppliers) {
      output.out(`  ${s.name}: model ${s.modelName}, source ${s.source} (${s.sourceShareBps / 100}%)`);
      if (s.suppliers.length === 0) output.out("    no suppliers");
      for (const e of s.suppliers) {
        const when = e.fromSession > now.session ? ` from session ${e.fromSession}` : "";
        const until = e.untilSession !== undefined ? ` until session ${e.untilSession}` : "";
        output.out(`    supplier ${e.supplier} at ${e.endpoint}${when}${until}`);
      }
    }
    output.out(`\nSuppliers (${suppliers.length})`);
    for (const s of suppliers) {
      output.out(`  ${s.address}  stake ${formatAmount(s.stake, tokens.stake)}, earned ${pay(s.earned)}`);
    }
    output.out(`\nApplications (${applications.length})`);
    for (const a of applications) {
      const gateways = a.gateways.length ? `, gateways ${a.gateways.join(", ")}` : "";
      output.out(
        `  ${a.address}  escrow ${pay(a.escrow)}, spent ${pay(a.spent)}, services ${a.services.map((s) => s.name).join(", ") || "none"}${gateways}`,
      );
    }
    output.out(`\nClaims: ${pending.length} pending, ${count("settled")} settled, ${count("voided")} voided`);
    for (const c of pending) {
      output.out(
        `  ${c.state}: ${c.service} session ${c.session}, supplier ${c.supplier}, application ${c.application}: ${c.rootCount} relays, ${c.rootSum} CU`,
      );
    }
    output.out("\nEarnings");
    for (const s of sources) output.out(`  source ${s.address}  ${pay(s.earned)}`);
    output.out(`  DAO    ${dao.address}  ${pay(dao.earned)}`);
    return 0;
  },
};
