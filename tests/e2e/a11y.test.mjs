//! axe-core on every demo page, in both demo themes (light, and the dark brand theme) and
//! right to left (www/rtl.html: Arabic, dir="rtl"), with the placements rendered: zero
//! violations. axe is injected as a script, which the demo's CSP rightly forbids, so these
//! contexts bypass CSP (every other test keeps it). Needs a built www/ (scripts/build).
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { setup, products } from "./helpers.mjs";

const AXE = createRequire(import.meta.url).resolve("axe-core/axe.min.js");
let env;
before(async () => {
  env = await setup();
});
after(async () => {
  await env?.stop();
});

const pages = () => ["/", `/product.html?id=${products()[0].id}`, "/cart.html", "/checkout.html", "/rtl.html"];

for (const theme of ["light", "dark"]) {
  test(`axe: no violations on any demo page, ${theme} theme`, async () => {
    const context = await env.browser.newContext({ bypassCSP: true, viewport: { width: 1280, height: 900 } });
    await context.addInitScript((t) => localStorage.setItem("demo-shop:theme", t), theme);
    const page = await context.newPage();
    try {
      for (const path of pages()) {
        await page.goto(env.origin + path);
        await page.waitForLoadState("networkidle");
        await page.waitForFunction(() => window.attune && window.attune.ready);
        await page.evaluate(() => window.attune.ready);
        // Every placement has rendered (cards, or `empty`).
        await page.waitForFunction(() => [...document.querySelectorAll("attune-recs")].every((e) => e.hasAttribute("empty") || e.shadowRoot?.querySelector("[part=link]")), null, { timeout: 15_000 });
        assert.equal(await page.evaluate(() => document.documentElement.dataset.theme || "light"), theme, path);
        await page.addScriptTag({ path: AXE });
        const violations = await page.evaluate(async () => {
          const r = await window.axe.run(document, { resultTypes: ["violations"] });
          return r.violations.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(" ")).slice(0, 4).join(", ")})`);
        });
        assert.deepEqual(violations, [], `${path} (${theme})`);
      }
    } finally {
      await context.close();
    }
  });
}

test("the right-to-left demo page lays out right to left, with Arabic placements", async () => {
  const context = await env.browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  try {
    await page.goto(env.origin + "/rtl.html");
    await page.waitForFunction(() => document.querySelector('attune-recs[placement="for-you"]')?.shadowRoot?.querySelectorAll("[part=link]").length >= 2, null, { timeout: 15_000 });
    const r = await page.evaluate(() => {
      const root = document.querySelector('attune-recs[placement="for-you"]').shadowRoot;
      const items = [...root.querySelectorAll("[part=item]")].map((e) => e.getBoundingClientRect());
      const brand = document.querySelector(".brand").getBoundingClientRect();
      return { heading: root.querySelector("[part=heading]").textContent, first: items[0].left, second: items[1].left, brandRight: brand.right, width: innerWidth };
    });
    assert.equal(r.heading, "مختارة لك");
    assert.ok(r.first > r.second, `cards run left to right: ${JSON.stringify(r)}`);
    assert.ok(r.brandRight > r.width / 2, "the brand is not at the right");
  } finally {
    await context.close();
  }
});
