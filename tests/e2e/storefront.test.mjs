//! End-to-end tests of the demo shop with the real widget, model and catalogue: placements
//! show real items, viewing products changes "Picked for you" and survives a reload, and a
//! checkout records purchases that then stay out of "Picked for you".
//! Needs a built www/ (scripts/build). Run: node --test tests/e2e/

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import {
  setup,
  openPage,
  attuneReady,
  waitForPlacement,
  placementItems,
  realCatalog,
  products,
  normTitle,
  visitProduct,
} from "./helpers.mjs";

const FOR_YOU = 'attune-recs[placement="for-you"]';
const RECENT = 'attune-recs[placement="recent"]';
const SIMILAR = 'attune-recs[placement="similar"]';

let env;
before(async () => {
  env = await setup();
});
after(async () => {
  await env?.stop();
});

/** Every rendered card is a real stock code of the export, shown with one of its real titles. */
function assertReal(items, where) {
  const catalog = realCatalog();
  assert.ok(items.length > 0, `${where}: no items rendered`);
  for (const { id, title } of items) {
    const titles = catalog.get(id);
    assert.ok(titles, `${where}: ${id} is not a stock code of the Online Retail export`);
    assert.ok(titles.has(normTitle(title)), `${where}: "${title}" is not a title of ${id} (has ${[...titles].slice(0, 3).join(" | ")})`);
  }
}

test("home page lists the catalogue and its placements show real items", async () => {
  const list = products();
  assert.ok(list.length >= 24, `products.json has only ${list.length} products`);
  const t = await openPage(env);
  const { page } = t;
  try {
    await page.goto(`${env.origin}/`);
    // The grid: the first page of products.json, most popular first, with their titles.
    await page.waitForSelector("#product-grid .card");
    const cards = await page.$$eval("#product-grid .card", (els) =>
      els.map((e) => ({ id: e.dataset.id, title: e.querySelector(".card-title").textContent })),
    );
    assert.equal(cards.length, 24);
    assert.deepEqual(
      cards.map((c) => c.id),
      list.slice(0, 24).map((p) => p.id),
    );
    for (const [i, c] of cards.entries()) assert.equal(normTitle(c.title), normTitle(list[i].title ?? `Item ${c.id}`));

    // "Show more" appends the next page; search narrows to matching titles.
    await page.click("#show-more");
    assert.equal(await page.locator("#product-grid .card").count(), Math.min(48, list.length));
    await page.fill("#search", "lunch bag");
    await page.waitForFunction(() => document.querySelectorAll("#product-grid .card").length < 48);
    const found = await page.$$eval("#product-grid .card-title", (els) => els.map((e) => e.textContent.toUpperCase()));
    assert.ok(found.length > 0, "search for 'lunch bag' found nothing");
    for (const title of found) assert.match(title, /LUNCH/);

    assert.equal(await attuneReady(page), true, "the widget did not become ready");
    // A fresh shopper: "Picked for you" falls back to what is popular in the shop; no
    // "Recently viewed" yet (a placement with nothing to show renders nothing).
    const forYou = await waitForPlacement(page, FOR_YOU);
    assertReal(forYou, "for-you (fresh shopper)");
    assert.deepEqual(await placementItems(page, RECENT), []);
    const headings = await page.$$eval(`${FOR_YOU}`, (els) =>
      els.map((e) => e.shadowRoot.querySelector('[part="heading"]')?.textContent),
    );
    assert.deepEqual(headings, ["Picked for you"]);

    // After two views, "Recently viewed" on the home page shows exactly those, latest first.
    const [a, b] = [list[3].id, list[10].id];
    await visitProduct(page, env.origin, a);
    await visitProduct(page, env.origin, b);
    await page.goto(`${env.origin}/`);
    const recent = await waitForPlacement(page, RECENT, { min: 2 });
    assertReal(recent, "recent");
    assert.deepEqual(
      recent.map((r) => r.id),
      [b, a],
    );
    assert.deepEqual(t.errors, []);
  } finally {
    await t.close();
  }
});

test("product page shows the item, and 'similar' lists other real items", async () => {
  const list = products();
  const t = await openPage(env);
  const { page } = t;
  try {
    for (const p of [list[0], list[2], list[7]]) {
      await visitProduct(page, env.origin, p.id);
      assert.equal(normTitle(await page.textContent("#product-title")), normTitle(p.title));
      assert.equal(await page.textContent("#product-code"), p.id);
      const similar = await waitForPlacement(page, SIMILAR, { min: 3 });
      assertReal(similar, `similar for ${p.id}`);
      assert.ok(!similar.some((s) => s.id === p.id), `similar for ${p.id} lists the item itself`);
      assert.equal(new Set(similar.map((s) => s.id)).size, similar.length, "duplicate items");
      assert.ok(similar.length <= 6, `k=6 but ${similar.length} shown`);
      // Each card links to this shop's product page for its item.
      for (const s of similar) {
        assert.equal(new URL(s.href).pathname, "/product.html");
        assert.equal(new URL(s.href).origin, env.origin);
      }
    }
    // "Recently viewed" on a product page lists the earlier products, not this one.
    const recentHere = await waitForPlacement(page, RECENT, { min: 2 });
    assert.deepEqual(
      recentHere.map((r) => r.id),
      [list[2].id, list[0].id],
    );
    // Following a recommendation opens that product's page.
    const first = (await placementItems(page, SIMILAR))[0];
    await page.locator(SIMILAR).locator('[part="link"]').first().click();
    await page.waitForURL((u) => u.searchParams.get("id") === first.id);
    await page.waitForSelector('body[data-ready]');
    assert.deepEqual(t.errors, []);
  } finally {
    await t.close();
  }
});

