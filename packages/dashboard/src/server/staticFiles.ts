import { createReadStream, existsSync, statSync } from "node:fs";
import type { ServerResponse } from "node:http";
import { extname, join, normalize, sep } from "node:path";

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".json": "application/json",
};

/**
 * Serves a file of the built UI, or `index.html` for any other path (the UI routes `/supplier/0x…` itself).
 * Hashed assets are cached for good; `index.html` never, so a rebuilt UI shows on the next load.
 *
 * @example
 * serveStatic(res, dist, url.pathname);
 */
export function serveStatic(res: ServerResponse, dist: string, pathname: string): void {
  const wanted = normalize(join(dist, decodeURIComponent(pathname)));
  const inside = wanted.startsWith(dist + sep);
  const file = inside && existsSync(wanted) && statSync(wanted).isFile() ? wanted : join(dist, "index.html");
  const isIndex = file === join(dist, "index.html");
  res.writeHead(200, {
    "content-type": TYPES[extname(file)] ?? "application/octet-stream",
    "cache-control": isIndex ? "no-store" : "public, max-age=31536000, immutable",
  });
  createReadStream(file).pipe(res);
}
