// docs/guides/woocommerce.md: its functions.php snippet, taken literally from the guide, run
// by PHP (Debian's php-cli, scripts/setup) inside a miniature WooCommerce product page
// (tests/fixtures/woocommerce/page.php: hooks, escaping, a product, a cart, WooCommerce's own
// related products and JSON-LD). The printed page, served with the package's files in the
// child theme, shows the neighbours of the SKU the snippet passed in Chromium, leaves out
// the cart's items, and WooCommerce's related products are gone.
// Run: node --test tests/e2e/guide-woocommerce.test.mjs (after scripts/build).

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import path from "node:path";
import { chromium } from "playwright-core";
import { ROOT, attuneReady, openPage, realCatalog } from "./helpers.mjs";
import { startServer } from "./server.mjs";
import { site, snippet, waitForIds } from "./guide-kit.mjs";

const SNIPPET = snippet("docs/guides/woocommerce.md", "functions");
const THEME = "/wp-content/themes/shop-child";
const PRODUCT = { id: 118, sku: "85123A", name: "White Hanging Heart T-Light Holder", slug: "white-hanging-heart-t-light-holder", price: "2.95", stock_status: "instock" };
const cartLine = (id, sku, name, price, quantity) => ({ id, sku, name, slug: `p-${id}`, price, quantity });

let s;
let env;
function renderPage(cart) {
  const r = spawnSync("php", [path.join(ROOT, "tests/fixtures/woocommerce/page.php"), path.join(s.root, "functions.php"), JSON.stringify({ product: PRODUCT, cart })], { encoding: "utf8" });
  assert.equal(r.status, 0, `php failed (scripts/setup installs php-cli): ${r.stderr}${r.stdout}`);
  assert.equal(r.stderr, "", "PHP warnings");
  return r.stdout;
}

before(async () => {
  s = site({}, THEME.slice(1) + "/attune");
  s.write("/functions.php", "<?php\n" + SNIPPET + "\n");
  const server = await startServer({ root: s.root });
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM || "/usr/bin/chromium", args: ["--headless", "--no-sandbox", "--disable-gpu"] });
  env = { server, browser, origin: server.origin };
});
after(async () => {
  await env?.browser.close();
  await env?.server.close();
  s?.cleanup();
});

test("the snippet prints the tag, the product's SKU and the cart, and unhooks WooCommerce's related products", () => {
  const html = renderPage([cartLine(201, "22423", "Regency Cakestand 3 Tier", "12.75", 1), cartLine(202, "", "Gift wrap (no SKU)", "1.00", 1)]);
  assert.match(html, /<script type="module" src="\/wp-content\/themes\/shop-child\/attune\/attune.js" data-model="\/wp-content\/themes\/shop-child\/attune\/model.bin" data-currency="GBP"><\/script>/);
  assert.match(html, /data-attune-item="85123A" data-attune-price="2.95" data-attune-available="true" data-attune-cart-items="22423 202"/);
  assert.match(html, /<attune-recs placement="similar" item="85123A" heading="Related products"><\/attune-recs>/);
  assert.match(html, /<attune-recs placement="bought-together" item="85123A" items="22423 202"><\/attune-recs>/);
  assert.doesNotMatch(html, /data-woocommerce-related/, "WooCommerce's related products are still hooked");
  assert.match(html, /woocommerce-tabs/, "the other hooks on the same action still run");
});

test("in Chromium: the SKU passed is the page's item, its neighbours are shown, the cart's items left out", async () => {
  const t = await openPage(env);
  try {
    s.write("/product/alone.html", renderPage([]));
    await t.page.goto(`${env.origin}/product/alone.html`);
    assert.equal(await attuneReady(t.page), true, t.warnings.join("; "));
    const alone = await waitForIds(t.page, 'attune-recs[placement="similar"]');
    assert.ok(alone.length >= 3, `similar showed ${alone.length} items`);
    assert.ok(!alone.includes(PRODUCT.sku));
    for (const id of alone) assert.ok(realCatalog().has(id), `${id} is not a real item`);
    assert.deepEqual(alone, await t.page.evaluate((id) => window.attune.recommend({ placement: "similar", item: id }), PRODUCT.sku));
    const ctx = await t.page.evaluate(() => window.attune.context());
    assert.equal(ctx.item, PRODUCT.sku, "WooCommerce's JSON-LD names the page's item");
    assert.equal(ctx.page, "product");

    const inCart = alone.slice(0, 2);
    s.write("/product/with-cart.html", renderPage(inCart.map((sku, n) => cartLine(300 + n, sku, `Item ${sku}`, "3.00", 1))));
    await t.page.goto(`${env.origin}/product/with-cart.html`);
    assert.equal(await attuneReady(t.page), true);
    assert.deepEqual((await t.page.evaluate(() => window.attune.context())).cart, inCart);
    const similar = await waitForIds(t.page, 'attune-recs[placement="similar"]');
    const together = await waitForIds(t.page, 'attune-recs[placement="bought-together"]');
    assert.ok(similar.length >= 1 && together.length >= 1);
    for (const id of [...similar, ...together]) {
      assert.ok(!inCart.includes(id), `${id} is in the cart but was recommended`);
      assert.notEqual(id, PRODUCT.sku);
    }
    const kept = alone.filter((id) => !inCart.includes(id));
    assert.deepEqual(similar.slice(0, kept.length), kept);
    assert.ok(env.server.log.some((r) => r.url === `${THEME}/attune/pkg/attune_web_bg.wasm` && r.status === 200));
    assert.deepEqual(t.requests.filter((r) => !r.url.startsWith(env.origin)), []);
    assert.deepEqual(t.errors, []);
  } finally {
    await t.close();
  }
});
