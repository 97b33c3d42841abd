//! Plumbing for the privacy and hardening tests (xss, csp-trusted-types, privacy-shoppers,
//! privacy-audit): a loopback server for hand-made pages with any response headers (CSP,
//! report-only Trusted Types), a "canary" server whose every hit is evidence of an escape,
//! model building through the real `attune` CLI, and a page's CSP violations, dialogs and
//! requests. It asserts nothing itself.

import { createServer } from "node:http";
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { chromium } from "playwright-core";
import { WWW } from "./server.mjs";

export const ROOT = path.resolve(WWW, "..");
export const CLI = path.join(ROOT, "target", "release", "attune");
export const STRICT_CSP =
  "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; require-trusted-types-for 'script'";

export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
];

export function launch() {
  return chromium.launch({ executablePath: process.env.CHROMIUM || "/usr/bin/chromium", args: CHROMIUM_ARGS });
}

/** Runs the attune CLI; throws with its stderr on failure. */
export function attune(args, input) {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run scripts/build first`);
  const r = spawnSync(CLI, args, { input, encoding: "utf8", maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`attune ${args.join(" ")} failed (${r.status}): ${r.stderr}`);
  return r.stdout;
}

export function csvField(v) {
  const s = String(v);
  return /[",\r\n]/.test(s) || s !== s.trim() ? `"${s.replaceAll('"', '""')}"` : s;
}

export function writeCsv(file, header, rows) {
  writeFileSync(file, [header.join(","), ...rows.map((r) => r.map(csvField).join(","))].join("\n") + "\n");
}

/**
 * A static server: `routes` maps a path to [contentType, body | () => body]; every response
 * carries `headers` (e.g. a CSP). `/attune.js` and `/pkg/*` come from www/ unless routed.
 * Logs every request (method, url, body) in `log`.
 */
export async function pageServer(routes = {}, headers = {}) {
  const log = [];
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      const url = new URL(req.url, "http://x");
      log.push({ method: req.method, url: req.url, body });
      let r = routes[url.pathname];
      if (!r && (url.pathname === "/attune.js" || url.pathname.startsWith("/pkg/"))) {
        const file = path.join(WWW, url.pathname);
        if (existsSync(file)) {
          const type = file.endsWith(".wasm") ? "application/wasm" : "text/javascript";
          r = [type, () => readFileSync(file)];
        }
      }
      if (!r) {
        res.writeHead(404, { "content-type": "text/plain", ...headers });
        res.end("not found");
        return;
      }
      const [type, content] = r;
      res.writeHead(200, { "content-type": type, "cache-control": "no-store", ...headers });
      res.end(typeof content === "function" ? content() : content);
    });
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const origin = `http://127.0.0.1:${server.address().port}`;
  return {
    origin,
    log,
    close: () => new Promise((resolve) => { server.closeAllConnections?.(); server.close(() => resolve()); }),
  };
}

/** A server that must never be contacted (or a stand-in image host): `hits` lists every
 *  request it got, `referers` every Referer header. */
export async function canaryServer() {
  const hits = [];
  const referers = [];
  const server = createServer((req, res) => {
    hits.push(`${req.method} ${req.url}`);
    if (req.headers.referer) referers.push(req.headers.referer);
    res.writeHead(200, { "content-type": "text/plain", "access-control-allow-origin": "*" });
    res.end("window.__xss=1");
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    origin: `http://127.0.0.1:${server.address().port}`,
    hits,
    referers,
    close: () => new Promise((resolve) => { server.closeAllConnections?.(); server.close(() => resolve()); }),
  };
}

/**
 * A context + page that records CSP violations (enforced and report-only), dialogs,
 * console errors, page errors and every request with its body.
 */
export async function watchedPage(browser) {
  const context = await browser.newContext();
  const csp = [];
  await context.exposeBinding("__attuneTestCsp", (_s, v) => csp.push(v));
  await context.addInitScript(() => {
    document.addEventListener("securitypolicyviolation", (e) => {
      window.__attuneTestCsp(`${e.disposition} ${e.effectiveDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber} ${e.sample}`);
    }, true);
  });
  const page = await context.newPage();
  const dialogs = [];
  const errors = [];
  const requests = [];
  page.on("dialog", (d) => { dialogs.push(d.message()); d.dismiss().catch(() => {}); });
  page.on("pageerror", (e) => errors.push(`pageerror: ${e.message}`));
  page.on("console", (m) => { if (m.type() === "error") errors.push(`console: ${m.text()}`); });
  page.on("request", (r) => requests.push({ method: r.method(), url: r.url(), body: r.postData() ?? null, type: r.resourceType() }));
  return { context, page, csp, dialogs, errors, requests, close: () => context.close() };
}

/** Resolves true when window.attune.ready resolved true, false on failure or timeout. */
export async function ready(page, timeout = 15_000) {
  return page.evaluate(async (ms) => {
    for (let i = 0; i < 400 && !window.attune; i++) await new Promise((r) => setTimeout(r, 25));
    if (!window.attune) return false;
    return Promise.race([window.attune.ready.then((v) => v === true), new Promise((r) => setTimeout(() => r(false), ms))]);
  }, timeout);
}

/**
 * Everything inside the shadow roots of `selector` elements: elements (tag, attributes),
 * link and image URLs, and the text of each part, for DOM-level assertions.
 */
export async function shadowDump(page, selector) {
  return page.evaluate((sel) => {
    const out = { elements: [], hrefs: [], srcs: [], titles: [], text: "" };
    const walk = (node) => {
      for (const el of node.querySelectorAll("*")) {
        out.elements.push({ tag: el.localName, attrs: el.getAttributeNames() });
        if (el.shadowRoot) walk(el.shadowRoot);
      }
    };
    for (const host of document.querySelectorAll(sel)) {
      if (!host.shadowRoot) continue;
      walk(host.shadowRoot);
      for (const a of host.shadowRoot.querySelectorAll("a[href]")) out.hrefs.push(a.href);
      for (const i of host.shadowRoot.querySelectorAll("img")) out.srcs.push(i.getAttribute("src"));
      for (const t of host.shadowRoot.querySelectorAll('[part~="title"]')) out.titles.push(t.textContent);
      out.text += host.shadowRoot.textContent;
    }
    return out;
  }, selector);
}
