import { createServer, type Socket } from "node:net";

/** A server that drops reused keep-alive connections, for tests of {@link isStaleSocketError} handling. */
export type DroppingServer = {
  url: string;
  /** Requests that got an answer, and requests dropped unanswered. */
  counts(): { answered: number; dropped: number };
  close(): Promise<void>;
};

/**
 * Starts a raw HTTP/1.1 server on 127.0.0.1 that answers the first request of every connection (200, a small
 * JSON body, keep-alive) and closes the connection unanswered when another request arrives on it: what a server
 * does when its keep-alive timeout fires just as a client reuses the connection. With `dropFirst`, it drops
 * every request, fresh connections included; with `cutAfterHeaders`, a dropped request gets a status line and
 * headers before the connection breaks.
 *
 * @example
 * const server = await startDroppingServer();
 * await post(server.url); await post(server.url); // the second must be resent on a new connection
 */
export async function startDroppingServer(
  options: { dropFirst?: boolean; cutAfterHeaders?: boolean } = {},
): Promise<DroppingServer> {
  let answered = 0;
  let dropped = 0;
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => {});
    let buffer = Buffer.alloc(0);
    let served = 0;
    socket.on("data", (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      const end = buffer.indexOf("\r\n\r\n");
      if (end < 0) return;
      const length = Number(/content-length:\s*(\d+)/i.exec(buffer.subarray(0, end).toString())?.[1] ?? 0);
      if (buffer.length < end + 4 + length) return;
      buffer = buffer.subarray(end + 4 + length);
      if (served > 0 || options.dropFirst) {
        dropped++;
        // With cutAfterHeaders the answer starts (status and headers) and breaks off: the server saw the request.
        if (options.cutAfterHeaders) {
          socket.write("HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{");
          setTimeout(() => socket.destroy(), 20);
        } else socket.destroy();
        return;
      }
      served++;
      answered++;
      const body = '{"ok":true}';
      socket.write(
        `HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\nconnection: keep-alive\r\n\r\n${body}`,
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    counts: () => ({ answered, dropped }),
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
