//! End-to-end checks of issue 5 on the demo shop: the rows reserve their space (a late
//! render moves nothing), the home page's search form is a signal (data-attune-search), the
//! basket page complements exactly the shop's basket and hears removals
//! (data-attune-remove), and the "About" section's <attune-privacy> shows the shopper's data
//! and erases it, leaving the shop's own basket alone.
//! Needs a built www/ (scripts/build). Run: node --test tests/e2e/

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { setup, openPage, attuneReady, waitForPlacement, placementItems, products, visitProduct } from "./helpers.mjs";

let env;
before(async () => {
  env = await setup();
});
after(async () => {
  await env?.stop();
});

/** Holds the model back, so the widget renders well after the page is laid out. */
async function slowModel(page, ms = 1500) {
  await page.route("**/demo/model.bin", async (route) => {
    await new Promise((r) => setTimeout(r, ms));
    await route.continue();
  });
  await page.addInitScript(() => {
    window.__shifts = [];
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) {
        window.__shifts.push(e.sources.map((s) => (s.node && (s.node.id || s.node.className || s.node.nodeName)) || "?").join(","));
      }
    }).observe({ type: "layout-shift" });
  });
}

for (const width of [1280, 400]) {
  test(`a late render causes no layout shift (home and product page, ${width}px wide)`, async () => {
    const t = await openPage(env, { viewport: { width, height: 900 } });
    const { page } = t;
    try {
      await slowModel(page);
      await page.goto(`${env.origin}/`);
      await page.waitForSelector("#product-grid .card");
      // The shop's own grid has settled; from here on only Attune could move things.
      await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => setTimeout(r, 50))));
      assert.equal(await page.evaluate(() => window.attune.context().consent), "granted");
      await page.evaluate(() => { window.__shifts = []; });
      assert.equal(await page.evaluate(() => document.querySelector('attune-recs[placement="for-you"]').shadowRoot?.querySelector("[part=link]")), null, "not rendered yet (the model is held back)");
      const before = await page.evaluate(() => document.getElementById("filters").getBoundingClientRect().top);
      assert.equal(await attuneReady(page), true);
      await waitForPlacement(page, 'attune-recs[placement="for-you"]', { min: 6 });
      const after = await page.evaluate(() => document.getElementById("filters").getBoundingClientRect().top);
      assert.equal(after, before, "the search form below the rows did not move");
      assert.deepEqual(await page.evaluate(() => window.__shifts), [], "no layout-shift entries");
      // A new visitor has no "Recently viewed": it says so with `empty` and takes no room.
      assert.equal(await page.evaluate(() => document.querySelector('attune-recs[placement="recent"]').hasAttribute("empty")), true);

      await page.goto(`${env.origin}/product.html?id=${encodeURIComponent(products()[2].id)}`);
      await page.waitForSelector('body[data-ready="product"]');
      await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => setTimeout(r, 50))));
      await page.evaluate(() => { window.__shifts = []; });
      await waitForPlacement(page, 'attune-recs[placement="similar"]', { min: 3 });
      assert.deepEqual(await page.evaluate(() => window.__shifts), []);
      assert.deepEqual(t.errors, []);
    } finally {
      await t.close();
    }
  });
}

test("the home page's search form is a signal; the privacy view shows it and erases everything", async () => {
  const t = await openPage(env);
  const { page } = t;
  try {
    const list = products();
    await visitProduct(page, env.origin, list[1].id);
    await page.click("#add-to-cart");
    await page.waitForSelector("#cart-status a");
    await page.goto(`${env.origin}/`);
    assert.equal(await attuneReady(page), true);
    await page.fill("#search", "lantern");
    await page.press("#search", "Enter");
    await page.waitForFunction(() => (JSON.parse(localStorage.getItem("attune") || "{}").events || []).some((e) => e.type === "search"));
    const events = await page.evaluate(() => JSON.parse(localStorage.getItem("attune")).events.map((e) => [e.type, e.item ?? e.query]));
    assert.deepEqual(events, [["view", list[1].id], ["cart", list[1].id], ["search", "lantern"]]);

    const view = page.locator("#your-data");
    await view.scrollIntoViewIfNeeded();
    await page.waitForFunction(() => /1 × search/.test(document.getElementById("your-data").shadowRoot.textContent));
    const words = await page.evaluate(() => document.getElementById("your-data").shadowRoot.textContent);
    for (const s of ["1 × product view", "1 × basket addition", "In your basket:", "localStorage “attune”"]) {
      assert.ok(words.includes(s), `missing "${s}" in ${words}`);
    }
    await view.getByRole("button", { name: "Erase everything" }).click();
    await page.waitForFunction(() => localStorage.getItem("attune") === null);
    const keys = await page.evaluate(() => [...Object.keys(localStorage), ...Object.keys(sessionStorage)]);
    assert.deepEqual(keys.filter((k) => k.startsWith("attune")), []);
    assert.ok(keys.includes("demo-shop:cart"), "the shop's basket stays");
    await page.reload();
    assert.deepEqual(await placementItems(page, 'attune-recs[placement="recent"]'), []);
    assert.deepEqual(t.errors, []);
  } finally {
    await t.close();
  }
});

test("the basket page complements exactly the basket, and hears removals", async () => {
  const t = await openPage(env);
  const { page } = t;
  try {
    const list = products();
    const [a, b] = [list[0].id, list[6].id];
    for (const id of [a, b]) {
      await visitProduct(page, env.origin, id);
      await page.click("#add-to-cart");
      await page.waitForSelector("#cart-status a");
    }
    await page.goto(`${env.origin}/cart.html`);
    const CART = 'attune-recs[placement="cart"]';
    const shown = await waitForPlacement(page, CART, { min: 3 });
    assert.ok(!shown.some((s) => s.id === a || s.id === b), "never what is in the basket");
    const reasons = await page.evaluate((sel) => [...document.querySelector(sel).shadowRoot.querySelectorAll('[part="reason"]')].map((r) => r.textContent), CART);
    assert.ok(reasons.every((r) => r.startsWith("Often bought with ")), reasons.join(" | "));
    assert.equal(await page.getAttribute(CART, "items"), `${a} ${b}`);

    await page.locator(".remove").first().click();
    await page.waitForFunction(() => (JSON.parse(localStorage.getItem("attune")).events || []).some((e) => e.type === "remove_from_cart"));
    assert.equal(await page.getAttribute(CART, "items"), b);
    await page.locator(".remove").first().click();
    await page.waitForFunction((sel) => document.querySelector(sel).hasAttribute("empty"), CART);
    assert.deepEqual(t.errors, []);
  } finally {
    await t.close();
  }
});
