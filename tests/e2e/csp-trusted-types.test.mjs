//! Every placement works under the strictest policy a shop may serve:
//!   default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self';
//!   require-trusted-types-for 'script'
//! with zero `securitypolicyviolation` events, while the shopper browses, the placements
//! re-render and every button inside them is pressed. Also the demo shop's pages, served
//! with the same policy as a header on top of their own meta policy, including help
//! prompts (the prompts module, its styles, its buttons, a comparison table). Controls prove the collector
//! sees a style-src and a Trusted Types violation when one happens.
//! Needs a built www/ and target/release/attune (scripts/build). Run: node --test tests/e2e/

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { attune, launch, pageServer, ready, STRICT_CSP, watchedPage, ROOT } from "./privacy-kit.mjs";
import { startServer, WWW } from "./server.mjs";

// Every placement of docs/integration.md (and issue 5); a loader that does not know one
// renders nothing for it and warns, which must not violate the policy either.
const PLACEMENTS = ["similar", "bought-together", "for-you", "recent", "cart", "popular"];
// The placements every loader version renders for a shopper with a history.
const MUST_RENDER = ["similar", "for-you", "recent"];

let server;
let browser;
let tmp;
let items;

before(async () => {
  tmp = mkdtempSync(path.join(tmpdir(), "attune-csp-"));
  const model = path.join(tmp, "model.bin");
  attune(["build", "--interactions", path.join(ROOT, "tests/fixtures/online-retail-sample.csv.gz"), "--out", model, "--currency", "GBP"]);
  items = attune(["recommend", "--model", model, "-k", "6"], "\n").trim().split(" ");
  const places = PLACEMENTS.map((p) => `<attune-recs placement="${p}" item="${items[0]}" k="4"></attune-recs>`).join("\n");
  server = await pageServer(
    {
      "/model.bin": ["application/octet-stream", readFileSync(model)],
      "/favicon.ico": ["image/x-icon", ""],
      "/all.html": [
        "text/html; charset=utf-8",
        `<!doctype html><html><head><meta charset="utf-8"><title>placements</title>
<script type="module" src="/attune.js" data-model="/model.bin" data-item-url="/p.html?id={id}" data-consent="granted"></script>
</head><body><main><h1>All placements</h1>${places}<attune-privacy></attune-privacy></main></body></html>`,
      ],
    },
    { "content-security-policy": STRICT_CSP },
  );
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await server?.close();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

const cards = (page, placement) =>
  page.evaluate((p) => {
    const r = document.querySelector(`attune-recs[placement="${p}"]`)?.shadowRoot;
    return r ? r.querySelectorAll('[part~="item"]').length : 0;
  }, placement);

test("every placement renders under the strict CSP with Trusted Types, without a violation", async () => {
  const t = await watchedPage(browser);
  const { page } = t;
  try {
    await page.goto(`${server.origin}/all.html`);
    assert.equal(await ready(page), true, "the widget did not start under the strict CSP");
    await page.evaluate((ids) => {
      for (const id of ids.slice(0, 3)) window.attune.track({ type: "view", item: id });
      window.attune.track({ type: "cart", item: ids[3] });
    }, items);
    for (const p of MUST_RENDER) {
      await page.waitForFunction(
        (pl) => (document.querySelector(`attune-recs[placement="${pl}"]`)?.shadowRoot?.querySelectorAll('[part~="item"]').length || 0) > 0,
        p,
        { timeout: 10_000 },
      );
    }
    const counts = {};
    for (const p of PLACEMENTS) counts[p] = await cards(page, p);
    for (const p of MUST_RENDER) assert.ok(counts[p] > 0, `${p} rendered nothing: ${JSON.stringify(counts)}`);

    // Press every button the widget rendered (dismiss, privacy: show, export, pause, erase…).
    const pressed = await page.evaluate(async () => {
      let n = 0;
      const roots = [...document.querySelectorAll("attune-recs, attune-privacy")].map((e) => e.shadowRoot).filter(Boolean);
      for (const r of roots) {
        for (const b of r.querySelectorAll("button")) {
          b.click();
          n++;
          await new Promise((res) => setTimeout(res, 20));
        }
      }
      return n;
    });
    await page.waitForTimeout(200);
    // A loader with the shopper-control UI (dismiss buttons, <attune-privacy>) must have
    // given us buttons to press.
    if (await page.evaluate(() => !!customElements.get("attune-privacy"))) {
      assert.ok(pressed >= 3, `only ${pressed} buttons pressed`);
    }
    // Re-render after a storage change from another tab, too.
    await page.evaluate(() => window.dispatchEvent(new StorageEvent("storage", { key: "attune" })));
    await page.waitForTimeout(100);

    assert.deepEqual(t.csp, [], `violations (after pressing ${pressed} buttons)`);
    assert.deepEqual(t.errors, []);
    assert.deepEqual(t.dialogs, []);

    // Controls: the collector does see violations of both kinds when they happen.
    await page.evaluate(() => document.body.setAttribute("style", "color: red"));
    const tt = await page.evaluate(() => {
      try {
        document.createElement("div").innerHTML = "<b>x</b>";
        return "allowed";
      } catch (e) {
        return e.name;
      }
    });
    assert.equal(tt, "TypeError", "Trusted Types did not block innerHTML: the policy is not in force");
    await page.waitForTimeout(100);
    assert.ok(t.csp.some((v) => / style-src/.test(v)), `no style-src violation seen: ${t.csp}`);
    assert.ok(t.csp.some((v) => /trusted-types|require-trusted-types-for/.test(v)), `no Trusted Types violation seen: ${t.csp}`);
  } finally {
    await t.close();
  }
});

test("the demo shop keeps working with Trusted Types required on every page", async () => {
  // The demo's own server, with the strict policy added as a header: header and meta
  // policies are both enforced, so this is the intersection.
  const { demo, t } = await strictDemo();
  const { page } = t;
  try {
    const list = JSON.parse(readFileSync(path.join(WWW, "demo/products.json"), "utf8"));
    await page.goto(`${demo.origin}/product.html?id=${encodeURIComponent(list[1].id)}`);
    await page.waitForSelector('body[data-tracked="view"]', { timeout: 15_000 });
    await page.waitForFunction(
      () => (document.querySelector('attune-recs[placement="similar"]')?.shadowRoot?.querySelectorAll("a[href]").length || 0) > 0,
      null,
      { timeout: 15_000 },
    );
    await page.click("#add-to-cart");
    for (const p of ["/", "/cart.html", "/checkout.html"]) {
      await page.goto(`${demo.origin}${p}`);
      await page.waitForLoadState("networkidle");
    }
    await page.goto(`${demo.origin}/`);
    await page.waitForFunction(
      () => (document.querySelector('attune-recs[placement="recent"]')?.shadowRoot?.querySelectorAll("a[href]").length || 0) > 0,
      null,
      { timeout: 15_000 },
    );
    await assertCleanUnderPolicy(t);
  } finally {
    await closeDemo(demo, t);
  }
});

test("help prompts on the demo (a help box, then a comparison table) work under the strict policy, without a violation", async () => {
  const { demo, t } = await strictDemo();
  const { page } = t;
  try {
    // The demo's gift help (docs/prompts.md) shows after 40 s on a product page.
    await page.clock.install({ time: new Date("2025-03-04T10:00:00Z") });
    await page.goto(`${demo.origin}/product.html?id=47566`);
    await page.waitForSelector('body[data-tracked="view"]', { timeout: 15_000 });
    await page.waitForSelector("attune-prompt", { state: "attached", timeout: 15_000 });
    await page.clock.runFor(41_000);
    await page.waitForFunction(() => !!document.querySelector("attune-prompt")?.shadowRoot?.querySelector("[part~=prompt]"), null, { timeout: 5_000 });
    assert.equal(await promptTitle(page), "Choosing a gift?");
    // Styled by the module's own sheet (adopted, so style-src 'self' holds): a close button
    // positioned in a corner, not an unstyled inline button.
    const position = await page.evaluate(() => getComputedStyle(document.querySelector("attune-prompt").shadowRoot.querySelector("[part~=close]")).position);
    assert.equal(position, "absolute");
    await page.evaluate(() => document.querySelector("attune-prompt").shadowRoot.querySelector("[part~=close]").click());
    await page.waitForFunction(() => !document.querySelector("attune-prompt")?.shadowRoot?.querySelector("[part~=prompt]"), null, { timeout: 5_000 });
    // A third item of one kind this visit: the comparison table, linked titles and prices.
    for (const id of ["85123A", "22457", "22469"]) {
      await page.goto(`${demo.origin}/product.html?id=${id}`);
      await page.waitForSelector('body[data-tracked="view"]', { timeout: 15_000 });
    }
    await page.waitForFunction(() => !!document.querySelector("attune-prompt")?.shadowRoot?.querySelector("[part~=compare]"), null, { timeout: 10_000 });
    assert.equal(await promptTitle(page), "Comparing these?");
    const columns = await page.evaluate(() => [...document.querySelector("attune-prompt").shadowRoot.querySelectorAll("thead a")].map((a) => new URL(a.href).searchParams.get("id")));
    assert.deepEqual(columns, ["85123A", "22457", "22469"]);
    await assertCleanUnderPolicy(t);
  } finally {
    await closeDemo(demo, t);
  }
});

/** The demo's own server, with the strict policy added as a header to every HTML page (header
 *  and meta policies are both enforced, so this is the intersection). */
async function strictDemo() {
  const demo = await startServer({ root: WWW });
  const t = await watchedPage(browser);
  await t.context.route("**/*", async (route) => {
    try {
      const res = await route.fetch();
      const headers = { ...res.headers() };
      if ((headers["content-type"] || "").startsWith("text/html")) headers["content-security-policy"] = STRICT_CSP;
      await route.fulfill({ response: res, headers });
    } catch {
      // The page went away while its request was in flight.
    }
  });
  return { demo, t };
}

/** The open prompt's title, or null. */
const promptTitle = (page) => page.evaluate(() => {
  const box = document.querySelector("attune-prompt")?.shadowRoot?.querySelector("[part~=prompt]");
  return box ? box.querySelector("#" + box.getAttribute("aria-labelledby"))?.textContent : null;
});

test("the exit survey (answered) and the basket reassurance work under the strict policy, without a violation", async () => {
  const { demo, t } = await strictDemo();
  const { page } = t;
  try {
    await page.clock.install({ time: new Date("2025-03-04T10:00:00Z") });
    await page.goto(`${demo.origin}/index.html`);
    await page.waitForSelector("attune-prompt", { state: "attached", timeout: 15_000 });
    // Exit intent on desktop after the minimum time: out through the top edge.
    await page.mouse.move(640, 400);
    await page.clock.runFor(35_000);
    await page.mouse.move(640, 300, { steps: 3 });
    await page.mouse.move(640, -30, { steps: 4 });
    await page.waitForFunction(() => !!document.querySelector("attune-prompt")?.shadowRoot?.querySelector("[part~=prompt]"), null, { timeout: 5_000 });
    assert.equal(await promptTitle(page), "What stopped you today?");
    const answered = await page.evaluate(() => {
      const root = document.querySelector("attune-prompt").shadowRoot;
      const choices = [...root.querySelectorAll("[part~=choice]")];
      choices[1].click();
      return choices.length;
    });
    assert.equal(answered, 5, "five answers offered");
    await page.waitForFunction(() => !document.querySelector("attune-prompt").shadowRoot.querySelector("[part~=choice]"), null, { timeout: 5_000 });
    // A quiet basket page: the reassurance facts after two idle minutes.
    const list = JSON.parse(readFileSync(path.join(WWW, "demo/products.json"), "utf8"));
    await page.goto(`${demo.origin}/product.html?id=${encodeURIComponent(list[2].id)}`);
    await page.waitForSelector('body[data-tracked="view"]', { timeout: 15_000 });
    await page.click("#add-to-cart");
    await page.goto(`${demo.origin}/cart.html`);
    await page.waitForSelector("attune-prompt", { state: "attached", timeout: 15_000 });
    await page.mouse.move(500, 300);
    await page.clock.runFor(125_000);
    await page.waitForFunction(() => !!document.querySelector("attune-prompt")?.shadowRoot?.querySelector("[part~=prompt]"), null, { timeout: 5_000 });
    assert.equal(await promptTitle(page), "Good to know");
    await assertCleanUnderPolicy(t);
  } finally {
    await closeDemo(demo, t);
  }
});

/** No violation and no error so far, and the header policy really applied: Trusted Types
 *  block a string sink on the page. */
async function assertCleanUnderPolicy(t) {
  assert.deepEqual(t.csp, []);
  assert.deepEqual(t.errors, []);
  const blocked = await t.page.evaluate(() => {
    try { document.createElement("div").innerHTML = "x"; return false; } catch { return true; }
  });
  assert.equal(blocked, true, "the strict policy was not in force on the demo page");
}

async function closeDemo(demo, t) {
  await t.context.unrouteAll({ behavior: "ignoreErrors" });
  await t.close();
  await demo.close();
}
