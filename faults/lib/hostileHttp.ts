// Raw HTTP over a TCP socket, for requests no well-behaved client would send: malformed request lines and
// headers, bodies larger than declared, slow bodies. Every request asks for `connection: close`, so a response
// is whatever arrives until the server closes.
import { connect } from "node:net";

/** A parsed raw response; `status` 0 when the server closed without answering. */
export type RawResponse = {
  status: number;
  headers: Record<string, string>;
  body: string;
  raw: string;
  /** True when the client gave up after `timeoutMs` (the server kept the connection open). */
  timedOut?: boolean;
};

/**
 * Sends `request` (bytes as given) to `127.0.0.1:port` and reads the answer until the server closes the connection
 * or `timeoutMs` passes (then the socket is destroyed and what arrived is returned).
 *
 * @example
 * const res = await rawRequest(port, "GET /health HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n");
 */
export function rawRequest(
  port: number,
  request: string | Buffer | (string | Buffer)[],
  options: { timeoutMs?: number; pauseMs?: number } = {},
): Promise<RawResponse> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    const chunks: Buffer[] = [];
    let done = false;
    const finish = (timedOut = false) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ ...parseResponse(Buffer.concat(chunks)), ...(timedOut ? { timedOut } : {}) });
    };
    const timer = setTimeout(() => finish(true), options.timeoutMs ?? 10_000);
    socket.on("data", (chunk) => chunks.push(chunk));
    socket.on("end", () => finish());
    socket.on("close", () => finish());
    socket.on("error", () => finish()); // EPIPE / ECONNRESET when the server cuts a body it refused
    socket.on("connect", async () => {
      const parts = Array.isArray(request) ? request : [request];
      for (const part of parts) {
        if (socket.destroyed) return;
        socket.write(part);
        if (options.pauseMs) await new Promise((r) => setTimeout(r, options.pauseMs));
      }
    });
  });
}

/** Parses a raw HTTP/1.1 response (content-length, chunked, or read-until-close bodies). */
export function parseResponse(data: Buffer): RawResponse {
  const raw = data.toString("latin1");
  const end = raw.indexOf("\r\n\r\n");
  if (!raw.startsWith("HTTP/1.1 ") || end < 0) return { status: 0, headers: {}, body: "", raw };
  const [statusLine, ...lines] = raw.slice(0, end).split("\r\n");
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(":");
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  let body = data.subarray(Buffer.byteLength(raw.slice(0, end + 4), "latin1"));
  if (headers["transfer-encoding"] === "chunked") {
    const parts: Buffer[] = [];
    let at = 0;
    for (;;) {
      const nl = body.indexOf("\r\n", at);
      if (nl < 0) break;
      const size = Number.parseInt(body.subarray(at, nl).toString(), 16);
      if (!size) break;
      parts.push(body.subarray(nl + 2, nl + 2 + size));
      at = nl + 2 + size + 2;
    }
    body = Buffer.concat(parts);
  } else if (headers["content-length"] !== undefined) {
    body = body.subarray(0, Number(headers["content-length"]));
  }
  return { status: Number(statusLine?.split(" ")[1] ?? 0), headers, body: body.toString("utf8"), raw };
}

/**
 * Whether `res` is an OpenAI-style JSON error: a 4xx/5xx, `content-type: application/json`, and a body
 * `{ error: { message, type, code } }` with a non-empty message. Returns why not, or undefined.
 *
 * @example
 * expect(openAiErrorProblem(res)).toBeUndefined();
 */
export function openAiErrorProblem(res: { status: number; headers: Record<string, string>; body: string }) {
  if (res.status < 400 || res.status > 599) return `status ${res.status}`;
  if (!res.headers["content-type"]?.startsWith("application/json"))
    return `content-type ${res.headers["content-type"]}`;
  let json: { error?: { message?: unknown; type?: unknown; code?: unknown } };
  try {
    json = JSON.parse(res.body);
  } catch {
    return `body is not JSON: ${res.body.slice(0, 200)}`;
  }
  const e = json?.error;
  if (typeof e?.message !== "string" || !e.message) return "no error.message";
  if (typeof e.type !== "string") return "no error.type";
  if (e.code !== null && typeof e.code !== "string") return "error.code is not a string";
  return undefined;
}

/** Resident memory of process `pid`, bytes (Linux `/proc`). */
export async function rssOf(pid: number): Promise<number> {
  const { readFile } = await import("node:fs/promises");
  const status = await readFile(`/proc/${pid}/status`, "utf8");
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) * 1024;
}
