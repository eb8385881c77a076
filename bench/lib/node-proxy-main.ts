// A bare Node.js reverse proxy, the runtime floor under the gateway and the RelayMiner: node:http in, a
// keep-alive node:http request out, the answer piped back. No parsing, signing or storage.
//   node --import tsx bench/lib/node-proxy-main.ts --port 8081 --upstream http://127.0.0.1:8080
import { Agent, createServer, request } from "node:http";
import { parseArgs } from "node:util";

const { values } = parseArgs({ options: { port: { type: "string" }, upstream: { type: "string" } } });
const upstream = new URL(values.upstream as string);
const agent = new Agent({ keepAlive: true, maxSockets: 1024 });

const server = createServer((req, res) => {
  if (req.url === "/health") {
    res.end("ok");
    return;
  }
  const out = request(
    {
      agent,
      host: upstream.hostname,
      port: upstream.port,
      method: req.method,
      path: req.url,
      headers: { ...req.headers, host: upstream.host, connection: "keep-alive" },
    },
    (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    },
  );
  out.on("error", () => {
    if (!res.headersSent) res.writeHead(502);
    res.end();
  });
  req.pipe(out);
});
server.keepAliveTimeout = 60_000;
server.listen(Number(values.port), "127.0.0.1");
const stop = () => server.close(() => process.exit(0));
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
