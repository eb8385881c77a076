// Builds the cross-language test vectors (test/vectors/smst.json): written by scripts/make-vectors.ts,
// checked by test/vectors.test.ts and read by contracts/test/SmstVectors.t.sol.
import {
  type ClosestProof,
  DIGEST_SIZE,
  encodeClosestProof,
  encodeRoot,
  pathOf,
  Smst,
  type SmstRoot,
  sha256,
  verifyClosest,
} from "../src/index.js";

const hex = (bytes: Uint8Array): string => `0x${Buffer.from(bytes).toString("hex")}`;
const seed = (label: string): Uint8Array => sha256(new TextEncoder().encode(`decai/smst/vectors/${label}`));

type TreeSpec = { name: string; size: number; weight: (i: number) => bigint };

const TREES: TreeSpec[] = [
  { name: "empty", size: 0, weight: () => 0n },
  // Weights near 2^63 exercise every byte of the uint64 encodings.
  { name: "one", size: 1, weight: () => (1n << 63n) + 12345n },
  { name: "ten", size: 10, weight: (i) => (i === 3 ? 1n << 62n : i === 7 ? 0n : BigInt(i * 1000 + 1)) },
  { name: "thousand", size: 1000, weight: (i) => (BigInt(i) * 0x9e3779b97f4a7c15n) % (1n << 48n) },
];

/** One closest-proof case, as the vectors file stores it (uint64s as decimal strings). */
export type ClosestCase = {
  tree: string;
  note: string;
  rootHash: string;
  rootSum: string;
  rootCount: string;
  path: string;
  proof: string;
  valid: boolean;
  leafPath: string;
  valueHash: string;
  weight: string;
  depth: number;
};

/** The vectors file. */
export type Vectors = {
  description: string;
  trees: {
    name: string;
    leaves: { key: string; value: string; weight: string }[];
    root: { hash: string; sum: string; count: string; encoded: string };
  }[];
  closest: ClosestCase[];
};

/**
 * Builds the vectors deterministically from fixed seeds.
 *
 * @example
 * writeFileSync("test/vectors/smst.json", `${JSON.stringify(await buildVectors(), null, 2)}\n`);
 */
