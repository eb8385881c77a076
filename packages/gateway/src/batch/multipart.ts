// multipart/form-data uploads (what `openai.files.create` sends), parsed by the WHATWG `Request` built into Node.
import { GatewayError } from "../errors.js";

/** An upload's fields: text fields, and the one file. */
export type Upload = { fields: Record<string, string>; file?: { name: string; content: Buffer } };

/**
 * Parses a multipart/form-data body. Throws 400 `invalid_value` when it is not one.
 *
 * @example
 * const { fields, file } = await parseMultipart(await readBody(req, limit), req.headers["content-type"]);
 */
export async function parseMultipart(body: Buffer, contentType: string | undefined): Promise<Upload> {
  if (!contentType?.toLowerCase().startsWith("multipart/form-data")) {
    throw new GatewayError(
      "invalid_value",
      "Upload files as multipart/form-data with a `file` part and a `purpose` field (what the OpenAI SDKs send).",
    );
  }
  let form: FormData;
  try {
    form = await new Request("http://upload", {
      method: "POST",
      headers: { "content-type": contentType },
      body,
    }).formData();
  } catch (error) {
    throw new GatewayError(
      "invalid_value",
      `The multipart body could not be read: ${(error as Error).message}.`,
    );
  }
  const upload: Upload = { fields: {} };
  for (const [name, value] of form.entries()) {
    if (typeof value === "string") upload.fields[name] = value;
    else if (name === "file")
      upload.file = { name: value.name || "upload.jsonl", content: Buffer.from(await value.arrayBuffer()) };
  }
  return upload;
}