test("viewing products changes 'Picked for you', and the profile survives a reload", async () => {
  const list = products();
  const t = await openPage(env);
  const { page } = t;
  try {
    await page.goto(`${env.origin}/`);
    const before = await waitForPlacement(page, FOR_YOU, { min: 3 });
    assertReal(before, "for-you before");

    // Browse a few products of one kind, well away from the very top sellers.
    const viewed = list.filter((p) => /\bCHRISTMAS\b|\bJAM\b|\bSPACEBOY\b/.test(p.title || "")).slice(0, 3);
    assert.equal(viewed.length, 3, "products.json lacks the products this test browses");
    const neighbours = new Set();
    for (const p of viewed) {
      await visitProduct(page, env.origin, p.id);
      for (const s of await waitForPlacement(page, SIMILAR)) neighbours.add(s.id);
    }

    await page.goto(`${env.origin}/`);
    const after = await waitForPlacement(page, FOR_YOU, { min: 3 });
    assertReal(after, "for-you after");
    assert.notDeepEqual(
      after.map((x) => x.id),
      before.map((x) => x.id),
      "'Picked for you' did not change after viewing products",
    );
    // The new picks come from what was viewed: some are neighbours of the viewed items.
    assert.ok(
      after.some((x) => neighbours.has(x.id)),
      `none of ${after.map((x) => x.id)} is similar to a viewed item`,
    );

    // Reload: same picks, same recently viewed (the profile is in localStorage).
    const recentBefore = await waitForPlacement(page, RECENT, { min: 3 });
    assert.deepEqual(
      recentBefore.map((r) => r.id),
      viewed.map((p) => p.id).reverse(),
    );
    await page.reload();
    const afterReload = await waitForPlacement(page, FOR_YOU, { min: 3 });
    assert.deepEqual(
      afterReload.map((x) => x.id),
      after.map((x) => x.id),
    );
    const recentAfter = await waitForPlacement(page, RECENT, { min: 3 });
    assert.deepEqual(
      recentAfter.map((r) => r.id),
      recentBefore.map((r) => r.id),
    );

    // "Forget my browsing history" erases the profile: recent empties, for-you goes back
    // to the fresh-shopper list, and it stays that way after a reload.
    await page.click("#forget");
    await page.waitForFunction(() => /no longer remembers/.test(document.getElementById("forget-status").textContent));
    await page.reload();
    assert.deepEqual(
      (await waitForPlacement(page, FOR_YOU, { min: 3 })).map((x) => x.id),
      before.map((x) => x.id),
    );
    assert.deepEqual(await placementItems(page, RECENT), []);
    assert.equal(
      await page.evaluate(() => (JSON.parse(localStorage.getItem("attune") || '{"events":[]}').events || []).length),
      0,
    );
    for (const p of viewed) await visitProduct(page, env.origin, p.id); // browse again for the next check
    await page.goto(`${env.origin}/`);

    // And a brand-new tab of the same browser profile sees the same.
    const tab = await t.context.newPage();
    await tab.goto(`${env.origin}/`);
    assert.deepEqual(
      (await waitForPlacement(tab, FOR_YOU, { min: 3 })).map((x) => x.id),
      after.map((x) => x.id),
    );
    await tab.close();
    assert.deepEqual(t.errors, []);
  } finally {
    await t.close();
  }
});

