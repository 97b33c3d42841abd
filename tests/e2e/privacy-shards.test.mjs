//! Sharded models (docs/model-format.md, docs/privacy.md): a page fetches the head and the
//! shard of its own item only, whatever the shopper did before. Two shoppers with different
//! histories open the same product page and make identical model requests; the shard a page
//! fetches follows its item (FNV-1a of the id, masked by the head's shard count, computed in
//! the bootstrap); a page's "similar" row from head + shard is the one the single-file model
//! shows; a missing shard leaves the head's popular items, with one warning.
//! Needs a built www/ (scripts/build writes www/demo/sharded/). Run: node --test tests/e2e/

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import { launch, pageServer } from "./privacy-kit.mjs";
import { products } from "./helpers.mjs";
import { WWW } from "./server.mjs";

const DIR = path.join(WWW, "demo", "sharded");
let server;
let browser;

const page = (model, item, more = "") => `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>shards</title>
<script type="module" src="/attune.js" data-model="${model}" data-item="${item}" data-item-url="/p?id={id}"></script></head>
<body><attune-recs id="sim" placement="similar" item="${item}" k="6"></attune-recs>${more}</body></html>`;

function fnv(id) {
  let h = 0x811c9dc5;
  for (const c of Buffer.from(id, "utf8")) h = Math.imul(h ^ c, 0x01000193) >>> 0;
  return h;
}

before(async () => {
  assert.ok(existsSync(path.join(DIR, "head.bin")), "www/demo/sharded/ is missing: run scripts/build");
  const routes = {};
  for (const f of readdirSync(DIR)) routes[`/sharded/${f}`] = ["application/octet-stream", () => readFileSync(path.join(DIR, f))];
  routes["/model.bin"] = ["application/octet-stream", () => readFileSync(path.join(WWW, "demo", "model.bin"))];
  const [a, b] = [products()[3].id, products()[40].id];
  routes["/a.html"] = ["text/html", page("/sharded/", a)];
  routes["/b.html"] = ["text/html", page("/sharded/", b)];
  routes["/a-single.html"] = ["text/html", page("/model.bin", a)];
  routes["/favicon.ico"] = ["image/x-icon", ""];
  server = await pageServer(routes);
  browser = await launch();
});
after(async () => {
  await browser?.close();
  await server?.close();
});

const shardCount = () => readdirSync(DIR).filter((f) => /^shard-\d+\.bin$/.test(f)).length;

async function visit(context, p) {
  const pg = await context.newPage();
  const models = [];
  const warnings = [];
  pg.on("request", (r) => { if (r.url().includes("/sharded/") || r.url().endsWith("/model.bin")) models.push(new URL(r.url()).pathname); });
  pg.on("console", (m) => { if (m.type() === "warning") warnings.push(m.text()); });
  await pg.goto(server.origin + p);
  assert.equal(await pg.evaluate(() => window.attune.ready), true, `${p}: ${warnings.join(" | ")}`);
  await pg.waitForFunction(() => document.getElementById("sim").shadowRoot?.querySelectorAll("[part=link]").length > 0, null, { timeout: 10_000 });
  const ids = await pg.evaluate(() => [...document.getElementById("sim").shadowRoot.querySelectorAll("[part=link]")].map((a) => new URL(a.href).searchParams.get("id")));
  await pg.close();
  return { models, ids, warnings };
}

test("a product page fetches the head and its own item's shard, and shows what the single file shows", async () => {
  const ctx = await browser.newContext();
  try {
    const item = products()[3].id;
    const n = shardCount();
    assert.ok(n > 1 && (n & (n - 1)) === 0, `shard count ${n}`);
    const sharded = await visit(ctx, "/a.html");
    assert.deepEqual(sharded.models, ["/sharded/head.bin", `/sharded/shard-${fnv(item) & (n - 1)}.bin`]);
    const single = await visit(ctx, "/a-single.html");
    assert.deepEqual(sharded.ids, single.ids);
    assert.ok(sharded.ids.length >= 4);
    assert.deepEqual(sharded.warnings, []);
  } finally {
    await ctx.close();
  }
});

test("two shoppers with different histories fetch the same model files on the same page", async () => {
  const one = await browser.newContext();
  const two = await browser.newContext();
  try {
    // Different pasts: one shopper looked at b, the other at nothing (then both open a).
    await visit(one, "/b.html");
    await one.newPage().then(async (p) => { await p.goto(server.origin + "/b.html"); await p.evaluate(() => window.attune.ready); await p.evaluate(() => window.attune.track({ type: "cart", item: document.querySelector("attune-recs").getAttribute("item") })); await p.close(); });
    const a1 = await visit(one, "/a.html");
    const a2 = await visit(two, "/a.html");
    assert.deepEqual(a1.models, a2.models);
    // And the page's item alone moves the shard: b's page fetched b's.
    const b = await visit(two, "/b.html");
    const n = shardCount();
    assert.equal(b.models[1], `/sharded/shard-${fnv(products()[40].id) & (n - 1)}.bin`);
  } finally {
    await one.close();
    await two.close();
  }
});

test("a missing shard leaves the head's popular items and one warning", async () => {
  const ctx = await browser.newContext();
  try {
    await ctx.route(/\/sharded\/shard-\d+\.bin$/, (r) => r.fulfill({ status: 404, body: "gone" }));
    const pg = await ctx.newPage();
    const warnings = [];
    pg.on("console", (m) => { if (m.type() === "warning") warnings.push(m.text()); });
    await pg.goto(server.origin + "/a.html");
    assert.equal(await pg.evaluate(() => window.attune.ready), true);
    assert.equal(warnings.filter((w) => /shard|lists are missing/.test(w)).length, 1, warnings.join(" | "));
  } finally {
    await ctx.close();
  }
});
