// Writes packages/smst/test/vectors/smst.json. Run: npx tsx packages/smst/scripts/make-vectors.ts
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { buildVectors } from "../test/buildVectors.js";

const out = fileURLToPath(new URL("../test/vectors/smst.json", import.meta.url));
const vectors = await buildVectors();
writeFileSync(out, `${JSON.stringify(vectors, null, 2)}\n`);
const valid = vectors.closest.filter((c) => c.valid).length;
console.log(
  `wrote ${out}: ${vectors.trees.length} trees, ${valid} valid and ${vectors.closest.length - valid} invalid proofs`,
);
