import { createServer, type IncomingMessage, request, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** A loopback server on a free port, for the tests of this package. */
export async function listen(
  handler: (req: IncomingMessage, res: ServerResponse) => void,
  configure: (server: Server) => void = () => {},
  options: Parameters<typeof createServer>[0] = {},
): Promise<{ server: Server; port: number; close: () => Promise<void> }> {
  const server = createServer(options, handler);
  configure(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return { server, port, close };
}

/**
 * POSTs `chunks` one by one (chunked encoding unless `headers` sets a content-length) and resolves with the
 * status and body of the answer; a connection the server cuts resolves with status 0.
 */
export function post(
  port: number,
  chunks: Buffer[],
  headers: Record<string, string | number> = {},
): Promise<{ status: number; body: string }> {
  return new Promise((resolve) => {
    const req = request({ host: "127.0.0.1", port, method: "POST", path: "/", headers }, (res) => {
      const parts: Buffer[] = [];
      res.on("data", (c: Buffer) => parts.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(parts).toString() }));
      res.on("error", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(parts).toString() }));
    });
    req.on("error", () => resolve({ status: 0, body: "" }));
    for (const chunk of chunks) req.write(chunk);
    req.end();
  });
}
