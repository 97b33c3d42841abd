//! What the shopper did never changes what the page requests. Two shoppers with different
//! histories (different products viewed and put in the basket, so the widget shows them
//! different suggestions) then browse the demo shop the same way; the requests recorded
//! during that identical walk (URL, method, body) are identical, all GETs without a body,
//! all for the shop's own static files. The images of rendered cards are the one
//! shopper-dependent request a model with image URLs can cause: they go only to catalog
//! URLs, without a Referer (`referrerpolicy="no-referrer"`, even under a permissive shop
//! policy), and `data-images="off"` turns them off.
//! Needs a built www/ (scripts/build). Run: node --test tests/e2e/

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { setup, openPage, waitForPlacement, products, visitProduct } from "./helpers.mjs";
import { attune, canaryServer, launch, pageServer, ready, ROOT, writeCsv } from "./privacy-kit.mjs";
import { WWW } from "./server.mjs";

const ALLOWED = [
  /^\/$/,
  /^\/(index|product|cart|checkout)\.html$/,
  /^\/demo\/(shop\.css|favicon\.svg|products\.json|model\.bin)$/,
  /^\/demo\/(shop|home|product|cart|checkout|prompts)\.js$/,
  /^\/attune\.js$/,
  /^\/pkg\/attune_web(\.js|_bg\.wasm)$/,
  /^\/pkg\/prompts\/attune_prompts(\.js|_bg\.wasm)$/,
  /^\/pkg\/full\/attune_full(\.js|_bg\.wasm)$/,
  /^\/pkg\/((prompts|full)\/)?snippets\/attune-dom-[0-9a-f]+\/inline0\.js$/,
];

let env;
before(async () => {
  env = await setup();
});
after(async () => {
  await env?.stop();
});

/** Builds a history: views (and one basket add) of the given products. */
async function history(page, ids) {
  for (const id of ids) await visitProduct(page, env.origin, id);
  await page.click("#add-to-cart");
  await page.waitForSelector("#cart-status a");
}

/** The walk both shoppers take, step by step, each step waiting for the widget. */
async function walk(page, list) {
  await page.goto(`${env.origin}/`);
  await waitForPlacement(page, 'attune-recs[placement="for-you"]');
  const forYou = await page.evaluate(() =>
    [...(document.querySelector('attune-recs[placement="for-you"]')?.shadowRoot?.querySelectorAll("a[href]") || [])].map((a) => a.href),
  );
  await visitProduct(page, env.origin, list[20].id);
  await waitForPlacement(page, 'attune-recs[placement="similar"]');
  await page.goto(`${env.origin}/cart.html`);
  await waitForPlacement(page, 'attune-recs[placement="for-you"]');
  await page.goto(`${env.origin}/`);
  await waitForPlacement(page, 'attune-recs[placement="recent"]');
  await page.waitForLoadState("networkidle");
  return forYou;
}

const key = (r) => `${r.method} ${r.url.replace(env.origin, "")} ${r.post ?? ""}`;

/** A shopper who consented to personalization (Google Consent Mode, as a shop's CMP
 *  would signal it), so the profile persists across pages whatever the demo's default. */
async function consentingShopper() {
  const s = await openPage(env);
  await s.context.addInitScript(() => {
    (window.dataLayer = window.dataLayer || []).push(["consent", "update", { personalization_storage: "granted" }]);
  });
  return s;
}

test("two shoppers with different histories make identical requests", async () => {
  const list = products();
  const a = await consentingShopper();
  const b = await consentingShopper();
  try {
    await history(a.page, [list[1].id, list[4].id, list[9].id]);
    await history(b.page, [list[60].id, list[75].id]);
    const profiles = await Promise.all([a, b].map((s) => s.page.evaluate(() => Object.keys(localStorage).sort().map((k) => [k, localStorage.getItem(k)]))));
    assert.notDeepEqual(profiles[0], profiles[1], "the two shoppers' stored data should differ");

    a.requests.length = 0;
    b.requests.length = 0;
    const seenA = await walk(a.page, list);
    const seenB = await walk(b.page, list);
    // The widget did personalize: the two saw different suggestions...
    assert.ok(seenA.length > 0 && seenB.length > 0, "for-you rendered nothing");
    assert.notDeepEqual(seenA, seenB, "both shoppers saw the same suggestions: the histories did not matter");
    // ...and the network saw no difference at all.
    const ra = a.requests.map(key).sort();
    const rb = b.requests.map(key).sort();
    assert.ok(ra.length > 8, `only ${ra.length} requests recorded`);
    assert.deepEqual(ra, rb);
    for (const r of a.requests) {
      const u = new URL(r.url);
      assert.equal(r.method, "GET", key(r));
      assert.equal(r.post, null, `a request with a body: ${key(r)}`);
      assert.equal(u.origin, env.origin, `another origin: ${r.url}`);
      assert.ok(ALLOWED.some((re) => re.test(u.pathname)), `not a static file of the shop: ${u.pathname}`);
    }
    assert.deepEqual([...a.errors, ...b.errors], []);
  } finally {
    await a.close();
    await b.close();
  }
});

