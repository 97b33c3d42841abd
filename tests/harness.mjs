// Shared plumbing for the widget's browser tests (tests/*.test.mjs): small models written
// directly in the documented format (neighbours fixed by hand), an in-memory static server on
// 127.0.0.1 that serves the widget and test pages under a strict CSP, headless Chromium
// through playwright-core, and readers for what a placement or the privacy view shows.
// It asserts nothing itself; prerequisites missing (CLI or pkg/) fail loudly.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
export const CLI = join(ROOT, 'target', 'release', 'attune');
export const PKG = [process.env.ATTUNE_PKG, join(ROOT, 'pkg'), join(ROOT, 'www', 'pkg')]
  .filter(Boolean)
  .find((d) => existsSync(join(d, 'attune_web.js')) && existsSync(join(d, 'attune_web_bg.wasm')));
export const CSP =
  "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; require-trusted-types-for 'script'";

export function requirePrerequisites() {
  const missing = [];
  if (!existsSync(CLI)) missing.push(`${CLI} (run: cargo build --release --bin attune)`);
  if (!PKG) missing.push('pkg/attune_web.js + attune_web_bg.wasm (run: scripts/build)');
  if (missing.length) throw new Error('widget test prerequisites missing:\n  ' + missing.join('\n  '));
}

export function cli(args, input) {
  const r = spawnSync(CLI, args, { input, encoding: 'utf8' });
  assert.equal(r.status, 0, `attune ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

// A small gift shop whose neighbours are fixed by hand, so that the tests do not depend on
// how `attune build` happens to weigh co-purchases this week. [id, title, price £, category].
export const CATALOG = [
  ['L1', 'Brass desk lamp', 40, 'Lamps'],
  ['L2', 'Paper lantern', 12, 'Lamps'],
  ['L3', 'Reading lamp', 35, 'Lamps'],
  ['M1', 'Stoneware mug', 8, 'Mugs'],
  ['M2', 'Enamel mug', 6, 'Mugs'],
  ['M3', 'Glass tumbler', 5, 'Mugs'],
  ['T1', 'Earl grey tea', 4, 'Tea'],
  ['T2', 'Green tea', 4.5, 'Tea'],
  ['C1', 'Beeswax candle', 7, 'Candles'],
  ['S1', 'Candle snuffer', 9, 'Candles'],
  ['V1', 'Velvet cushion', 25, 'Cushions'],
  ['P1', 'Gift wrap', 2, 'Wrap'],
];
export const NEIGHBOURS = {
  L1: [['L3', 0.8], ['L2', 0.6], ['C1', 0.5], ['M1', 0.3], ['P1', 0.2]],
  L2: [['S1', 0.7], ['C1', 0.6], ['L1', 0.6], ['P1', 0.3]],
  L3: [['L1', 0.8], ['C1', 0.5], ['P1', 0.3]],
  M1: [['T1', 0.8], ['M2', 0.7], ['M3', 0.6], ['T2', 0.5], ['L1', 0.3], ['P1', 0.2]],
  M2: [['M1', 0.7], ['P1', 0.2]],
  M3: [['T1', 0.6], ['M1', 0.6]],
  T1: [['T2', 0.9], ['M1', 0.8], ['M3', 0.6]],
  T2: [['T1', 0.9], ['M1', 0.5]],
  C1: [['L2', 0.6], ['L3', 0.5], ['S1', 0.5], ['V1', 0.4], ['P1', 0.3]],
  S1: [['L2', 0.7], ['C1', 0.5]],
  V1: [['C1', 0.4], ['P1', 0.2]],
  P1: [['C1', 0.3], ['L2', 0.3], ['T2', 0.2]],
};
export const POPULAR = [['P1', 15], ['M1', 13], ['C1', 11], ['L1', 10], ['T1', 10], ['L2', 9], ['T2', 8], ['L3', 7], ['S1', 6], ['M2', 5], ['M3', 4], ['V1', 3]];

/** The gift-shop model; returns { bytes, path, cleanup } (path: the bytes on disk, for the CLI). */
export function giftShopModel() {
  const bytes = writeModel({
    items: CATALOG.map(([id, title, price]) => ({ id, title, price: Math.round(price * 100) })),
    neighbours: NEIGHBOURS,
    popular: POPULAR,
    meta: { currency: 'GBP' },
  });
  const dir = mkdtempSync(join(tmpdir(), 'attune-widget-'));
  const path = join(dir, 'model.bin');
  writeFileSync(path, bytes);
  return { bytes, path, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * Writes a model file in the documented format (docs/model-format.md, version 1):
 * items [{id, title?, price? (minor units), url?, image?}], neighbours {id: [[id, weight], …]}
 * best first, popular [[id, score], …] most popular first, meta {key: value}.
 */
export function writeModel({ items, neighbours = {}, popular = [], meta = {} }) {
  const index = new Map(items.map((it, i) => [it.id, i]));
  const u32 = (...v) => { const b = Buffer.alloc(4 * v.length); v.forEach((x, i) => b.writeUInt32LE(x >>> 0, 4 * i)); return b; };
  const strings = (list) => {
    const blobs = list.map((s) => Buffer.from(s ?? '', 'utf8'));
    const offsets = [0];
    for (const b of blobs) offsets.push(offsets.at(-1) + b.length);
    return Buffer.concat([u32(list.length), u32(...offsets), ...blobs]);
  };
  const field = (k) => (items.some((it) => it[k] != null) ? items.map((it) => it[k] ?? '') : null);
  const sections = [['IDS_', strings(items.map((it) => it.id))]];
  if (field('title')) sections.push(['TITL', strings(field('title'))]);
  if (field('price')) sections.push(['PRIC', Buffer.concat([u32(items.length), u32(...items.map((it) => it.price ?? 0xffffffff))])]);
  if (field('url')) sections.push(['URLS', strings(field('url'))]);
  if (field('image')) sections.push(['IMGS', strings(field('image'))]);
  const offsets = [0];
  const targets = [];
  const weights = [];
  for (const it of items) {
    for (const [t, w] of neighbours[it.id] || []) { targets.push(index.get(t)); weights.push(Math.max(0, Math.round(w * 65536) - 1)); }
    offsets.push(targets.length);
  }
  const t16 = Buffer.alloc(2 * targets.length);
  targets.forEach((t, i) => t16.writeUInt16LE(t, 2 * i));
  const w16 = Buffer.alloc(2 * weights.length);
  weights.forEach((w, i) => w16.writeUInt16LE(w, 2 * i));
  sections.push(['NBRS', Buffer.concat([u32(items.length, targets.length), Buffer.from([2, 1, 0, 0]), u32(...offsets), t16, w16])]);
  const scores = Buffer.alloc(4 * popular.length);
  popular.forEach(([, s], i) => scores.writeFloatLE(s, 4 * i));
  sections.push(['POPL', Buffer.concat([u32(popular.length), u32(...popular.map(([id]) => index.get(id))), scores])]);
  const pairs = Object.entries(meta);
  if (pairs.length) sections.push(['META', Buffer.concat([u32(pairs.length), strings(pairs.flat())])]);
  let at = 12 + 12 * sections.length;
  const table = sections.map(([tag, body]) => { const e = Buffer.concat([Buffer.from(tag), u32(at, body.length)]); at += body.length; return e; });
  const head = Buffer.concat([Buffer.from('ATTN'), Buffer.from([1, 0, 0, 0]), u32(sections.length), ...table, ...sections.map((s) => s[1])]);
  return Buffer.concat([head, u32(crc32(head))]);
}

function crc32(buf) {
  let c = ~0;
  for (const b of buf) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
  }
  return ~c >>> 0;
}

/**
 * Serves `files` (pathname → [type, body] or (url) → [type, body]) plus the widget, each
 * with the strict CSP. `delay` (pathname → ms) holds a response back. Returns
 * { origin, files, delay, log, close }.
 */
export async function serve(files) {
  const all = {
    '/attune.js': ['text/javascript', () => readFileSync(join(ROOT, 'www', 'attune.js'))],
    '/pkg/attune_web.js': ['text/javascript', () => readFileSync(join(PKG, 'attune_web.js'))],
    '/pkg/attune_web_bg.wasm': ['application/wasm', () => readFileSync(join(PKG, 'attune_web_bg.wasm'))],
    ...files,
  };
  const delay = {};
  const log = [];
  const server = createServer(async (req, res) => {
    const url = new URL(req.url, 'http://x');
    log.push(req.method + ' ' + url.pathname);
    let f = all[url.pathname];
    if (typeof f === 'function') f = f(url);
    if (!f) { res.writeHead(404, { 'content-type': 'text/plain' }); res.end('not found'); return; }
    if (delay[url.pathname]) await new Promise((r) => setTimeout(r, delay[url.pathname]));
    const body = typeof f[1] === 'function' ? f[1]() : f[1];
    res.writeHead(200, { 'content-type': f[0], 'content-security-policy': CSP, 'cache-control': 'no-store' });
    res.end(body);
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return {
    origin: `http://127.0.0.1:${server.address().port}`,
    files: all,
    delay,
    log,
    close: () => new Promise((r) => { server.closeAllConnections?.(); server.close(r); }),
  };
}

