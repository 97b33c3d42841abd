// examples/preact (the React/Preact SPA guide, docs/guides/react.md) as a developer uses it:
// the npm package is packed from pkg/ and installed from that tarball into a copy of the
// example in a temp dir, with preact and esbuild from the npm registry (the versions pinned in
// the root package.json, cached by scripts/setup's npm ci); tsc type-checks the app against
// the package's attune.d.ts; esbuild bundles it. In headless Chromium the placements follow
// client-side route changes (home → product → another product → back → basket) without a
// page load, and the .wasm is fetched from the pkg/ copied next to the bundle, also with SRI.
// Run: node --test tests/e2e/example-preact.test.mjs (after scripts/build).

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { chromium } from "playwright-core";
import { ROOT, attuneReady, openPage, realCatalog } from "./helpers.mjs";
import { startServer } from "./server.mjs";
import { shownIds, snippet } from "./guide-kit.mjs";

const TSC = path.join(ROOT, "node_modules/.bin/tsc");
let tmp;
let app;
let env;
const dev = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")).devDependencies;

function run(cmd, args, cwd) {
  const r = spawnSync(cmd, args, { cwd, encoding: "utf8" });
  assert.equal(r.status, 0, `${cmd} ${args.join(" ")}: ${r.stdout}${r.stderr}`);
  return r.stdout;
}

