//! End-to-end privacy and hygiene checks of the demo: over a whole shopping journey the page
//! fetches nothing but its own static files (GET, same origin, no profile data in any URL,
//! nothing POSTed or beaconed), logs no console errors, throws nothing, and triggers no
//! Content-Security-Policy violation under the strict CSP every page declares.
//! Needs a built www/ (scripts/build). Run: node --test tests/e2e/

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { setup, openPage, waitForPlacement, products, visitProduct } from "./helpers.mjs";

const CSP =
  "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; img-src 'self'";
const PAGES = ["/", "/index.html", "/product.html", "/cart.html", "/checkout.html"];

// Every path the shop may fetch: its pages, its own css/js/svg, the product list, the
// widget's loader, glue and .wasm, and the model. Nothing else, from nowhere else.
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

/** Walks a shopper through the whole shop: browse, search, view, follow a pick, buy. */
async function journey(page, origin) {
  const list = products();
  await page.goto(`${origin}/`);
  await waitForPlacement(page, 'attune-recs[placement="for-you"]');
  await page.fill("#search", "heart");
  await page.press("#search", "Enter");
  await page.selectOption("#sort", "price-asc");
  await page.waitForFunction(() => /Showing/.test(document.getElementById("result-count").textContent));
  if (await page.isVisible("#show-more")) await page.click("#show-more"); // hidden when one page holds every match
  const viewed = [list[1].id, list[4].id, list[9].id];
  for (const id of viewed) await visitProduct(page, origin, id);
  await waitForPlacement(page, 'attune-recs[placement="similar"]');
  await page.locator('attune-recs[placement="similar"]').locator('[part="link"]').first().click();
  await page.waitForSelector('body[data-tracked="view"]');
  await page.fill("#qty", "2");
  await page.click("#add-to-cart");
  await page.waitForSelector("#cart-status a");
  await page.goto(`${origin}/cart.html`);
  await waitForPlacement(page, 'attune-recs[placement="for-you"]');
  await page.click("#checkout");
  await page.waitForSelector("#order-form");
  await page.fill("#name", "Grace Private");
  await page.fill("#email", "grace.private@example.org");
  await page.fill("#address", "7 Quiet Mews");
  await page.fill("#town", "York");
  await page.fill("#postcode", "YO1 7HH");
  await page.click("#place-order");
  await page.waitForSelector("#confirmation:not([hidden])");
  await waitForPlacement(page, 'attune-recs[placement="for-you"]');
  await page.goto(`${origin}/`);
  await waitForPlacement(page, 'attune-recs[placement="recent"]');
  return viewed;
}

test("a whole shopping journey fetches only the shop's own static files", async () => {
  const t = await openPage(env);
  try {
    const viewed = await journey(t.page, env.origin);
    const reqs = t.requests;
    assert.ok(reqs.length > 10, `only ${reqs.length} requests recorded`);
    // What the shopper viewed and typed must not appear in any URL but the product page's own.
    const profileWords = [...viewed, "Grace", "Private", "grace.private", "Quiet", "YO1", "localStorage"];
    for (const r of reqs) {
      const u = new URL(r.url);
      assert.equal(r.method, "GET", `${r.method} ${r.url}`);
      assert.equal(r.post, null, `request with a body: ${r.url}`);
      assert.equal(u.origin, env.origin, `request to another origin: ${r.url}`);
      assert.ok(!["ping", "beacon", "websocket", "eventsource"].includes(r.type), `${r.type} ${r.url}`);
      assert.ok(ALLOWED.some((re) => re.test(u.pathname)), `unexpected file fetched: ${u.pathname}`);
      assert.equal(u.hash, "");
      if (u.pathname === "/product.html") {
        // The product page's own address is the only URL with a query: its item id.
        assert.equal(r.type, "document");
        assert.deepEqual([...u.searchParams.keys()], ["id"]);
      } else {
        assert.equal(u.search, "", `query string on ${r.url}`);
        for (const w of profileWords) assert.ok(!r.url.includes(w), `${r.url} carries "${w}"`);
      }
    }
    // The widget really loaded: its wasm and the model were fetched (once per page at most).
    const paths = reqs.map((r) => new URL(r.url).pathname);
    for (const p of ["/attune.js", "/demo/model.bin", "/demo/products.json"]) {
      assert.ok(paths.includes(p), `${p} was never fetched`);
    }
    // The demo's pages configure help prompts: the widget-and-prompts module (pkg/full/).
    assert.ok(paths.includes("/pkg/full/attune_full_bg.wasm"), "the widget's .wasm was never fetched");
    // The server saw the same: GETs only, for allowed files only.
    assert.ok(env.server.log.length >= reqs.length - 1);
    for (const e of env.server.log) {
      assert.equal(e.method, "GET", `${e.method} ${e.url}`);
      assert.ok(ALLOWED.some((re) => re.test(new URL(e.url, env.origin).pathname)), `server served ${e.url}`);
      assert.equal(e.status, 200, `${e.url} answered ${e.status}`);
    }
    assert.deepEqual(t.errors, []);
  } finally {
    await t.close();
  }
});

