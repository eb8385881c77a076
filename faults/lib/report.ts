import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** What one fault scenario observed; the README's summary table is rendered from these. */
export type ScenarioReport = {
  /** Stable file name, e.g. "01-supplier-killed". */
  id: string;
  /** One line for the table, e.g. "A supplier killed mid-stream under load". */
  scenario: string;
  /** Requests the scenario sent. */
  requests: number;
  /** Requests a client saw fail (after the retries a client would do), or streams cut without an error event. */
  errors: number;
  /** Acknowledged relays missing from the claims that landed (or from the tree, where no claim is due). */
  relaysLost: number;
  /** Payment-token base units unaccounted for (sum of balances before minus after, all actors and contracts). */
  fundsLost: bigint | number;
  /** What "errors" means here when it is not promised to be zero (e.g. "streams cut with an error event"). */
  notes?: string;
};

const resultsDir = join(dirname(fileURLToPath(import.meta.url)), "..", "results");

/**
 * Writes a scenario's numbers to `faults/results/<id>.json`, read by `node scripts/faults-table.mjs`. Only when
 * `DECAI_FAULTS_RECORD=1` (`npm run faults:record`): the files are committed, and a plain `npm test` must not
 * leave the checkout modified. Without it the numbers go to the test output only.
 *
 * @example
 * recordScenario({ id: "02-relayminer-sigkill", scenario: "RelayMiner SIGKILLed and restarted", requests: 200,
 *   errors: 0, relaysLost: 0, fundsLost: 0n });
 */
export function recordScenario(report: ScenarioReport): void {
  const json = JSON.stringify({ ...report, fundsLost: report.fundsLost.toString() }, null, 2);
  if (process.env.DECAI_FAULTS_RECORD !== "1") {
    console.log(`fault scenario ${report.id}: ${json}`);
    return;
  }
  mkdirSync(resultsDir, { recursive: true });
  writeFileSync(join(resultsDir, `${report.id}.json`), `${json}\n`);
}