before(async () => {
  if (!existsSync(path.join(ROOT, "pkg/package.json"))) throw new Error("pkg/package.json is missing: run scripts/build");
  tmp = mkdtempSync(path.join(tmpdir(), "attune-preact-"));
  const [packed] = JSON.parse(run("npm", ["pack", "--json", "--ignore-scripts", "--pack-destination", tmp], path.join(ROOT, "pkg")));
  app = path.join(tmp, "app");
  cpSync(path.join(ROOT, "examples/preact"), app, {
    recursive: true,
    filter: (src) => !/[\\/](node_modules|dist)$/.test(src),
  });
  // The example's own manifest, with the package from the tarball and the registry versions
  // the repository pins (typescript: the repository's tsc runs the check).
  const manifest = JSON.parse(readFileSync(path.join(app, "package.json"), "utf8"));
  manifest.dependencies = { "attune-web": `file:../${packed.filename}`, preact: dev.preact };
  manifest.devDependencies = { esbuild: dev.esbuild };
  writeFileSync(path.join(app, "package.json"), JSON.stringify(manifest, null, 2));
  run("npm", ["install", "--no-audit", "--no-fund", "--prefer-offline", "--loglevel=error"], app);
  run("node", ["build.mjs", "dist"], app);
  cpSync(path.join(ROOT, "www/demo/model.bin"), path.join(app, "dist/model.bin"));
  writeFileSync(path.join(app, "dist/favicon.ico"), ""); // Chromium asks for it: no 404 in the errors
  const server = await startServer({ root: path.join(app, "dist") });
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM || "/usr/bin/chromium", args: ["--headless", "--no-sandbox", "--disable-gpu"] });
  env = { server, browser, origin: server.origin };
});
after(async () => {
  await env?.browser.close();
  await env?.server.close();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

test("the app type-checks under --strict against the package's types; misuse is rejected", () => {
  const ok = spawnSync(TSC, ["-p", app, "--pretty", "false"], { encoding: "utf8" });
  assert.equal(ok.status, 0, ok.stdout + ok.stderr);
  writeFileSync(
    path.join(app, "src/wrong.tsx"),
    [
      'import attune from "attune-web";',
      'attune.track({ type: "viewed", item: "85123A" });',
      'export const a = <attune-recs placement="simlar" />;',
      'attune.pause("yes");',
      "",
    ].join("\n"),
  );
  try {
    const bad = spawnSync(TSC, ["-p", app, "--pretty", "false"], { encoding: "utf8" });
    assert.notEqual(bad.status, 0, "tsc accepted wrong.tsx");
    const lines = [...new Set([...bad.stdout.matchAll(/wrong\.tsx\((\d+),\d+\): error/g)].map((m) => Number(m[1])))];
    assert.deepEqual(lines.sort(), [2, 3, 4], bad.stdout);
  } finally {
    rmSync(path.join(app, "src/wrong.tsx"));
  }
});

test("the bundle carries the loader; pkg/ beside it holds the package's files unchanged", () => {
  const sha = (f) => createHash("sha256").update(readFileSync(f)).digest("hex");
  for (const f of ["attune_web_bg.wasm", "prompts/attune_prompts_bg.wasm"]) {
    assert.equal(sha(path.join(app, "dist/pkg", f)), sha(path.join(ROOT, "www/pkg", f)), f);
  }
  const bundle = readFileSync(path.join(app, "dist/app.js"), "utf8");
  assert.match(bundle, /attune-recs/, "the loader (it defines <attune-recs>) is not in the bundle");
  assert.match(bundle, /\.\/pkg\/attune_web_bg\.wasm/, "the loader's own .wasm URL is not in the bundle");
  // sideEffects: a bare `import "attune-web"` (start Attune, use window.attune) is kept.
  writeFileSync(path.join(app, "bare.js"), 'import "attune-web";\n');
  run(path.join(app, "node_modules/.bin/esbuild"), ["bare.js", "--bundle", "--format=esm", "--outfile=bare.out.js", "--log-level=error"], app);
  assert.match(readFileSync(path.join(app, "bare.out.js"), "utf8"), /attune-recs/, "a bare import of the package was tree-shaken away");
});

test("the React SPA guide's code is the example's code", () => {
  const guide = snippet("docs/guides/react.md", "product-route");
  const source = readFileSync(path.join(ROOT, "examples/preact/src/app.tsx"), "utf8");
  assert.ok(source.includes(guide), "docs/guides/react.md's product-route snippet is not in examples/preact/src/app.tsx");
});

/** Waits until a placement shows exactly `want` (ids in order); returns what it showed. */
async function until(page, selector, want, timeout = 10_000) {
  let got = [];
  for (const end = Date.now() + timeout; Date.now() < end; ) {
    got = await shownIds(page, selector);
    if (JSON.stringify(got) === JSON.stringify(want)) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  return got;
}
const recommend = (page, options) => page.evaluate((o) => window.attune.recommend(o), options);
const route = (page, name, item) =>
  page.waitForFunction(([n, i]) => {
    const m = document.querySelector("main");
    return m && m.dataset.route === n && (i === undefined || m.dataset.item === i);
  }, [name, item]);

test("placements follow client-side route changes: home → product → product → back → basket", async () => {
  const t = await openPage(env);
  try {
    await t.page.goto(`${env.origin}/index.html#/`);
    assert.equal(await attuneReady(t.page), true, t.warnings.join("; "));
    await route(t.page, "home");
    const home = await until(t.page, 'attune-recs[placement="for-you"]', await recommend(t.page, { placement: "for-you", k: 4 }));
    assert.ok(home.length >= 1, "the home page's for-you placement is empty");

    // A card's link (data-item-url="#/product/{id}") is a client-side route change.
    const P = home[0];
    await t.page.locator('attune-recs[placement="for-you"] [part~="link"]').first().click();
    await route(t.page, "product", P);
    const similarP = await recommend(t.page, { placement: "similar", item: P, k: 4 });
    assert.ok(similarP.length >= 1 && !similarP.includes(P), `no neighbours for ${P}`);
    assert.deepEqual(await until(t.page, 'attune-recs[placement="similar"]', similarP), similarP);
    for (const id of similarP) assert.ok(realCatalog().has(id), `${id} is not a real item`);

    const Q = similarP[0];
    await t.page.locator('attune-recs[placement="similar"] [part~="link"]').first().click();
    await route(t.page, "product", Q);
    const similarQ = await recommend(t.page, { placement: "similar", item: Q, k: 4 });
    assert.notDeepEqual(similarQ, similarP, "two products with the same neighbours: the test proves nothing");
    assert.deepEqual(await until(t.page, 'attune-recs[placement="similar"]', similarQ), similarQ);
    // The route's view was tracked: the previous product is "recently viewed".
    const recent = await until(t.page, 'attune-recs[placement="recent"]', [P]);
    assert.ok(recent.includes(P) && !recent.includes(Q), `recent: ${recent}`);

    await t.page.goBack();
    await route(t.page, "product", P);
    assert.deepEqual(await until(t.page, 'attune-recs[placement="similar"]', similarP), similarP);

    await t.page.click("main button");
    await route(t.page, "cart");
    const forCart = await recommend(t.page, { placement: "cart", items: [P], k: 4 });
    assert.ok(forCart.length >= 1 && !forCart.includes(P));
    assert.deepEqual(await until(t.page, 'attune-recs[placement="cart"]', forCart), forCart);
    assert.deepEqual((await t.page.evaluate(() => window.attune.context())).cart, [P]);

    // One page load for the whole visit; Attune's files from pkg/ beside the bundle.
    const hits = (u) => env.server.log.filter((r) => r.url === u).length;
    assert.equal(hits("/index.html"), 1);
    assert.equal(hits("/app.js"), 1);
    assert.equal(hits("/model.bin"), 1);
    assert.equal(hits("/pkg/attune_web_bg.wasm"), 1);
    assert.deepEqual(t.requests.filter((r) => !r.url.startsWith(env.origin)), []);
    assert.deepEqual(t.errors, []);
  } finally {
    await t.close();
  }
});

test("bundled, the .wasm is still checked against data-wasm-integrity", async () => {
  const wasm = readFileSync(path.join(app, "dist/pkg/attune_web_bg.wasm"));
  const good = "sha384-" + createHash("sha384").update(wasm).digest("base64");
  const bad = "sha384-" + createHash("sha384").update("not the wasm").digest("base64");
  const html = readFileSync(path.join(app, "dist/index.html"), "utf8");
  for (const [name, sri] of [["good", good], ["bad", bad]]) {
    writeFileSync(path.join(app, `dist/${name}.html`), html.replace('data-model="./model.bin"', `data-model="./model.bin" data-wasm-integrity="${sri}"`));
  }
  const t = await openPage(env);
  try {
    await t.page.goto(`${env.origin}/good.html#/product/85123A`);
    assert.equal(await attuneReady(t.page), true, t.warnings.join("; "));
    await t.page.goto(`${env.origin}/bad.html#/product/85123A`);
    assert.equal(await attuneReady(t.page), false, "a .wasm that does not match its SRI value was used");
    assert.ok(t.warnings.some((w) => w.startsWith("attune: recommendations are off")), t.warnings.join("; "));
  } finally {
    await t.close();
  }
});

test("Vite builds the same app: it emits the loader's .wasm files as assets, and the placements render", async () => {
  run("npm", ["install", "--no-audit", "--no-fund", "--prefer-offline", "--loglevel=error", "--no-save", `vite@${dev.vite}`], app);
  // Vite's entry is the source module; its index.html is the example's with that one change.
  const html = readFileSync(path.join(app, "index.html"), "utf8");
  writeFileSync(path.join(app, "index.html"), html.replace('src="./app.js"', 'src="./src/app.tsx"'));
  run(path.join(app, "node_modules/.bin/vite"), ["build", "--outDir", "dist-vite", "--logLevel", "warn"], app);
  const out = path.join(app, "dist-vite");
  assert.ok(!existsSync(path.join(out, "pkg")), "nothing copied pkg/ here");
  cpSync(path.join(ROOT, "www/demo/model.bin"), path.join(out, "model.bin"));
  writeFileSync(path.join(out, "favicon.ico"), "");
  const server = await startServer({ root: out });
  const t = await openPage({ browser: env.browser });
  try {
    await t.page.goto(`${server.origin}/index.html#/product/85123A`);
    assert.equal(await attuneReady(t.page), true, t.warnings.join("; "));
    await route(t.page, "product", "85123A");
    const want = await recommend(t.page, { placement: "similar", item: "85123A", k: 4 });
    assert.ok(want.length >= 1);
    assert.deepEqual(await until(t.page, 'attune-recs[placement="similar"]', want), want);
    const wasm = server.log.filter((r) => r.url.endsWith(".wasm"));
    assert.equal(wasm.length, 1, JSON.stringify(server.log));
    assert.match(wasm[0].url, /^\/assets\/attune_web_bg-[\w-]+\.wasm$/);
    assert.equal(wasm[0].status, 200);
    assert.deepEqual(t.errors, []);
  } finally {
    await t.close();
    await server.close();
  }
});
