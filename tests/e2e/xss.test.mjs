//! Hostile catalog data never runs as script and never becomes markup. Models are built with
//! the real CLI (`attune build --catalog FILE`) so that every payload of the corpus
//! (xss-payloads.mjs, over 100 strings) sits, one per item, in each catalog field in turn:
//! title, product URL, image URL, and the item id itself where an id can hold it. A page
//! shows every item (the `recent` placement, 24 at a time, and the shopper's privacy view,
//! which names the latest items by title) with the loader and Wasm from
//! www/, under a report-only `require-trusted-types-for 'script'` policy, so any use of an
//! HTML or script sink is reported even when the payload is harmless. For every batch:
//! the canary global stays unset, no dialog opens, the canary server gets no request, no
//! sink is used, the cards hold only plain elements without event-handler attributes,
//! titles arrive as text, and every link and image URL is http(s) or was dropped.
//! Needs a built www/ and target/release/attune (scripts/build). Run: node --test tests/e2e/

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { attune, canaryServer, launch, pageServer, ready, shadowDump, watchedPage, writeCsv } from "./privacy-kit.mjs";
import { payloads } from "./xss-payloads.mjs";

const BATCH = 24;
// The only elements a card may contain.
const ALLOWED_TAGS = new Set([
  "section", "div", "h2", "h3", "p", "ul", "ol", "li", "a", "span", "img", "button", "small",
  "strong", "em", "b", "i", "figure", "figcaption", "header", "footer", "time", "label", "br",
]);
const ID_OK = /^[^\s\u0000-\u001f\u007f]+$/u;

let canary;
let server;
let browser;
let tmp;
let corpus;
const models = {}; // field → { file, items: [{id, payload, title}] }

function buildModel(field, list) {
  // Item i carries payload i in `field`; every other field is plain.
  const items = list.map((p, i) => ({ id: field === "id" ? p : `X${i}`, payload: p }));
  const orders = [];
  items.forEach((it, i) => {
    for (let c = 0; c < 3; c++) orders.push([`c${(i + c) % items.length}`, it.id, 1, `o${(i + c) % items.length}`]);
  });
  const dir = path.join(tmp, field);
  const ordersCsv = `${dir}-orders.csv`;
  const catalogCsv = `${dir}-catalog.csv`;
  writeCsv(ordersCsv, ["customer", "item", "quantity", "order"], orders);
  writeCsv(
    catalogCsv,
    ["id", "title", "price", "url", "image"],
    items.map((it, i) => [
      it.id,
      field === "title" ? it.payload : `Item ${i}`,
      "1.00",
      field === "url" ? it.payload : "",
      field === "image" ? it.payload : "",
    ]),
  );
  const file = `${dir}.bin`;
  attune(["build", "--interactions", ordersCsv, "--catalog", catalogCsv, "--out", file, "--skip-items", "", "--currency", "GBP"]);
  // What the model really holds (the CLI may refuse an id): id → title.
  const held = new Map(JSON.parse(attune(["catalog", "--model", file])).map((x) => [x.id, x.title]));
  const kept = items.filter((it) => held.has(it.id)).map((it) => ({ ...it, title: held.get(it.id) }));
  return { file, items: kept };
}

