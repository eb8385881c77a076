// OpenAI's Files API, for batches: `POST /v1/files` (multipart, purpose `batch`), `GET /v1/files`,
// `GET|DELETE /v1/files/{id}`, `GET /v1/files/{id}/content` (uploads as stored, output and error files rendered).
import type { IncomingMessage, ServerResponse } from "node:http";
import { type BatchApiContext, ensureOwner, listOf, newId, only, pageOf } from "../batch/api.js";
import { renderResults } from "../batch/jsonl.js";
import { parseMultipart } from "../batch/multipart.js";
import { fileObject } from "../batch/objects.js";
import type { FileRecord } from "../batch/types.js";
import { GatewayError } from "../errors.js";
import { readBody, sendJson } from "../http/body.js";
import type { ApiKeyRecord } from "../keys/types.js";

/**
 * Serves `/v1/files` and `/v1/files/{id}[/content]` for `key`; files belong to the key that uploaded them (or
 * whose batch wrote them).
 *
 * @example
 * if (path === "/v1/files" || path.startsWith("/v1/files/")) return handleFiles(req, res, url, path, key, ctx);
 */
export async function handleFiles(
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  path: string,
  key: ApiKeyRecord,
  ctx: BatchApiContext,
): Promise<void> {
  if (path === "/v1/files") {
    if (req.method === "POST") return upload(req, res, key, ctx);
    only(req, "GET", path);
    const page = pageOf(url, 10_000, 10_000);
    const purpose = url.searchParams.get("purpose") ?? undefined;
    const rows = await ctx.store.listFiles(key.id, {
      ...page,
      limit: page.limit + 1,
      ...(purpose ? { purpose } : {}),
    });
    sendJson(res, 200, listOf(rows, page.limit, fileObject));
    return;
  }
  const [id = "", sub, ...rest] = path.slice("/v1/files/".length).split("/");
  if (rest.length || (sub !== undefined && sub !== "content")) {
    throw new GatewayError("unknown_url", `Unknown path ${path}: use /v1/files/{file_id}[/content].`);
  }
  const file = ensureOwner(await ctx.store.file(id), key.id, "file", id);
  if (sub === "content") {
    only(req, "GET", path);
    const content = await contentOf(file, ctx);
    res.writeHead(200, {
      "content-type": "application/jsonl",
      "content-length": content.length,
      "content-disposition": `attachment; filename="${file.filename.replace(/"/g, "")}"`,
    });
    res.end(content);
    return;
  }
  if (req.method === "DELETE") {
    await ctx.store.deleteFile(file.id);
    sendJson(res, 200, { id: file.id, object: "file", deleted: true });
    return;
  }
  only(req, "GET", path);
  sendJson(res, 200, fileObject(await withSize(file, ctx)));
}

async function upload(req: IncomingMessage, res: ServerResponse, key: ApiKeyRecord, ctx: BatchApiContext) {
  const body = await readBody(req, ctx.maxFileBytes);
  const { fields, file } = await parseMultipart(body, req.headers["content-type"]);
  if (fields.purpose !== "batch") {
    throw new GatewayError(
      "invalid_value",
      `This gateway stores files for batches only: set purpose to "batch" (got ${JSON.stringify(fields.purpose ?? null)}).`,
      { param: "purpose" },
    );
  }
  if (!file) {
    throw new GatewayError("missing_required_parameter", "Missing required parameter: 'file'.", {
      param: "file",
    });
  }
  const record: FileRecord = {
    id: newId("file-"),
    keyId: key.id,
    purpose: "batch",
    filename: file.name,
    bytes: file.content.length,
    createdAt: ctx.now(),
    batchId: null,
    kind: "input",
  };
  await ctx.store.insertFile(record, file.content);
  sendJson(res, 200, fileObject(record));
}

/** An uploaded file's bytes, or a batch's output / error file rendered from its lines. */
async function contentOf(file: FileRecord, ctx: BatchApiContext): Promise<Buffer> {
  if (file.kind === "input") return (await ctx.store.fileContent(file.id)) ?? Buffer.alloc(0);
  const lines = await ctx.store.lines(file.batchId ?? "");
  return Buffer.from(renderResults(file.batchId ?? "", lines, file.kind));
}

/** Output files are sized when asked for (they are rendered, not stored). */
async function withSize(file: FileRecord, ctx: BatchApiContext): Promise<FileRecord> {
  if (file.kind === "input") return file;
  return { ...file, bytes: (await contentOf(file, ctx)).length };
}
