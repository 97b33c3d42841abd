// docs/guides/shopify.md: its two Liquid snippets (the section that replaces Dawn's related
// products, and the <body> tag), taken literally from the guide and rendered with LiquidJS
// (npm) against realistic Shopify objects (product, variant, cart with line items, section
// settings, request). In Chromium the page counts as a view of the SKU the snippet passed,
// the placements show that SKU's neighbours, and the cart's items are left out.
// Run: node --test tests/e2e/guide-shopify.test.mjs (after scripts/build).

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { Liquid, Tag } from "liquidjs";
import { chromium } from "playwright-core";
import { attuneReady, openPage, realCatalog } from "./helpers.mjs";
import { startServer } from "./server.mjs";
import { site, snippet, waitForIds } from "./guide-kit.mjs";

const SECTION = snippet("docs/guides/shopify.md", "section");
const BODY = snippet("docs/guides/shopify.md", "body");
const SKU = "85123A";

// Shopify's {% schema %} is theme-editor metadata: it renders nothing.
class Schema extends Tag {
  constructor(token, remain, liquid) {
    super(token, remain, liquid);
    let t = remain.shift();
    while (t && t.name !== "endschema") t = remain.shift();
    if (!t) throw new Error("{% schema %} without {% endschema %}");
  }
  *render() {}
}
const liquid = new Liquid({ strictFilters: true });
liquid.registerTag("schema", Schema);

const variant = (id, sku, price, title = "Default Title") => ({ id, sku, price, title, available: true, inventory_quantity: 12 });
const PRODUCT = {
  id: 8012345678901,
  handle: "white-hanging-heart-t-light-holder",
  title: "White Hanging Heart T-Light Holder",
  url: "/products/white-hanging-heart-t-light-holder",
  vendor: "Regency",
  available: true,
  price: 295,
  variants: [variant(44012345678901, SKU, 295)],
  selected_or_first_available_variant: variant(44012345678901, SKU, 295),
};
const line = (sku, title, price, quantity, n) => ({
  id: 44000000000000 + n, key: `44000000000000${n}:abc`, product_id: 8000000000000 + n, variant_id: 44000000000000 + n,
  sku, title, price, quantity, line_price: price * quantity, final_line_price: price * quantity, url: `/products/p${n}`,
});
const cartOf = (lines) => ({
  item_count: lines.reduce((n, l) => n + l.quantity, 0),
  total_price: lines.reduce((n, l) => n + l.line_price, 0),
  currency: { iso_code: "GBP", symbol: "£" },
  items: lines,
});
const SECTION_OBJ = {
  id: "template--18034211668271__related-products",
  settings: { heading: "You may also like", products_to_show: 4, attune_base: "/attune/" },
};

async function renderPage(cart) {
  const scope = { product: PRODUCT, cart, section: SECTION_OBJ, request: { design_mode: false, page_type: "product" } };
  const body = await liquid.parseAndRender(BODY, scope);
  const section = await liquid.parseAndRender(SECTION, scope);
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${PRODUCT.title}</title></head>\n${body}\n<main><h1>${PRODUCT.title}</h1></main>\n${section}\n</body></html>\n`;
}

let s;
let env;
before(async () => {
  s = site();
  const server = await startServer({ root: s.root });
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM || "/usr/bin/chromium", args: ["--headless", "--no-sandbox", "--disable-gpu"] });
  env = { server, browser, origin: server.origin };
});
after(async () => {
  await env?.browser.close();
  await env?.server.close();
  s?.cleanup();
});

test("the section renders the product's SKU, the cart's SKUs, the price in major units and the settings", async () => {
  const html = await renderPage(cartOf([line("22423", "Regency Cakestand 3 Tier", 1275, 1, 1), line("85099B", "Jumbo Bag Red Retrospot", 208, 2, 2)]));
  assert.match(html, /<body class="gradient" data-attune-item="85123A">/);
  assert.match(html, /<script type="module" src="\/attune\/attune.js"\s+data-model="\/attune\/model.bin"\s+data-currency="GBP"\s+data-k="4"><\/script>/);
  assert.match(html, /data-attune-cart-items="22423 85099B"/);
  assert.match(html, /data-attune-price="2.95"/);
  assert.match(html, /<attune-recs placement="similar" item="85123A"\s+heading="You may also like">/);
  assert.match(html, /<attune-recs placement="bought-together" item="85123A"\s+items="22423 85099B">/);
  assert.doesNotMatch(html, /schema|"settings"/, "the {% schema %} block must render nothing");
});

test("in Chromium: a view of the SKU passed, its neighbours shown, the cart's items left out", async () => {
  const t = await openPage(env);
  try {
    // First with an empty cart: what is similar to the product.
    s.write("/products/empty.html", await renderPage(cartOf([])));
    await t.page.goto(`${env.origin}/products/empty.html`);
    assert.equal(await attuneReady(t.page), true, t.warnings.join("; "));
    const alone = await waitForIds(t.page, 'attune-recs[placement="similar"]');
    assert.ok(alone.length >= 3, `similar showed ${alone.length} items`);
    assert.ok(alone.length <= 4, "data-k from the section setting (4) is the limit");
    assert.ok(!alone.includes(SKU));
    for (const id of alone) assert.ok(realCatalog().has(id), `${id} is not a real item`);
    assert.deepEqual(alone, await t.page.evaluate((id) => window.attune.recommend({ placement: "similar", item: id, k: 4 }), SKU));
    const ctx = await t.page.evaluate(() => window.attune.context());
    assert.equal(ctx.item, SKU);
    assert.equal(ctx.page, "product");
    const heading = await t.page.evaluate(() => document.querySelector('attune-recs[placement="similar"]').shadowRoot.querySelector('[part~="heading"]').textContent);
    assert.equal(heading, "You may also like");

    // Then with two of those neighbours in the cart: they are left out everywhere.
    const inCart = alone.slice(0, 2);
    s.write("/products/with-cart.html", await renderPage(cartOf(inCart.map((sku, n) => line(sku, `Item ${sku}`, 100 + n, 1, n + 1)))));
    await t.page.goto(`${env.origin}/products/with-cart.html`);
    assert.equal(await attuneReady(t.page), true);
    assert.deepEqual((await t.page.evaluate(() => window.attune.context())).cart, inCart);
    const similar = await waitForIds(t.page, 'attune-recs[placement="similar"]');
    const together = await waitForIds(t.page, 'attune-recs[placement="bought-together"]');
    assert.ok(similar.length >= 1 && together.length >= 1);
    for (const id of [...similar, ...together]) {
      assert.ok(!inCart.includes(id), `${id} is in the cart but was recommended`);
      assert.notEqual(id, SKU);
    }
    const kept = alone.filter((id) => !inCart.includes(id));
    assert.deepEqual(similar.slice(0, kept.length), kept, "the other neighbours keep their order");
    assert.deepEqual(t.requests.filter((r) => !r.url.startsWith(env.origin)), []);
    assert.deepEqual(t.errors, []);
  } finally {
    await t.close();
  }
});