before(async () => {
  canary = await canaryServer();
  corpus = payloads(canary.origin);
  assert.ok(corpus.length >= 100, `only ${corpus.length} payloads`);
  tmp = mkdtempSync(path.join(tmpdir(), "attune-xss-"));
  for (const field of ["title", "url", "image"]) models[field] = buildModel(field, corpus);
  const ids = [...new Set(corpus.filter((p) => ID_OK.test(p) && Buffer.byteLength(p) <= 200))];
  models.id = buildModel("id", ids);
  const routes = { "/": ["text/html", "<!doctype html><title>x</title>"] };
  for (const [field, m] of Object.entries(models)) {
    routes[`/m/${field}.bin`] = ["application/octet-stream", readFileSync(m.file)];
    routes[`/${field}.html`] = [
      "text/html; charset=utf-8",
      `<!doctype html><html><head><meta charset="utf-8"><title>xss ${field}</title>
<script type="module" src="/attune.js" data-model="/m/${field}.bin"></script></head>
<body><p id="host">host content</p></body></html>`,
    ];
  }
  // Report-only: the pages work as without a policy, but any sink use is reported.
  server = await pageServer(routes, { "content-security-policy-report-only": "require-trusted-types-for 'script'" });
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await server?.close();
  await canary?.close();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

/**
 * Shows `ids` in a fresh `recent` placement and a fresh privacy view; resolves when `n`
 * cards rendered (or 10 s).
 */
async function show(page, ids) {
  await page.evaluate((list) => {
    for (const e of document.querySelectorAll("attune-recs, attune-privacy")) e.remove();
    window.attune.forget();
    for (const id of list) window.attune.track({ type: "view", item: id });
    const el = document.createElement("attune-recs");
    el.setAttribute("placement", "recent");
    el.setAttribute("k", String(list.length));
    document.body.append(el, document.createElement("attune-privacy"));
  }, ids);
  await page
    .waitForFunction(
      (n) => {
        const r = document.querySelector("attune-recs")?.shadowRoot;
        return !!r && r.querySelectorAll('[part~="item"]').length >= n;
      },
      ids.length,
      { timeout: 10_000 },
    )
    .catch(() => {});
  // Give injected handlers (onerror of a broken image, onload, autofocus) time to fire.
  await page.waitForTimeout(250);
}

const norm = (s) => String(s).replace(/[\s\u0000-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2060-\u206f\ufeff]+/gu, "");

for (const field of ["title", "url", "image", "id"]) {
  test(`every payload in the catalog ${field} field stays inert`, async () => {
    const m = models[field];
    const min = field === "id" ? 40 : corpus.length;
    assert.ok(m.items.length >= min, `${field}: only ${m.items.length} items reached the model`);
    const t = await watchedPage(browser);
    const { page } = t;
    try {
      await page.goto(`${server.origin}/${field}.html`);
      assert.equal(await ready(page), true, "the widget did not start");
      let rendered = 0;
      for (let at = 0; at < m.items.length; at += BATCH) {
        const batch = m.items.slice(at, at + BATCH);
        await show(page, batch.map((x) => x.id));
        const state = await page.evaluate(() => ({ xss: window.__xss, topXss: top.__xss }));
        assert.deepEqual(state, { xss: undefined, topXss: undefined }, `script ran (batch at ${at})`);
        assert.deepEqual(t.dialogs, [], "a dialog opened");
        assert.deepEqual(canary.hits, [], "the canary server was contacted");
        assert.deepEqual(t.csp, [], "an HTML or script sink was used (Trusted Types report)");

        const dump = await shadowDump(page, "attune-recs, attune-privacy");
        for (const el of dump.elements) {
          assert.ok(ALLOWED_TAGS.has(el.tag), `a <${el.tag}> element in a card (batch at ${at})`);
          for (const a of el.attrs) assert.ok(!/^on/i.test(a) && a !== "srcdoc" && a !== "ping", `attribute ${a} on <${el.tag}>`);
        }
        const cards = await page.evaluate(() =>
          [...document.querySelector("attune-recs").shadowRoot.querySelectorAll('[part~="item"]')].map((li) => {
            const a = li.querySelector("a[href]");
            const img = li.querySelector("img");
            const title = li.querySelector('[part~="title"]');
            return {
              href: a && a.href,
              src: img && img.getAttribute("src"),
              title: title && title.textContent,
            };
          }),
        );
        assert.equal(cards.length, batch.length, `batch at ${at}: ${cards.length} of ${batch.length} items rendered`);
        rendered += cards.length;
        // Most recent first: card j shows batch[batch.length - 1 - j].
        const expected = [...batch].reverse();
        // How the browser itself parses each payload as a URL relative to the page.
        const parsed = await page.evaluate(
          (list) => list.map((p) => { try { const u = new URL(p, document.baseURI); return { protocol: u.protocol, href: u.href }; } catch { return null; } }),
          expected.map((x) => x.payload),
        );
        cards.forEach((c, j) => {
          const it = expected[j];
          const where = `${field} payload ${JSON.stringify(it.payload).slice(0, 80)}`;
          assert.ok(c.href && /^https?:$/.test(new URL(c.href).protocol), `${where}: link ${c.href}`);
          if (c.src !== null) assert.ok(/^https?:$/.test(new URL(c.src, server.origin).protocol), `${where}: image ${c.src}`);
          const safe = parsed[j] && /^https?:$/.test(parsed[j].protocol);
          if (field === "title") {
            const shown = norm(c.title);
            assert.ok(shown === norm(it.title) || (norm(it.title) === "" && shown === norm(it.id)), `${where}: title shown as ${JSON.stringify(c.title).slice(0, 80)}`);
          }
          if (field === "url") {
            const fallback = new URL(`?item=${encodeURIComponent(it.id)}`, `${server.origin}/${field}.html`).href;
            if (safe) assert.ok(c.href === parsed[j].href || c.href === fallback, `${where}: link ${c.href}`);
            else assert.equal(c.href, fallback, `${where}: an unsafe product URL was not replaced`);
          }
          if (field === "image") {
            if (safe) assert.equal(new URL(c.src, server.origin).href, parsed[j].href, `${where}: image`);
            else assert.equal(c.src, null, `${where}: an unsafe image URL was kept`);
          }
          if (field === "id") {
            assert.equal(new URL(c.href).searchParams.get("item"), it.id, `${where}: link ${c.href}`);
          }
        });
        // The privacy view names the three latest items, as text.
        const privacy = await page.evaluate(() => document.querySelector("attune-privacy").shadowRoot.textContent);
        assert.match(privacy, /Recently interested in: /, `batch at ${at}: the privacy view did not render`);
        if (field === "title" || field === "id") {
          for (const it of expected.slice(0, 3)) {
            // (A title of only blanks or control characters has no visible text to find.)
            if (norm(it.title)) assert.ok(norm(privacy).includes(norm(it.title)), `privacy view lacks ${JSON.stringify(it.title).slice(0, 80)} as text`);
          }
        }
      }
      assert.equal(rendered, m.items.length);
      assert.deepEqual(t.errors.filter((e) => !/Failed to load resource/.test(e)), []);
    } finally {
      await t.close();
    }
  });
}

test("control: the detectors see an injection when one happens", async () => {
  // The same page and collectors, with markup injected the unsafe way: the canary global,
  // the canary server and the Trusted Types report must all notice.
  const t = await watchedPage(browser);
  try {
    await t.page.goto(`${server.origin}/title.html`);
    await t.page.evaluate((origin) => {
      const div = document.createElement("div");
      div.innerHTML = `<img src="${origin}/control.png" onerror="window.__xss=1">`;
      document.body.append(div);
    }, canary.origin);
    await t.page.waitForFunction(() => window.__xss === 1, null, { timeout: 5_000 });
    await t.page.waitForTimeout(100);
    assert.ok(canary.hits.some((h) => h.includes("/control.png")), `canary hits: ${canary.hits}`);
    assert.ok(t.csp.some((v) => /trusted-types|require-trusted-types-for/.test(v)), `reports: ${t.csp}`);
  } finally {
    canary.hits.length = 0;
    await t.close();
  }
});
