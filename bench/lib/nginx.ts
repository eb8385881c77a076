import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Child, freePort, spawnCommand, waitForHttp } from "./processes.js";

/** How to get nginx (and wrk) on Debian; printed when nginx is missing. */
export const nginxInstallHint = "apt-get update && apt-get install -y nginx wrk";

/**
 * The nginx binary on PATH or in /usr/sbin, or undefined.
 *
 * @example
 * if (!findNginx()) console.log(`nginx is not installed: ${nginxInstallHint}`);
 */
export function findNginx(): string | undefined {
  for (const candidate of ["nginx", "/usr/sbin/nginx"]) {
    try {
      execFileSync(candidate, ["-v"], { stdio: "ignore" });
      return candidate;
    } catch {
      // try the next
    }
  }
  return undefined;
}

/**
 * An nginx configuration with two reverse-proxy hops on 127.0.0.1: `entryPort` → `middlePort` → `backendPort`,
 * each upstream with keep-alive connections and no response buffering (streams pass through as they come).
 *
 * @example
 * writeFileSync("nginx.conf", twoHopConfig({ dir, entryPort: 8081, middlePort: 8082, backendPort: 8080 }));
 */
export function twoHopConfig(o: {
  dir: string;
  entryPort: number;
  middlePort: number;
  backendPort: number;
  /** Run workers as root (nginx drops to `nobody` otherwise, which cannot write the scratch directory). */
  asRoot?: boolean;
}): string {
  const proxy = (upstream: string) => `
    location / {
      proxy_pass http://${upstream};
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_buffering off;
      proxy_request_buffering off;
    }`;
  return `${o.asRoot ? "user root;\n" : ""}worker_processes auto;
pid ${o.dir}/nginx.pid;
error_log ${o.dir}/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  keepalive_requests 1000000;
  client_body_temp_path ${o.dir}/client_body;
  proxy_temp_path ${o.dir}/proxy;
  fastcgi_temp_path ${o.dir}/fastcgi;
  uwsgi_temp_path ${o.dir}/uwsgi;
  scgi_temp_path ${o.dir}/scgi;
  upstream backend { server 127.0.0.1:${o.backendPort}; keepalive 256; keepalive_requests 1000000; }
  upstream middle { server 127.0.0.1:${o.middlePort}; keepalive 256; keepalive_requests 1000000; }
  server {
    listen 127.0.0.1:${o.middlePort};${proxy("backend")}
  }
  server {
    listen 127.0.0.1:${o.entryPort};${proxy("middle")}
  }
}
`;
}

/** A running two-hop nginx. */
export type NginxProxy = { origin: string; child: Child; stop(): Promise<void> };

/**
 * Starts nginx (in the foreground, as a child) with {@link twoHopConfig} in a scratch directory, in front of
 * `backendOrigin`'s port, and waits until a request passes both hops.
 *
 * @example
 * const proxy = await startTwoHopNginx(nginx, backend.port);
 * await fetch(`${proxy.origin}/health`);
 */
export async function startTwoHopNginx(binary: string, backendPort: number): Promise<NginxProxy> {
  const dir = mkdtempSync(join(tmpdir(), "decai-bench-nginx-"));
  mkdirSync(join(dir, "logs"));
  const [entryPort, middlePort] = [await freePort(), await freePort()];
  const asRoot = process.getuid?.() === 0;
  writeFileSync(join(dir, "nginx.conf"), twoHopConfig({ dir, entryPort, middlePort, backendPort, asRoot }));
  const child = spawnCommand("nginx", binary, [
    "-p",
    dir,
    "-c",
    join(dir, "nginx.conf"),
    "-g",
    "daemon off;",
  ]);
  const origin = `http://127.0.0.1:${entryPort}`;
  await waitForHttp(`${origin}/health`, child, 15_000);
  return {
    origin,
    child,
    async stop() {
      await child.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
