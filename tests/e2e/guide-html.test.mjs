// docs/guides/html.md: its product-page snippet, taken literally from the guide, on a page of
// its own with the npm package's files copied to /attune/ as the guide says. The placements
// show the neighbours of the product id the snippet names (and a different id would show
// other items), its basket button is a basket add, and nothing is fetched but Attune's own
// files. Run: node --test tests/e2e/guide-html.test.mjs (after scripts/build).

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { attuneReady, openPage, realCatalog } from "./helpers.mjs";
import { startServer } from "./server.mjs";
import { site, snippet, waitForIds } from "./guide-kit.mjs";
import { chromium } from "playwright-core";

const SNIPPET = snippet("docs/guides/html.md", "product-page");
const ID = /<attune-recs placement="similar" item="([^"]+)"/.exec(SNIPPET)?.[1];

let s;
let env;
before(async () => {
  s = site({ "/product.html": SNIPPET });
  const server = await startServer({ root: s.root });
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM || "/usr/bin/chromium", args: ["--headless", "--no-sandbox", "--disable-gpu"] });
  env = { server, browser, origin: server.origin };
});
after(async () => {
  await env?.browser.close();
  await env?.server.close();
  s?.cleanup();
});

test("the guide's snippet names a product of the model", () => {
  assert.ok(ID, "no <attune-recs placement=\"similar\" item=…> in the snippet");
  assert.ok(realCatalog().has(ID), `${ID} is not in the demo catalogue`);
});

test("the snippet's placements show recommendations for the product id it passes", async () => {
  const t = await openPage(env);
  try {
    await t.page.goto(`${env.origin}/product.html`);
    assert.equal(await attuneReady(t.page), true, "attune.ready was not true: " + t.warnings.join("; "));
    const similar = await waitForIds(t.page, 'attune-recs[placement="similar"]');
    assert.ok(similar.length >= 1, "the similar placement rendered nothing");
    assert.ok(!similar.includes(ID), "a product is not similar to itself");
    for (const id of similar) assert.ok(realCatalog().has(id), `${id} is not a real item`);
    const expected = await t.page.evaluate((id) => window.attune.recommend({ placement: "similar", item: id }), ID);
    assert.deepEqual(similar, expected.slice(0, similar.length));
    // The list depends on the id passed: another product has other neighbours.
    const other = await t.page.evaluate(() => window.attune.recommend({ placement: "similar", item: "22423" }));
    assert.notDeepEqual(similar, other.slice(0, similar.length));

    const together = await waitForIds(t.page, 'attune-recs[placement="bought-together"]');
    assert.ok(together.length >= 1 && !together.includes(ID));

    // The page markup: <body> names the page's item (a view), and the button is a basket add.
    const ctx = await t.page.evaluate(() => window.attune.context());
    assert.equal(ctx.item, ID);
    assert.equal(ctx.page, "product");
    await t.page.click(`button[data-attune-cart="${ID}"]`);
    assert.deepEqual(await t.page.evaluate(() => window.attune.context().cart), [ID]);

    const foreign = t.requests.filter((r) => !r.url.startsWith(env.origin));
    assert.deepEqual(foreign, []);
    assert.ok(env.server.log.some((r) => r.url === "/attune/pkg/attune_web_bg.wasm" && r.status === 200));
    assert.deepEqual(t.errors, []);
  } finally {
    await t.close();
  }
});
