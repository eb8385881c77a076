import { createHash } from "node:crypto";
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readGgufFileInfo } from "node-llama-cpp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureTinyModel } from "../src/model/ensureTinyModel.js";
import { writeGguf } from "../src/model/gguf.js";
import { sha256File } from "../src/model/sha256File.js";
import { buildTinyModel, tinyModelDefaults } from "../src/model/tinyModel.js";
import { buildTinyVocab } from "../src/model/vocab.js";

const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "decai-llm-model-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("buildTinyModel", () => {
  it("is deterministic in its seed: same seed, same bytes; another seed, other bytes", () => {
    const a = buildTinyModel({ seed: 1 });
    expect(sha256(buildTinyModel({ seed: 1 }))).toBe(sha256(a));
    expect(sha256(buildTinyModel({ seed: 2 }))).not.toBe(sha256(a));
    expect(sha256(buildTinyModel({ seed: "1" }))).toBe(sha256(a)); // seeds are compared as strings
  });

  it("keeps its published digest: changing the generator changes every tiny-model service's weights digest", () => {
    // Integer PRNG and exact float32 rounding: the bytes are the same on every platform. Update deliberately.
    expect(sha256(buildTinyModel())).toBe("89ffabbd70120e646e5405449e02c9bdb4b07fdd4843c9d596681fb572ff5382");
  });

  it("is a few hundred KB", () => {
    const size = buildTinyModel().length;
    expect(size).toBeGreaterThan(100_000);
    expect(size).toBeLessThan(1_000_000);
  });

  it("reads back through node-llama-cpp's own GGUF parser with the llama metadata and tensors", async () => {
    const path = join(dir, "read-back.gguf");
    await writeFile(path, buildTinyModel());
    const info = await readGgufFileInfo(path, { readTensorInfo: true });
    const vocab = buildTinyVocab();
    expect(info.version).toBe(3);
    const md = info.metadata as unknown as {
      general: { architecture: string };
      llama: Record<string, unknown>;
      tokenizer: { ggml: Record<string, unknown>; chat_template: string };
    };
    expect(md.general.architecture).toBe("llama");
    expect(md.llama.embedding_length).toBe(tinyModelDefaults.embeddingLength);
    expect(md.llama.block_count).toBe(tinyModelDefaults.blockCount);
    expect(md.llama.context_length).toBe(tinyModelDefaults.contextLength);
    expect(md.tokenizer.ggml.model).toBe("gpt2");
    expect(md.tokenizer.ggml.tokens).toEqual(vocab.tokens);
    expect(md.tokenizer.ggml.eos_token_id).toBe(vocab.eos);
    expect(md.tokenizer.chat_template).toContain("<|im_start|>");
    const names = info.tensorInfo?.map((t) => t.name) ?? [];
    expect(names).toContain("token_embd.weight");
    expect(names).toContain(`blk.${tinyModelDefaults.blockCount - 1}.ffn_down.weight`);
    expect(names).toContain("output.weight");
    expect(names).toHaveLength(3 + 9 * tinyModelDefaults.blockCount);
    for (const t of info.tensorInfo ?? []) expect(Number(t.offset) % 32).toBe(0);
  });
});

describe("writeGguf", () => {
  it("refuses a tensor whose data does not match its shape", () => {
    expect(() =>
      writeGguf({ metadata: [], tensors: [{ name: "t", shape: [2, 3], data: new Float32Array(5) }] }),
    ).toThrow(/needs 6 values, got 5/);
  });
});

describe("ensureTinyModel", () => {
  it("writes the model once, content-addressed, and returns its sha256", async () => {
    const cache = join(dir, "cache");
    const first = await ensureTinyModel(cache);
    expect(first.sha256).toBe(`0x${sha256(buildTinyModel())}`);
    expect(await sha256File(first.path)).toBe(first.sha256);
    expect(first.path).toContain(first.sha256.slice(2, 18));
    const before = await stat(first.path);
    const again = await ensureTinyModel(cache);
    expect(again).toEqual(first);
    expect((await stat(first.path)).mtimeMs).toBe(before.mtimeMs); // not rewritten
    expect((await readdir(cache)).filter((f) => f.endsWith(".tmp"))).toEqual([]);
  });

  it("repairs a corrupted copy and keeps different seeds apart", async () => {
    const cache = join(dir, "repair");
    const { path, sha256: digest } = await ensureTinyModel(cache);
    await writeFile(path, "garbage");
    expect((await ensureTinyModel(cache)).sha256).toBe(digest);
    expect(sha256(await readFile(path))).toBe(digest.slice(2));
    const other = await ensureTinyModel(cache, { seed: 2 });
    expect(other.sha256).not.toBe(digest);
    expect(other.path).not.toBe(path);
  });

  it("survives concurrent writers", async () => {
    const cache = join(dir, "concurrent");
    const results = await Promise.all(Array.from({ length: 4 }, () => ensureTinyModel(cache)));
    expect(new Set(results.map((r) => r.sha256)).size).toBe(1);
    expect(await sha256File(results[0]?.path ?? "")).toBe(results[0]?.sha256);
  });
});
