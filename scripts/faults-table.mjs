#!/usr/bin/env node
// Renders faults/results/*.json (written by `npm run test:faults`) as the README's summary table.
// `node scripts/faults-table.mjs` prints it; `--write` replaces the table between the README's markers.
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const root = new URL("..", import.meta.url).pathname;
const dir = join(root, "faults", "results");
const rows = readdirSync(dir)
  .filter((f) => f.endsWith(".json"))
  .sort()
  .map((f) => JSON.parse(readFileSync(join(dir, f), "utf8")));

const table = [
  "| scenario | requests sent | errors seen | relays lost | funds lost |",
  "| --- | ---: | ---: | ---: | ---: |",
  ...rows.map(
    (r) =>
      `| ${r.scenario}${r.notes ? ` (${r.notes})` : ""} | ${r.requests} | ${r.errors} | ${r.relaysLost} | ${r.fundsLost} |`,
  ),
].join("\n");

if (!process.argv.includes("--write")) {
  console.log(table);
} else {
  const readme = join(root, "README.md");
  const text = readFileSync(readme, "utf8");
  const start = "<!-- faults:start -->";
  const end = "<!-- faults:end -->";
  const a = text.indexOf(start);
  const b = text.indexOf(end);
  if (a < 0 || b < a) {
    console.error(`README.md has no ${start} … ${end} markers: add them where the table belongs.`);
    process.exit(1);
  }
  writeFileSync(readme, `${text.slice(0, a + start.length)}\n${table}\n${text.slice(b)}`);
  console.log(`README.md: fault table updated from ${rows.length} scenario(s)`);
}
