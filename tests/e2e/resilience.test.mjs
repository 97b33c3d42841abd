//! The shop must keep working when Attune cannot: a missing model, a corrupt, truncated or
//! oversized model (a section or a count far beyond the file, with a valid checksum, so
//! the parser's bounds checks are what stops it; a file over the loader's 32 MiB cap), or
//! a missing .wasm. In each case the
//! listing, product page, basket and checkout still work, the placements render nothing,
//! the page throws nothing, and the console says why in one `attune:` warning per page.
//! Needs a built www/ (scripts/build). Run: node --test tests/e2e/

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { crc32 } from "node:zlib";
import path from "node:path";
import { setup, openPage, attuneReady, placementItems, placementText, products } from "./helpers.mjs";
import { WWW } from "./server.mjs";

let env;
before(async () => {
  env = await setup();
});
after(async () => {
  await env?.stop();
});

const realModel = () => readFileSync(path.join(WWW, "demo/model.bin"));

/** The real model with `edit(bytes, sections)` applied and its CRC-32 recomputed. */
function resealed(edit) {
  const m = Buffer.from(realModel());
  const sections = new Map();
  for (let i = 0, n = m.readUInt32LE(8); i < n; i++) {
    const at = 12 + 12 * i;
    sections.set(m.toString("latin1", at, at + 4), { entry: at, offset: m.readUInt32LE(at + 4) });
  }
  edit(m, sections);
  m.writeUInt32LE(crc32(m.subarray(0, m.length - 4)), m.length - 4);
  return m;
}

const FAILURES = [
  ["the model is missing (404)", "**/demo/model.bin", () => ({ status: 404, body: "not found" })],
  [
    "the model is garbage",
    "**/demo/model.bin",
    () => ({ status: 200, contentType: "application/octet-stream", body: Buffer.from("this is not a model\n".repeat(200)) }),
  ],
  [
    "the model is truncated",
    "**/demo/model.bin",
    () => {
      const m = realModel();
      return { status: 200, contentType: "application/octet-stream", body: m.subarray(0, Math.floor(m.length / 2)) };
    },
  ],
  [
    "the model has one flipped byte",
    "**/demo/model.bin",
    () => {
      const m = Buffer.from(realModel());
      const at = Math.floor(m.length * 0.6);
      m[at] ^= 0x5a;
      return { status: 200, contentType: "application/octet-stream", body: m };
    },
  ],
  [
    "the model declares a section of 4 GiB",
    "**/demo/model.bin",
    () => ({ status: 200, contentType: "application/octet-stream", body: resealed((m, s) => m.writeUInt32LE(0xffffff00, s.get("NBRS").entry + 8)) }),
  ],
  [
    "the model declares 4 billion items",
    "**/demo/model.bin",
    () => ({ status: 200, contentType: "application/octet-stream", body: resealed((m, s) => m.writeUInt32LE(0xfffffff0, s.get("IDS_").offset)) }),
  ],
  [
    // Past the loader's cap (data-max-model-bytes, 32 MiB by default): refused before
    // it is read into the tab, however valid its sections are.
    "the model is over 32 MiB",
    "**/demo/model.bin",
    () => ({ status: 200, contentType: "application/octet-stream", body: Buffer.concat([realModel(), Buffer.alloc(33 << 20)]) }),
    /is over \d+ bytes \(data-max-model-bytes\)/,
  ],
  // Either module: the widget's, or (the demo's pages configure prompts) the one with both.
  ["the .wasm is missing (404)", /\/pkg\/(attune_web|full\/attune_full)_bg\.wasm$/, () => ({ status: 404, body: "not found" })],
];

for (const [name, pattern, respond, reason] of FAILURES) {
  test(`the shop still works when ${name}`, async () => {
    const t = await openPage(env);
    const { page } = t;
    const failed = [];
    await t.context.route(pattern, (route) => {
      failed.push(route.request().url());
      return route.fulfill(respond());
    });
    try {
      const list = products();
      await page.goto(`${env.origin}/`);
      await page.waitForSelector("#product-grid .card");
      assert.equal(await page.locator("#product-grid .card").count(), 24);
      assert.notEqual(await attuneReady(page), true, "the widget claims to be ready without a usable model");
      const said = t.warnings.filter((w) => w.startsWith("attune"));
      assert.equal(said.length, 1, said.join("\n"));
      assert.match(said[0], /^attune: recommendations are off \(.*(model|wasm|\.wasm|404|HTTP)/i, "a warning that names the problem");
      if (reason) assert.match(said[0], reason);
      await page.waitForTimeout(200); // give a (wrong) late render the chance to show up
      for (const sel of ['attune-recs[placement="for-you"]', 'attune-recs[placement="recent"]']) {
        assert.deepEqual(await placementItems(page, sel), [], `${sel} rendered items`);
        assert.equal(await placementText(page, sel), "", `${sel} rendered text (an empty header?)`);
        const height = await page.$eval(sel, (e) => e.getBoundingClientRect().height);
        assert.equal(height, 0, `${sel} takes space on the page`);
      }

      // Product page: shown in full; add to basket works (tracking just does nothing).
      const p = list[2];
      await page.goto(`${env.origin}/product.html?id=${encodeURIComponent(p.id)}`);
      await page.waitForSelector('body[data-ready="product"]');
      assert.equal(await page.isVisible("#product-title"), true);
      await page.fill("#qty", "3");
      await page.click("#add-to-cart");
      await page.waitForSelector("#cart-status a");
      assert.equal(await page.textContent("[data-cart-count]"), "3");
      assert.deepEqual(await placementItems(page, 'attune-recs[placement="similar"]'), []);

      // Basket and checkout complete; the confirmation appears and the basket empties.
      await page.goto(`${env.origin}/cart.html`);
      assert.deepEqual(await page.$$eval("#cart-body tr", (trs) => trs.map((tr) => tr.dataset.id)), [p.id]);
      await page.click("#checkout");
      await page.waitForSelector("#order-form");
      for (const [f, v] of [["#name", "N"], ["#email", "n@example.org"], ["#address", "A"], ["#town", "T"], ["#postcode", "P"]]) {
        await page.fill(f, v);
      }
      await page.click("#place-order");
      await page.waitForSelector("#confirmation:not([hidden])", { timeout: 10_000 });
      assert.equal(await page.textContent("[data-cart-count]"), "0");

      assert.ok(failed.length >= 1, "the failure was never injected");
      // The only console error allowed is the browser's own note about the failed fetch.
      const errors = t.errors.filter((e) => !/Failed to load resource: the server responded with a status of 404/.test(e));
      assert.deepEqual(errors, []);
      assert.deepEqual(t.csp, []);
    } finally {
      await t.close();
    }
  });
}
