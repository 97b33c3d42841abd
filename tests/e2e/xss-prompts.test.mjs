//! Hostile item facts never run as script in the help prompts either. The comparison prompt
//! (docs/prompts.md, `"show": "compare"`) is the one that renders data the shop's pages
//! hand over — each viewed item's title, product URL, price and named fields, from
//! `attune.track` view events (or the page's JSON-LD). Every payload of the XSS corpus
//! (xss-payloads.mjs, over 100 strings) goes, four items per comparison, into all of those
//! at once; the page runs under a report-only `require-trusted-types-for 'script'`
//! policy, so any HTML or script sink is reported even when the payload is harmless. For
//! every comparison: the canary global stays unset, no dialog opens, the canary server gets
//! no request, no sink is used, the prompt holds only table and text elements without
//! event-handler attributes, titles, prices and fields arrive as text, and every link is
//! http(s) (an unsafe URL leaves the title unlinked).
//! Needs a built www/ (scripts/build). Run: node --test tests/e2e/xss-prompts.test.mjs

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { canaryServer, launch, pageServer, ready, shadowDump, watchedPage } from "./privacy-kit.mjs";
import { payloads } from "./xss-payloads.mjs";
import { WWW } from "./server.mjs";

const PER = 4; // items per comparison (the rule's maximum)
const ALLOWED_TAGS = new Set(["div", "section", "h2", "p", "table", "thead", "tbody", "tr", "th", "td", "a", "button"]);
const CONFIG = {
  rules: [{ id: "cmp", when: "compare", items: PER, show: "compare", title: "Compare these", fields: ["fit"] }],
};
// The prompts module is Rust: page text crosses into it as UTF-8, so a lone UTF-16
// surrogate (ill-formed text) arrives as U+FFFD, which is what toWellFormed() gives.
const norm = (s) => String(s).toWellFormed().replace(/[\s\u0000-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2060-\u206f\ufeff]+/gu, "");

let canary;
let server;
let browser;
let corpus;

before(async () => {
  canary = await canaryServer();
  corpus = payloads(canary.origin);
  assert.ok(corpus.length >= 100, `only ${corpus.length} payloads`);
  server = await pageServer(
    {
      "/model.bin": ["application/octet-stream", readFileSync(path.join(WWW, "demo/model.bin"))],
      // The help-prompts module (crates/attune-prompts-web), as the bootstrap imports it.
      "/pkg/prompts/attune_prompts.js": ["text/javascript", () => readFileSync(path.join(WWW, "pkg/prompts/attune_prompts.js"))],
      "/pkg/prompts/attune_prompts_bg.wasm": ["application/wasm", () => readFileSync(path.join(WWW, "pkg/prompts/attune_prompts_bg.wasm"))],
      "/p.html": [
        "text/html; charset=utf-8",
        `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>xss prompts</title>
<script type="module" src="/attune.js" data-model="/model.bin"></script>
<script type="application/json" data-attune-prompts>${JSON.stringify(CONFIG)}</script></head>
<body><p id="host">host content</p></body></html>`,
      ],
    },
    { "content-security-policy-report-only": "require-trusted-types-for 'script'" },
  );
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await server?.close();
  await canary?.close();
});

test("every payload as an item's title, URL, price and field stays inert in the comparison prompt", async () => {
  let compared = 0;
  for (let at = 0; at < corpus.length; at += PER) {
    // Pad the last batch with plain items so the rule still fires.
    const batch = corpus.slice(at, at + PER);
    while (batch.length < PER) batch.push(`plain ${batch.length}`);
    const t = await watchedPage(browser);
    const { page } = t;
    try {
      await page.goto(`${server.origin}/p.html`);
      assert.equal(await ready(page), true, "the widget did not start");
      await page.waitForSelector("attune-prompt", { state: "attached", timeout: 10_000 });
      await page.evaluate((list) => {
        list.forEach((p, i) => window.attune.track({
          type: "view", item: `H${i}`, category: "Hostile", title: p, url: p, price: p, fields: { fit: p },
        }));
      }, batch);
      await page.waitForFunction(() => !!document.querySelector("attune-prompt").shadowRoot.querySelector("[part~=compare]"), null, { timeout: 5_000 });
      // Give injected handlers (onerror of a broken image, onload, autofocus) time to fire.
      await page.waitForTimeout(150);
      const where = `batch at ${at}`;
      assert.deepEqual(await page.evaluate(() => [window.__xss, top.__xss]), [undefined, undefined], `${where}: script ran`);
      assert.deepEqual(t.dialogs, [], `${where}: a dialog opened`);
      assert.deepEqual(canary.hits, [], `${where}: the canary server was contacted`);
      assert.deepEqual(t.csp, [], `${where}: an HTML or script sink was used (Trusted Types report)`);
      const dump = await shadowDump(page, "attune-prompt");
      for (const el of dump.elements) {
        assert.ok(ALLOWED_TAGS.has(el.tag), `${where}: a <${el.tag}> element in the prompt`);
        for (const a of el.attrs) assert.ok(!/^on/i.test(a) && a !== "srcdoc" && a !== "ping", `${where}: attribute ${a} on <${el.tag}>`);
      }
      const table = await page.evaluate(() => {
        const t = document.querySelector("attune-prompt").shadowRoot.querySelector("[part~=compare]");
        const cells = (tr) => [...tr.children].slice(1).map((c) => c.textContent);
        return {
          heads: [...t.querySelectorAll("thead th")].map((th) => ({ text: th.textContent, href: th.querySelector("a")?.href ?? null })),
          rows: [...t.querySelectorAll("tbody tr")].map(cells),
        };
      });
      const parsed = await page.evaluate((list) => list.map((p) => { try { return new URL(p, document.baseURI); } catch { return null; } }).map((u) => u && { protocol: u.protocol, href: u.href }), batch);
      assert.equal(table.heads.length, PER, `${where}: ${table.heads.length} columns`);
      table.heads.forEach((h, i) => {
        const p = batch[i];
        const what = `${where}, payload ${JSON.stringify(p).slice(0, 80)}`;
        // The title as text (a blank one shows the id), never parsed.
        assert.ok(norm(h.text) === norm(p) || (norm(p) === "" && h.text === `H${i}`) || norm(p.trim()) === norm(h.text), `${what}: column shows ${JSON.stringify(h.text).slice(0, 80)}`);
        const safe = parsed[i] && /^https?:$/.test(parsed[i].protocol);
        if (h.href !== null) assert.ok(/^https?:$/.test(new URL(h.href).protocol), `${what}: link ${h.href}`);
        if (!safe) assert.equal(h.href, null, `${what}: an unsafe URL became a link`);
      });
      // Rows: price, then the field; every cell is the payload as text (or "—" when blank).
      assert.equal(table.rows.length, 2);
      for (const row of table.rows) {
        row.forEach((cell, i) => {
          const p = batch[i];
          const numeric = Number.isFinite(+p) && String(p).trim() !== "";
          if (!numeric) assert.ok(norm(cell) === norm(p) || (norm(p) === "" && (cell === "—" || norm(cell) === "")), `${where}: cell ${JSON.stringify(cell).slice(0, 80)} for ${JSON.stringify(p).slice(0, 80)}`);
        });
      }
      assert.deepEqual(t.errors.filter((e) => !/Failed to load resource/.test(e)), []);
      assert.equal(await page.textContent("#host"), "host content");
      compared += batch.length;
    } finally {
      await t.close();
    }
  }
  assert.ok(compared >= corpus.length);
});