export function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}

/**
 * A test page: the loader tag with `attrs`, optional config JSON, extra head markup (e.g.
 * JSON-LD, or module scripts that run before the loader) and body.
 */
export function html({ attrs = 'data-model="/model.bin"', config, head = '', body = '', before = '' } = {}) {
  const cfg = config ? `<script type="application/json" data-attune-config>${JSON.stringify(config)}</script>` : '';
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>widget test</title>${cfg}${head}
${before}<script type="module" src="/attune.js" ${attrs}></script></head>
<body><p id="host">host content</p>${body}</body></html>`;
}

/**
 * A fresh context and page with collectors (warnings, errors, CSP violations, requests,
 * downloads); `init` runs before any page script of every document.
 */
export async function open(browser, url, { init, context } = {}) {
  const ctx = context || (await browser.newContext({ acceptDownloads: true }));
  if (init && !context) await ctx.addInitScript(init);
  const p = await ctx.newPage();
  const log = { warnings: [], errors: [], csp: [], requests: [] };
  await p.exposeBinding('__csp', (_s, v) => log.csp.push(v)).catch(() => {});
  await p.addInitScript(() => document.addEventListener('securitypolicyviolation', (e) => window.__csp(e.violatedDirective + ' ' + e.blockedURI)));
  p.on('console', (m) => {
    if (m.type() === 'warning') log.warnings.push(m.text());
    if (m.type() === 'error' && !/Failed to load resource/.test(m.text())) log.errors.push(m.text());
  });
  p.on('pageerror', (e) => log.errors.push('pageerror: ' + e.message));
  p.on('request', (r) => log.requests.push(r.method() + ' ' + r.url()));
  await p.goto(url);
  const ready = await p.evaluate(() => window.attune.ready);
  return { p, log, ready, context: ctx, close: () => (context ? p.close() : ctx.close()) };
}

/** What a placement (or any shadow host) shows. `null` when it has no shadow root. */
export function shown(p, selector) {
  return p.evaluate((sel) => {
    const r = document.querySelector(sel)?.shadowRoot;
    if (!r) return null;
    const all = (part) => [...r.querySelectorAll(`[part~=${part}]`)];
    const text = (part) => all(part).map((e) => e.textContent);
    return {
      children: [...r.children].filter((c) => c.localName !== 'style').length,
      heading: text('heading'),
      ids: all('link').map((a) => new URL(a.href).searchParams.get('id') ?? new URL(a.href).searchParams.get('item')),
      titles: text('title'),
      prices: text('price'),
      reasons: text('reason'),
      text: r.textContent,
    };
  }, selector);
}

/** Waits until a placement shows at least `min` cards (or exactly none with min 0). */
export async function settle(p, selector, min = 1) {
  await p.waitForFunction(([sel, n]) => {
    const r = document.querySelector(sel)?.shadowRoot;
    const cards = r ? r.querySelectorAll('[part~=link]').length : 0;
    return n === 0 ? !!r && !r.querySelector('[part=placeholder]') && cards === 0 : cards >= n;
  }, [selector, min], { timeout: 10_000 });
  // One more frame: a render scheduled by the same change has run.
  await p.evaluate(() => new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0))));
}

/** The stored profile (parsed), or null. */
export function stored(p) {
  return p.evaluate(() => JSON.parse(localStorage.getItem('attune') || 'null'));
}

/** Every key in localStorage, sessionStorage, cookies and IndexedDB database names. */
export function allKeys(p) {
  return p.evaluate(async () => ({
    local: Object.keys(localStorage),
    session: Object.keys(sessionStorage),
    cookies: document.cookie ? document.cookie.split(';').map((c) => c.split('=')[0].trim()) : [],
    idb: (await indexedDB.databases()).map((d) => d.name),
  }));
}

/** [type, item-or-query] of the stored events. */
export async function storedEvents(p) {
  const s = await stored(p);
  return s ? s.events.map((e) => [e.type, e.item ?? e.query]) : null;
}