export async function buildVectors(): Promise<Vectors> {
  const vectors: Vectors = {
    description:
      "Decai SMST test vectors: trees (leaves and roots) and closest proofs, valid and tampered. Encodings: packages/smst/docs/encoding.md. Regenerate with `npx tsx packages/smst/scripts/make-vectors.ts`.",
    trees: [],
    closest: [],
  };
  const trees = new Map<string, { tree: Smst; root: SmstRoot; keys: Uint8Array[] }>();
  for (const spec of TREES) {
    const tree = new Smst();
    const keys: Uint8Array[] = [];
    const leaves = [];
    for (let i = 0; i < spec.size; i++) {
      const key = seed(`${spec.name}/key/${i}`);
      const value = seed(`${spec.name}/value/${i}`);
      await tree.update(key, value, spec.weight(i));
      keys.push(key);
      leaves.push({ key: hex(key), value: hex(value), weight: spec.weight(i).toString() });
    }
    const root = tree.root();
    trees.set(spec.name, { tree, root, keys });
    vectors.trees.push({
      name: spec.name,
      leaves,
      root: {
        hash: hex(root.hash),
        sum: root.sum.toString(),
        count: root.count.toString(),
        encoded: hex(encodeRoot(root)),
      },
    });
  }

  const add = (
    valid: boolean,
    tree: string,
    note: string,
    root: SmstRoot,
    path: Uint8Array,
    proof: ClosestProof | Uint8Array,
  ) => {
    const bytes = proof instanceof Uint8Array ? proof : encodeClosestProof(proof);
    // A tampered proof that verifies (or a real one that does not) is a bug, never a vector.
    if (verifyClosest(root, path, bytes) !== valid)
      throw new Error(`vector "${note}" should be ${valid ? "valid" : "invalid"}`);
    const leaf = proof instanceof Uint8Array ? undefined : proof;
    vectors.closest.push({
      tree,
      note,
      rootHash: hex(root.hash),
      rootSum: root.sum.toString(),
      rootCount: root.count.toString(),
      path: hex(path),
      proof: hex(bytes),
      valid,
      leafPath: hex(leaf?.leafPath ?? new Uint8Array(32)),
      valueHash: hex(leaf?.valueHash ?? new Uint8Array(32)),
      weight: (leaf?.weight ?? 0n).toString(),
      depth: leaf?.depth ?? 0,
    });
  };

  // Valid proofs: exact leaves, random challenges, the two extreme paths.
  for (const name of ["one", "ten", "thousand"]) {
    const { tree, root, keys } = trees.get(name) as { tree: Smst; root: SmstRoot; keys: Uint8Array[] };
    const paths: [string, Uint8Array][] = [
      ["path of leaf 0", pathOf(keys[0] as Uint8Array)],
      ["all-zero path", new Uint8Array(32)],
      ["all-ones path", new Uint8Array(32).fill(0xff)],
    ];
    for (let j = 0; j < (name === "thousand" ? 8 : 3); j++)
      paths.push([`challenge ${j}`, seed(`${name}/challenge/${j}`)]);
    for (const [note, path] of paths) add(true, name, note, root, path, tree.proveClosest(path).proof);
  }

  // Tampered proofs (all must be invalid).
  const { tree, root } = trees.get("thousand") as { tree: Smst; root: SmstRoot };
  const path = seed("thousand/challenge/0");
  const { proof } = tree.proveClosest(path);
  const bytes = encodeClosestProof(proof);
  const flip = (at: number, bit: number): Uint8Array => {
    const copy = bytes.slice();
    copy[at] = (copy[at] as number) ^ (1 << bit);
    return copy;
  };
  add(false, "thousand", "tampered: leaf path bit flipped", root, path, flip(5, 0));
  add(false, "thousand", "tampered: value hash bit flipped", root, path, flip(40, 3));
  add(false, "thousand", "tampered: weight raised by one", root, path, {
    ...proof,
    weight: proof.weight + 1n,
  });
  add(false, "thousand", "tampered: depth bit flipped", root, path, flip(73, 0));
  add(false, "thousand", "tampered: bitmask bit flipped", root, path, flip(74, 7));
  add(false, "thousand", "tampered: first sibling hash bit flipped", root, path, flip(106, 0));
  add(false, "thousand", "tampered: first sibling sum bit flipped", root, path, flip(106 + 39, 0));
  add(false, "thousand", "tampered: last sibling count bit flipped", root, path, flip(bytes.length - 1, 1));
  add(false, "thousand", "malformed: truncated by one byte", root, path, bytes.slice(0, -1));
  add(false, "thousand", "malformed: one trailing byte", root, path, Uint8Array.of(...bytes, 0));
  add(false, "thousand", "malformed: header only", root, path, bytes.slice(0, 106));
  add(false, "thousand", "wrong root: sum plus one", { ...root, sum: root.sum + 1n }, path, proof);
  add(false, "thousand", "wrong root: count minus one", { ...root, count: root.count - 1n }, path, proof);
  const other = trees.get("ten") as { root: SmstRoot };
  add(false, "thousand", "wrong root: another tree's root", other.root, path, proof);
  add(false, "empty", "wrong root: the empty root", trees.get("empty")?.root as SmstRoot, path, proof);
  // A real leaf and a correct inclusion path, but not the leaf closest to the challenge.
  const far = new Uint8Array(path);
  far[0] = (far[0] as number) ^ 0x80;
  add(
    false,
    "thousand",
    "not closest: proof for the challenge with its first bit flipped",
    root,
    path,
    tree.proveClosest(far).proof,
  );
  // Non-canonical: an empty sibling listed explicitly (same hash) instead of left to the bitmask. The
  // challenge is the leaf's own path, so the gap is a one-sided inner node, not a flipped bit that
  // the closeness check would catch anyway.
  const { keys } = trees.get("thousand") as { keys: Uint8Array[] };
  for (const key of keys) {
    const challenge = pathOf(key);
    const { proof: p } = tree.proveClosest(challenge);
    const gap = firstClearBit(p.bitmask, p.depth);
    if (gap === undefined) continue;
    const bitmask = p.bitmask.slice();
    bitmask[gap >> 3] = (bitmask[gap >> 3] as number) | (0x80 >> (gap & 7));
    const siblings = [...p.siblings];
    siblings.splice(countBitsAbove(p.bitmask, gap, p.depth), 0, new Uint8Array(DIGEST_SIZE));
    const note = "non-canonical: an empty sibling listed in the bitmask";
    add(false, "thousand", note, root, challenge, rawEncode({ ...p, bitmask, siblings }));
    break;
  }
  return vectors;
}

function firstClearBit(bitmask: Uint8Array, depth: number): number | undefined {
  for (let d = 0; d < depth; d++) if (!(((bitmask[d >> 3] as number) >> (7 - (d & 7))) & 1)) return d;
  return undefined;
}

/** Set bits deeper than `gap`: siblings are listed deepest first, so that many come before it. */
function countBitsAbove(bitmask: Uint8Array, gap: number, depth: number): number {
  let n = 0;
  for (let d = gap + 1; d < depth; d++) n += ((bitmask[d >> 3] as number) >> (7 - (d & 7))) & 1;
  return n;
}

/** Encodes without the shape checks of encodeClosestProof, to build malformed proofs. */
function rawEncode(proof: ClosestProof): Uint8Array {
  const out = new Uint8Array(106 + DIGEST_SIZE * proof.siblings.length);
  out.set(proof.leafPath, 0);
  out.set(proof.valueHash, 32);
  new DataView(out.buffer).setBigUint64(64, proof.weight);
  out[72] = proof.depth >> 8;
  out[73] = proof.depth & 0xff;
  out.set(proof.bitmask, 74);
  proof.siblings.forEach((s, i) => {
    out.set(s, 106 + DIGEST_SIZE * i);
  });
  return out;
}
