import { createConnection, createServer, type Server, type Socket } from "node:net";

/** A TCP proxy on loopback whose link can be cut (connections refused, open ones reset) and restored. */
export type TcpProxy = {
  /** `http://127.0.0.1:<port>`: what clients use instead of the target. */
  url: string;
  port: number;
  /** Whether the link is cut now. */
  readonly cut: boolean;
  /** Stops listening and resets every open connection: to clients the target is unreachable. */
  disconnect(): Promise<void>;
  /** Listens again on the same port. */
  reconnect(): Promise<void>;
  stop(): Promise<void>;
};

/**
 * Starts a TCP proxy in front of `target` (e.g. anvil's RPC port), so a test can make the chain unreachable for
 * some processes (RelayMiners, the gateway) while it keeps driving the chain directly.
 *
 * @example
 * const rpc = await startTcpProxy(anvil.port);
 * await rpc.disconnect(); // ECONNREFUSED for everyone using rpc.url
 * await rpc.reconnect();
 */
export async function startTcpProxy(targetPort: number, targetHost = "127.0.0.1"): Promise<TcpProxy> {
  const sockets = new Set<Socket>();
  const track = (socket: Socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
  };
  const open = (port: number): Promise<Server> => {
    const server = createServer((client) => {
      const upstream = createConnection(targetPort, targetHost);
      track(client);
      track(upstream);
      client.pipe(upstream);
      upstream.pipe(client);
      client.on("error", () => upstream.destroy());
      upstream.on("error", () => client.destroy());
      client.on("close", () => upstream.destroy());
      upstream.on("close", () => client.destroy());
    });
    return new Promise((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, "127.0.0.1", () => {
        server.off("error", reject);
        resolve(server);
      });
    });
  };
  let server: Server | undefined = await open(0);
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  const close = async () => {
    const closing = server;
    server = undefined;
    if (!closing) return;
    const closed = new Promise<void>((resolve) => closing.close(() => resolve()));
    for (const socket of sockets) socket.resetAndDestroy();
    await closed;
  };
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    get cut() {
      return server === undefined;
    },
    disconnect: close,
    async reconnect() {
      server ??= await open(port);
    },
    stop: close,
  };
}