test("basket and checkout record purchases, which then leave 'Picked for you'", async () => {
  const list = products();
  const t = await openPage(env);
  const { page } = t;
  try {
    // Build some history so "Picked for you" has neighbours to offer, then buy two of its picks.
    for (const p of list.filter((x) => /\bHEART\b/.test(x.title || "")).slice(0, 3)) {
      await visitProduct(page, env.origin, p.id);
    }
    await page.goto(`${env.origin}/`);
    const picks = await waitForPlacement(page, FOR_YOU, { min: 3 });
    const known = new Map(list.map((p) => [p.id, p]));
    const toBuy = picks.filter((x) => known.get(x.id)?.price).slice(0, 2);
    assert.equal(toBuy.length, 2, `fewer than two priced picks in ${picks.map((x) => x.id)}`);

    for (const [i, item] of toBuy.entries()) {
      await visitProduct(page, env.origin, item.id);
      await page.fill("#qty", String(i + 2));
      await page.click("#add-to-cart");
      await page.waitForSelector("#cart-status a[href='/cart.html']");
    }
    assert.equal(await page.textContent("[data-cart-count]"), "5");

    // The basket: two lines with the right quantities and a correct total.
    await page.goto(`${env.origin}/cart.html`);
    const rows = await page.$$eval("#cart-body tr", (trs) => trs.map((tr) => tr.dataset.id));
    assert.deepEqual(rows, toBuy.map((x) => x.id));
    const expected = toBuy.reduce((s, x, i) => s + known.get(x.id).price * (i + 2), 0);
    const subtotal = Number((await page.textContent("#cart-subtotal")).replace(/[^0-9.]/g, ""));
    assert.ok(Math.abs(subtotal - expected) < 0.005, `subtotal ${subtotal} != ${expected}`);

    // Checkout: the form refuses to submit empty, then places the order.
    await page.click("#checkout");
    await page.waitForURL("**/checkout.html");
    await page.click("#place-order");
    assert.match(await page.textContent("#form-error"), /Full name/);
    assert.equal(await page.isHidden("#confirmation"), true);
    await page.fill("#name", "Ada Shopper");
    await page.fill("#email", "ada@example.org");
    await page.fill("#address", "1 Test Lane");
    await page.fill("#town", "London");
    await page.fill("#postcode", "E1 6AN");
    await page.click("#place-order");
    await page.waitForSelector("#confirmation:not([hidden])");
    assert.match(await page.textContent("#order-number"), /^PP-[0-9A-F]{8}$/);
    const confirmed = await page.$$eval("#confirmation-lines li", (lis) => lis.map((li) => li.dataset.id));
    assert.deepEqual(confirmed, toBuy.map((x) => x.id));

    // The shop's basket is empty; Attune's profile holds one purchase per line.
    assert.equal(await page.textContent("[data-cart-count]"), "0");
    const state = await page.evaluate(() => ({
      cart: JSON.parse(localStorage.getItem("demo-shop:cart")),
      profile: JSON.parse(localStorage.getItem("attune")),
    }));
    assert.deepEqual(state.cart.lines, []);
    const purchased = state.profile.events.filter((e) => e.type === "purchase").map((e) => e.item);
    assert.deepEqual(purchased, toBuy.map((x) => x.id));

    // Back on the listing, after a reload: the purchased items are no longer picked.
    await page.goto(`${env.origin}/`);
    await page.reload();
    const afterPurchase = await waitForPlacement(page, FOR_YOU, { min: 3 });
    assertReal(afterPurchase, "for-you after purchase");
    for (const x of toBuy) {
      assert.ok(!afterPurchase.some((y) => y.id === x.id), `purchased ${x.id} is still recommended`);
    }
    assert.deepEqual(t.errors, []);
  } finally {
    await t.close();
  }
});

test("pages are usable from the keyboard and labelled for assistive technology", async () => {
  const t = await openPage(env);
  const { page } = t;
  try {
    for (const path of ["/", `/product.html?id=${products()[0].id}`, "/cart.html", "/checkout.html"]) {
      await page.goto(`${env.origin}${path}`);
      await page.waitForLoadState("networkidle");
      // Landmarks, one h1, and every form control labelled.
      for (const sel of ["header", 'nav[aria-label="Main"]', "main#main", "footer"]) {
        assert.equal(await page.locator(sel).count(), 1, `${path}: ${sel}`);
      }
      assert.equal(await page.locator("h1:visible").count(), 1, `${path}: one visible h1`);
      const unlabelled = await page.evaluate(() =>
        [...document.querySelectorAll("input, select, textarea")]
          .filter((c) => !(c.labels && c.labels.length) && !c.getAttribute("aria-label"))
          .map((c) => c.id || c.name),
      );
      assert.deepEqual(unlabelled, [], `${path}: unlabelled controls`);
      // The first Tab lands on the skip link, and it leads to the main content.
      await page.keyboard.press("Tab");
      assert.equal(await page.evaluate(() => document.activeElement.className), "skip-link");
      await page.keyboard.press("Enter");
      assert.equal(await page.evaluate(() => location.hash), "#main");
    }

    // "Show more" by keyboard moves focus to the first product it added.
    await page.goto(`${env.origin}/`);
    await page.waitForSelector("#product-grid .card");
    await page.focus("#show-more");
    await page.keyboard.press("Enter");
    const focused = await page.evaluate(() => document.activeElement.closest(".card")?.dataset.id);
    assert.equal(focused, products()[24].id);

    // Add to basket works from the keyboard alone.
    await page.goto(`${env.origin}/product.html?id=${products()[1].id}`);
    await page.waitForSelector('body[data-ready="product"]');
    await page.focus("#qty");
    await page.keyboard.press("ArrowUp");
    await page.keyboard.press("Enter"); // submits the form
    await page.waitForSelector("#cart-status a");
    assert.equal(await page.textContent("[data-cart-count]"), "2");
    assert.deepEqual(t.errors, []);
  } finally {
    await t.close();
  }
});
