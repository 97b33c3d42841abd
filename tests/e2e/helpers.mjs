//! Shared plumbing for the demo's end-to-end tests: one headless Chromium and one static
//! server per test file, a fresh browser context (empty localStorage) per test, collectors for
//! console errors / page errors / CSP violations / requests, and readers for what an Attune
//! placement rendered. It also knows the real catalogue (the shipped Online Retail export), so
//! tests can tell real items from made-up ones. It asserts nothing itself.

import { existsSync, readFileSync } from "node:fs";
import { gunzipSync } from "node:zlib";
import path from "node:path";
import { chromium } from "playwright-core";
import { startServer, WWW } from "./server.mjs";

export const ROOT = path.resolve(WWW, "..");

const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
];

/** The files the demo needs that scripts/build generates; a clear failure if absent. */
export function checkBuilt() {
  const need = ["attune.js", "pkg/attune_web.js", "pkg/attune_web_bg.wasm", "demo/model.bin", "demo/products.json"];
  const missing = need.filter((f) => !existsSync(path.join(WWW, f)));
  if (missing.length) {
    throw new Error(`www/ is not built (missing ${missing.join(", ")}); run scripts/build first`);
  }
}

/** Starts the server and the browser. Call `stop()` in an `after` hook. */
export async function setup() {
  checkBuilt();
  const server = await startServer();
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: CHROMIUM_ARGS,
  });
  return {
    server,
    browser,
    origin: server.origin,
    async stop() {
      await browser.close();
      await server.close();
    },
  };
}

/**
 * A fresh context + page with collectors attached before any page script runs:
 * `errors` (console errors and uncaught exceptions), `warnings`, `requests`, and `csp`
 * (every `securitypolicyviolation` event of every document the context loads).
 */
export async function openPage(env, { viewport = { width: 1280, height: 900 } } = {}) {
  const context = await env.browser.newContext({ viewport });
  const csp = [];
  // A binding survives navigations, so no violation is lost when a page unloads.
  await context.exposeBinding("__attuneTestCsp", (_source, v) => csp.push(v));
  await context.addInitScript(() => {
    // Runs before the page's own scripts, in every document of the context.
    document.addEventListener("securitypolicyviolation", (e) => {
      window.__attuneTestCsp(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`);
    });
  });
  const page = await context.newPage();
  const errors = [];
  const warnings = [];
  const requests = [];
  page.on("console", (m) => {
    if (m.type() === "error") errors.push(`console: ${m.text()}`);
    if (m.type() === "warning") warnings.push(m.text());
  });
  page.on("pageerror", (e) => errors.push(`pageerror: ${e.message}`));
  page.on("request", (r) =>
    requests.push({ method: r.method(), url: r.url(), type: r.resourceType(), post: r.postData() }),
  );
  return { context, page, errors, warnings, requests, csp, close: () => context.close() };
}

/** Waits until the widget says it is ready (true) or failed (false). */
export async function attuneReady(page, timeout = 15_000) {
  return page.evaluate(
    (ms) =>
      Promise.race([
        new Promise((r) => setTimeout(() => r("timeout"), ms)),
        (async () => {
          // The loader is a module script; wait for it to define window.attune.
          for (let i = 0; i < 200 && !window.attune; i++) await new Promise((r) => setTimeout(r, 25));
          if (!window.attune) return "absent";
          try {
            return (await window.attune.ready) !== false;
          } catch {
            return false;
          }
        })(),
      ]),
    timeout,
  );
}

/**
 * What a placement rendered: [{id, title, href}] in display order, read from its shadow
 * root's links. `id` is parsed back from the item URL template (/product.html?id={id}).
 */
export async function placementItems(page, selector) {
  return page.evaluate((sel) => {
    const host = document.querySelector(sel);
    if (!host) return null;
    const root = host.shadowRoot;
    if (!root) return [];
    const seen = new Set();
    const out = [];
    for (const a of root.querySelectorAll("a[href]")) {
      const url = new URL(a.href, location.href);
      const id = url.searchParams.get("id");
      if (!id || seen.has(id)) continue; // a card may link its picture and its title
      seen.add(id);
      // The widget names its pieces with part="…"; the title is its own part.
      const title = (a.querySelector('[part~="title"]') || a).textContent.trim();
      out.push({ id, title, href: a.href });
    }
    return out;
  }, selector);
}

/** Waits for a placement to render at least `min` items; returns them (or [] on timeout). */
export async function waitForPlacement(page, selector, { min = 1, timeout = 15_000 } = {}) {
  try {
    await page.waitForFunction(
      ([sel, n]) => {
        const host = document.querySelector(sel);
        return !!host && !!host.shadowRoot && host.shadowRoot.querySelectorAll("a[href]").length >= n;
      },
      [selector, min],
      { timeout },
    );
  } catch {
    return [];
  }
  // Let a render in progress finish (one more frame) before reading.
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => r())));
  return placementItems(page, selector);
}

/** Visible text of a placement (shadow root), for "renders nothing" checks. */
export async function placementText(page, selector) {
  return page.evaluate((sel) => {
    const host = document.querySelector(sel);
    if (!host || !host.shadowRoot) return "";
    let text = "";
    const walk = (n) => {
      for (const c of n.childNodes) {
        if (c.nodeType === 3) text += c.textContent;
        else if (c.nodeType === 1 && c.localName !== "style") walk(c);
      }
    };
    walk(host.shadowRoot);
    return text.trim();
  }, selector);
}

export function normTitle(s) {
  return String(s || "")
    .toUpperCase()
    .replace(/\s+/g, " ")
    .trim();
}

let catalog = null;
/**
 * The real catalogue from the shipped export: Map(stockCode → Set of descriptions, upper
 * case). Used to prove placements show real items with their real titles.
 */
export function realCatalog() {
  if (catalog) return catalog;
  const gz = readFileSync(path.join(ROOT, "data/online-retail/online-retail.csv.gz"));
  const text = gunzipSync(gz).toString("utf8");
  catalog = new Map();
  let lineStart = text.indexOf("\n") + 1; // skip the header
  while (lineStart < text.length) {
    let end = text.indexOf("\n", lineStart);
    if (end < 0) end = text.length;
    const fields = splitCsvLine(text.slice(lineStart, end).replace(/\r$/, ""));
    lineStart = end + 1;
    const [, code, desc] = fields;
    if (!code) continue;
    let set = catalog.get(code);
    if (!set) catalog.set(code, (set = new Set()));
    if (desc) set.add(normTitle(desc));
  }
  return catalog;
}

function splitCsvLine(line) {
  const out = [];
  let i = 0;
  while (i <= line.length) {
    if (line[i] === '"') {
      let v = "";
      i++;
      for (;;) {
        const q = line.indexOf('"', i);
        if (q < 0) {
          v += line.slice(i);
          i = line.length;
          break;
        }
        v += line.slice(i, q);
        if (line[q + 1] === '"') {
          v += '"';
          i = q + 2;
        } else {
          i = q + 1;
          break;
        }
      }
      out.push(v);
      i++; // the comma
    } else {
      let c = line.indexOf(",", i);
      if (c < 0) c = line.length;
      out.push(line.slice(i, c));
      i = c + 1;
    }
  }
  return out;
}

export function products() {
  return JSON.parse(readFileSync(path.join(WWW, "demo/products.json"), "utf8"));
}

/** Shop pages wait on this marker (set by product.js once the view was handed to Attune). */
export async function visitProduct(page, origin, id) {
  await page.goto(`${origin}/product.html?id=${encodeURIComponent(id)}`);
  await page.waitForSelector('body[data-tracked="view"]', { timeout: 15_000 });
}