test("no console errors, no page errors and no CSP violations on any page", async () => {
  const t = await openPage(env);
  const { page } = t;
  try {
    await journey(page, env.origin);
    for (const p of PAGES) {
      await page.goto(`${env.origin}${p}${p === "/product.html" ? `?id=${products()[0].id}` : ""}`);
      await page.waitForLoadState("networkidle");
      const metas = await page.$$eval('meta[http-equiv="Content-Security-Policy"]', (m) => m.map((x) => x.content));
      assert.deepEqual(metas, [CSP], `${p} lacks the strict CSP`);
      // The shop's own DOM has no style attributes (the widget's shadow roots set custom
      // properties through the CSSOM, which CSP allows) and no inline scripts.
      assert.equal(await page.evaluate(() => document.querySelectorAll("[style]").length), 0, `${p} has style attributes`);
      assert.equal(await page.locator("script:not([src])").count(), 0, `${p} has inline scripts`);
    }
    const checkout = await page.goto(`${env.origin}/checkout.html`);
    assert.equal(checkout.status(), 200);
    await page.waitForLoadState("networkidle");
    assert.deepEqual(t.errors, []);
    assert.deepEqual(t.csp, []);
    assert.deepEqual(
      t.warnings.filter((w) => w.startsWith("attune")),
      [],
      "the widget warned with a good model",
    );

    // Control: the collector does see a violation when one happens, so "none" above means none.
    await page.evaluate(() => document.body.setAttribute("style", "color: red"));
    await page.waitForFunction(() => true);
    await page.waitForTimeout(100);
    assert.equal(t.csp.length, 1, `expected the control violation, saw ${JSON.stringify(t.csp)}`);
    assert.match(t.csp[0], /^style-src/);
  } finally {
    await t.close();
  }
});

test("the shop's basket and Attune's profile live in separate localStorage keys", async () => {
  const t = await openPage(env);
  const { page } = t;
  try {
    const id = products()[5].id;
    await visitProduct(page, env.origin, id);
    await page.click("#add-to-cart");
    await page.waitForSelector("#cart-status a");
    await page.waitForFunction(() => {
      const p = JSON.parse(localStorage.getItem("attune") || "null");
      return p && p.events.some((e) => e.type === "cart");
    });
    const keys = await page.evaluate(() => Object.keys(localStorage).sort());
    // The help prompts keep their own small memory (docs/prompts.md), under Attune's prefix.
    assert.deepEqual(keys, ["attune", "attune:prompts", "demo-shop:cart"]);
    const { cart, profile } = await page.evaluate(() => ({
      cart: JSON.parse(localStorage.getItem("demo-shop:cart")),
      profile: JSON.parse(localStorage.getItem("attune")),
    }));
    assert.deepEqual(
      cart.lines.map((l) => [l.id, l.qty]),
      [[id, 1]],
    );
    assert.deepEqual(
      profile.events.map((e) => [e.type, e.item]),
      [
        ["view", id],
        ["cart", id],
      ],
    );
  } finally {
    await t.close();
  }
});
