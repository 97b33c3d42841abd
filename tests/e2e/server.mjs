//! A tiny static file server for www/ used by the end-to-end tests: loopback only, an
//! ephemeral port, GET/HEAD only, correct MIME types (application/wasm matters: the widget
//! uses streaming instantiation). It also logs every request it answers, so tests can check
//! what the page fetched from the server's side too. It must never serve outside its root.

import http from "node:http";
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const WWW = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../www");

const MIME = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".wasm": "application/wasm",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".txt": "text/plain; charset=utf-8",
  ".bin": "application/octet-stream",
  ".ts": "text/plain; charset=utf-8",
};

/**
 * Starts the server. Resolves to { origin, port, log, close() }; `log` is an array of
 * { method, url, status } in arrival order.
 */
export async function startServer({ root = WWW } = {}) {
  const log = [];
  const server = http.createServer(async (req, res) => {
    const entry = { method: req.method, url: req.url, status: 0 };
    log.push(entry);
    const send = (status, body, type = "text/plain; charset=utf-8") => {
      entry.status = status;
      res.writeHead(status, { "content-type": type, "cache-control": "no-store" });
      res.end(req.method === "HEAD" ? undefined : body);
    };
    if (req.method !== "GET" && req.method !== "HEAD") return send(405, "method not allowed\n");

    let pathname;
    try {
      pathname = decodeURIComponent(new URL(req.url, "http://x").pathname);
    } catch {
      return send(400, "bad request\n");
    }
    if (pathname.endsWith("/")) pathname += "index.html";
    const file = path.resolve(root, "." + pathname);
    if (file !== root && !file.startsWith(root + path.sep)) return send(403, "forbidden\n");

    let info;
    try {
      info = await stat(file);
    } catch {
      return send(404, "not found\n");
    }
    if (!info.isFile()) return send(404, "not found\n");
    entry.status = 200;
    res.writeHead(200, {
      "content-type": MIME[path.extname(file).toLowerCase()] || "application/octet-stream",
      "content-length": info.size,
      "cache-control": "no-store",
    });
    if (req.method === "HEAD") return res.end();
    createReadStream(file).pipe(res);
  });

  await new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", resolve);
  });
  const { port } = server.address();
  return {
    origin: `http://127.0.0.1:${port}`,
    port,
    log,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}

// `node tests/e2e/server.mjs` serves www/ for a quick look (prints the URL).
if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const s = await startServer();
  console.log(`serving ${WWW} at ${s.origin}/`);
}