// Catalog images: a model whose items have image URLs on another origin (a stand-in CDN).
let cdn;
let shop;
let browser;
let tmp;
let imageUrls;
let ids;

async function imageSetup() {
  cdn = await canaryServer();
  tmp = mkdtempSync(path.join(tmpdir(), "attune-img-"));
  const sample = attune(["catalog", "--model", path.join(WWW, "demo/model.bin"), "--top", "40"]);
  ids = JSON.parse(sample).map((x) => x.id);
  imageUrls = new Map(ids.map((id) => [id, `${cdn.origin}/img/${encodeURIComponent(id)}.png`]));
  const catalog = path.join(tmp, "catalog.csv");
  writeCsv(catalog, ["id", "image"], ids.map((id) => [id, imageUrls.get(id)]));
  const model = path.join(tmp, "model.bin");
  attune(["build", "--interactions", path.join(ROOT, "data/online-retail/online-retail.csv.gz"), "--catalog", catalog, "--out", model]);
  const page = (extra) => `<!doctype html><html><head><meta charset="utf-8"><title>img</title>
<script type="module" src="/attune.js" data-model="/model.bin" ${extra}></script></head>
<body><attune-recs placement="for-you" k="8"></attune-recs><attune-recs placement="recent" k="8"></attune-recs></body></html>`;
  shop = await pageServer(
    {
      "/model.bin": ["application/octet-stream", readFileSync(model)],
      "/on.html": ["text/html", page("")],
      "/off.html": ["text/html", page('data-images="off"')],
      "/favicon.ico": ["image/x-icon", ""],
    },
    // A shop with a permissive referrer policy: the page URL (here with a query) would go
    // to every host the page loads from, unless the widget's images say otherwise.
    { "referrer-policy": "unsafe-url" },
  );
  browser = await launch();
}

async function imageTeardown() {
  await browser?.close();
  await shop?.close();
  await cdn?.close();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
}

/** Views `viewed`, waits for the cards, returns the image host's log and the rendered srcs. */
async function browseImages(file, viewed) {
  cdn.hits.length = 0;
  cdn.referers.length = 0;
  const context = await browser.newContext();
  const page = await context.newPage();
  try {
    await page.goto(`${shop.origin}/${file}?viewing=secret-product`);
    assert.equal(await ready(page), true);
    await page.evaluate((list) => { for (const id of list) window.attune.track({ type: "view", item: id }); }, viewed);
    await page.waitForFunction(() => (document.querySelector('attune-recs[placement="recent"]')?.shadowRoot?.querySelectorAll("a[href]").length || 0) > 0, null, { timeout: 10_000 });
    await page.waitForTimeout(300);
    await page.waitForLoadState("networkidle");
    const srcs = await page.evaluate(() => [...document.querySelectorAll("attune-recs")].flatMap((e) => [...(e.shadowRoot?.querySelectorAll("img") || [])].map((i) => i.src)));
    return { hits: [...cdn.hits], srcs, referers: [...cdn.referers] };
  } finally {
    await context.close();
  }
}

test("catalog image requests go only to the model's image URLs, as plain GETs", async () => {
  await imageSetup();
  try {
    const allowed = new Set([...imageUrls.values()].map((u) => `GET ${new URL(u).pathname}`));
    const r = await browseImages("on.html", ids.slice(0, 5));
    assert.ok(r.srcs.length > 0, "no card showed an image: the test would prove nothing");
    assert.ok(r.hits.length > 0, "the image host saw no request");
    for (const h of r.hits) assert.ok(allowed.has(h), `the image host got ${h}, not a catalog image`);
    for (const s of r.srcs) assert.ok([...imageUrls.values()].includes(s), `an image from ${s}`);
  } finally {
    await imageTeardown();
  }
});

test(
  'data-images="off": no image element and no image request',
  async () => {
    await imageSetup();
    try {
      const r = await browseImages("off.html", ids.slice(0, 5));
      assert.deepEqual(r.srcs, []);
      assert.deepEqual(r.hits, []);
    } finally {
      await imageTeardown();
    }
  },
);

test(
  "catalog images send no Referer, so the image host does not learn the page the shopper is on",
  async () => {
    await imageSetup();
    try {
      const r = await browseImages("on.html", ids.slice(0, 5));
      assert.ok(r.hits.length > 0, "no image was requested");
      assert.deepEqual(r.referers, []);
    } finally {
      await imageTeardown();
    }
  },
);
