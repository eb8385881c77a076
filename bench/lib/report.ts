import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describeMachine, type MachineInfo } from "./machine.js";

/** A table: a header row and rows of cells; numbers are right-aligned in Markdown. */
export type Table = { title?: string; columns: string[]; rows: (string | number)[][] };

/** Where results go: `bench/results/`. */
export const resultsDir = join(import.meta.dirname, "..", "results");

/**
 * Renders a Markdown table (also what goes to stdout: readable as is).
 *
 * @example
 * markdownTable({ columns: ["a", "b"], rows: [[1, "x"]] });
 */
export function markdownTable(table: Table): string {
  const numeric = table.columns.map((_, i) => table.rows.every((r) => typeof r[i] === "number"));
  const lines = [
    ...(table.title ? [`**${table.title}**`, ""] : []),
    `| ${table.columns.join(" | ")} |`,
    `|${numeric.map((n) => (n ? "---:" : "---")).join("|")}|`,
    ...table.rows.map((r) => `| ${r.map((c) => String(c)).join(" | ")} |`),
  ];
  return lines.join("\n");
}

/** What a scenario reports. */
export type Report = {
  /** File stem under bench/results/, e.g. "proxy-overhead". */
  name: string;
  title: string;
  machine: MachineInfo;
  /** Sentences printed before the tables: what was measured, how, and caveats. */
  notes: string[];
  tables: Table[];
  /** Everything measured, for scripts (the JSON file). */
  data: Record<string, unknown>;
};

const bigintSafe = (_: string, v: unknown) => (typeof v === "bigint" ? v.toString() : v);

/**
 * Prints the report's tables on stdout and writes `bench/results/<name>.json` and `.md`.
 *
 * @example
 * writeReport({ name: "smst", title: "SMST", machine: machineInfo(), notes: [], tables, data });
 */
export function writeReport(report: Report): { json: string; md: string } {
  const md = [
    `# ${report.title}`,
    "",
    `Machine: ${describeMachine(report.machine)}.`,
    "",
    ...report.notes.flatMap((n) => [n, ""]),
    ...report.tables.flatMap((t) => [markdownTable(t), ""]),
  ].join("\n");
  console.log(`\n${md}`);
  mkdirSync(resultsDir, { recursive: true });
  const json = join(resultsDir, `${report.name}.json`);
  const mdPath = join(resultsDir, `${report.name}.md`);
  const payload = { title: report.title, machine: report.machine, notes: report.notes, ...report.data };
  writeFileSync(json, `${JSON.stringify(payload, bigintSafe, 2)}\n`);
  writeFileSync(mdPath, md);
  console.log(`wrote ${json} and ${mdPath}`);
  return { json, md: mdPath };
}
