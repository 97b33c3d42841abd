//! A tampered bundle file is refused (docs/privacy.md, section 5). The page pins its scripts
//! (the loader and the glue) with an import map's `integrity` entries, and the loader's tag
//! carries `data-wasm-integrity` and `data-model-integrity` (SRI values, as `attune audit`
//! prints them). With the true files the widget starts; with a hash that does not match
//! the .wasm, the model or the glue it turns itself off: `ready` is false, one `attune:`
//! warning, empty placements, and the host page keeps working. `data-integrity="required"`
//! refuses a tag without both hashes. The snippet `attune audit` prints for the served
//! bundle works as printed, under the strict CSP plus the hash the audit gives for its
//! import map. A control shows why the audit recommends an import
//! map rather than `<link rel=modulepreload integrity>`: in Chromium an import() after a
//! failed modulepreload fetches the file again, unchecked.
//! Needs a built www/ and target/release/attune (scripts/build). Run: node --test tests/e2e/

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { attune, launch, pageServer, ready, ROOT, STRICT_CSP, watchedPage } from "./privacy-kit.mjs";
import { WWW } from "./server.mjs";

const sri = (bytes) => "sha384-" + createHash("sha384").update(bytes).digest("base64");
const flip = (bytes) => {
  const b = Buffer.from(bytes);
  b[Math.floor(b.length / 2)] ^= 0x01;
  return b;
};

let server;
let browser;
let tmp;
let item;
let modelFile;

before(async () => {
  tmp = mkdtempSync(path.join(tmpdir(), "attune-sri-"));
  modelFile = path.join(tmp, "model.bin");
  attune(["build", "--interactions", path.join(ROOT, "tests/fixtures/online-retail-sample.csv.gz"), "--out", modelFile]);
  item = attune(["recommend", "--model", modelFile, "-k", "1"], "\n").trim();
  const model = readFileSync(modelFile);
  const wasm = readFileSync(path.join(WWW, "pkg/attune_web_bg.wasm"));
  const glue = readFileSync(path.join(WWW, "pkg/attune_web.js"));
  const page = ({ glueSri = sri(glue), wasmSri = sri(wasm), modelSri = sri(model), extra = "" } = {}) =>
    `<!doctype html><html><head><meta charset="utf-8"><title>sri</title>
<script type="importmap">${JSON.stringify({ integrity: { "/pkg/attune_web.js": glueSri } })}</script>
<script type="module" src="/attune.js" data-model="/model.bin" ${extra}
        ${modelSri == null ? "" : `data-model-integrity="${modelSri}"`} ${wasmSri == null ? "" : `data-wasm-integrity="${wasmSri}"`}></script></head>
<body><p id="host">host content</p>
<attune-recs placement="similar" item="${item}"></attune-recs>
<button id="works">still works</button></body></html>`;
  const bad = "sha384-" + createHash("sha384").update("something else").digest("base64");
  server = await pageServer({
    "/model.bin": ["application/octet-stream", model],
    "/favicon.ico": ["image/x-icon", ""],
    "/good.html": ["text/html", page()],
    "/bad-glue.html": ["text/html", page({ glueSri: bad })],
    "/bad-wasm.html": ["text/html", page({ wasmSri: sri(flip(wasm)) })],
    "/bad-model.html": ["text/html", page({ modelSri: sri(flip(model)) })],
    "/required.html": ["text/html", page({ extra: 'data-integrity="required"' })],
    "/required-no-wasm.html": ["text/html", page({ wasmSri: null, extra: 'data-integrity="required"' })],
    "/required-no-model.html": ["text/html", page({ modelSri: null, extra: 'data-integrity="required"' })],
    // A value the browser cannot use (unknown algorithm, malformed digest): SRI then checks
    // nothing, so under "required" it must be a refusal, not a silent pass.
    "/required-unusable.html": ["text/html", page({ wasmSri: "sha384-nonsense!!", modelSri: "md5-" + createHash("md5").update(model).digest("base64"), extra: 'data-integrity="required"' })],
    // The control: a failed modulepreload, then the loader's import() 300 ms later.
    "/preload.html": [
      "text/html",
      `<!doctype html><link rel="modulepreload" href="/pkg/attune_web.js" integrity="${bad}">
<script type="module" src="/late.js"></script>`,
    ],
    "/late.js": ["text/javascript", "setTimeout(() => import('./pkg/attune_web.js').then(() => { document.title = 'imported'; }, () => { document.title = 'refused'; }), 300);"],
  });
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await server?.close();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

async function visit(file) {
  const t = await watchedPage(browser);
  const warnings = [];
  t.page.on("console", (m) => { if (m.type() === "warning") warnings.push(m.text()); });
  try {
    await t.page.goto(`${server.origin}/${file}`);
    const ok = await ready(t.page);
    await t.page.waitForTimeout(200);
    const cards = await t.page.evaluate(() => document.querySelector("attune-recs")?.shadowRoot?.querySelectorAll("a[href]").length || 0);
    await t.page.click("#works");
    const host = await t.page.textContent("#host");
    return { ok, cards, host, warnings: warnings.filter((w) => w.startsWith("attune")), errors: t.errors };
  } finally {
    await t.close();
  }
}

test("with the true hashes the widget starts", async () => {
  const r = await visit("good.html");
  assert.equal(r.ok, true, JSON.stringify(r));
  assert.ok(r.cards > 0, "no recommendation rendered");
  assert.deepEqual(r.warnings, []);
});

test("a glue file that does not match its import-map integrity is refused", async () => {
  const r = await visit("bad-glue.html");
  assert.equal(r.ok, false);
  assert.equal(r.cards, 0);
  assert.equal(r.host, "host content");
  assert.equal(r.warnings.length, 1, JSON.stringify(r.warnings));
});

for (const [what, file] of [[".wasm", "bad-wasm.html"], ["model", "bad-model.html"]]) {
  test(`a ${what} that does not match data-${what === "model" ? "model" : "wasm"}-integrity is refused`, async () => {
    const r = await visit(file);
    assert.equal(r.ok, false, `the widget started with a tampered ${what}`);
    assert.equal(r.cards, 0);
    assert.equal(r.host, "host content");
    assert.equal(r.warnings.length, 1, JSON.stringify(r.warnings));
    assert.match(r.warnings[0], /^attune: /);
  });
}

test('data-integrity="required" with both true hashes starts', async () => {
  const r = await visit("required.html");
  assert.equal(r.ok, true, JSON.stringify(r));
  assert.ok(r.cards > 0);
  assert.deepEqual(r.warnings, []);
});

for (const [missing, file] of [["data-wasm-integrity", "required-no-wasm.html"], ["data-model-integrity", "required-no-model.html"]]) {
  test(`data-integrity="required" without ${missing} is refused`, async () => {
    const r = await visit(file);
    assert.equal(r.ok, false, "the widget started without the required hash");
    assert.equal(r.cards, 0);
    assert.equal(r.host, "host content");
    assert.equal(r.warnings.length, 1, JSON.stringify(r.warnings));
    assert.match(r.warnings[0], /^attune: .*data-integrity="required"/);
  });
}

// The browser ignores SRI metadata it cannot parse (unknown algorithm, bad base64) and then
// checks nothing, so under "required" the loader itself refuses values it cannot have checked.
test('data-integrity="required" with values the browser cannot check is refused', async () => {
  const r = await visit("required-unusable.html");
  assert.equal(r.ok, false, "started although nothing was checked");
  assert.equal(r.cards, 0);
  assert.equal(r.warnings.length, 1, JSON.stringify(r.warnings));
});

test("the pinning snippet attune audit prints for the served bundle works as printed, under the strict CSP", async () => {
  const out = path.join(tmp, "audit");
  attune(["audit", path.join(WWW, "pkg"), "--loader", path.join(WWW, "attune.js"), "--model", modelFile, "--url-prefix", "/", "--out", out]);
  const { page: pin } = JSON.parse(readFileSync(path.join(out, "audit.json"), "utf8"));
  assert.match(pin.html, /data-wasm-integrity="sha384-/);
  assert.match(pin.html, /data-model-integrity="sha384-/);
  const csp = STRICT_CSP.replace("script-src 'self' 'wasm-unsafe-eval'", `script-src 'self' 'wasm-unsafe-eval' ${pin.csp_script_source}`);
  assert.notEqual(csp, STRICT_CSP);
  const pinned = await pageServer({
    "/model.bin": ["application/octet-stream", readFileSync(modelFile)],
    "/favicon.ico": ["image/x-icon", ""],
    "/pinned.html": ["text/html", `<!doctype html><html><head><meta charset="utf-8"><title>pinned</title>
${pin.html}</head><body><p id="host">host content</p>
<attune-recs placement="similar" item="${item}"></attune-recs></body></html>`],
  }, { "content-security-policy": csp });
  const t = await watchedPage(browser);
  const warnings = [];
  t.page.on("console", (m) => { if (m.type() === "warning") warnings.push(m.text()); });
  try {
    await t.page.goto(`${pinned.origin}/pinned.html`);
    assert.equal(await ready(t.page), true, `the audited hashes refused the served files: ${warnings.join(" | ")} ${t.errors.join(" | ")}`);
    await t.page.waitForFunction(() => (document.querySelector("attune-recs")?.shadowRoot?.querySelectorAll("a[href]").length || 0) > 0, null, { timeout: 10_000 });
    assert.deepEqual(warnings.filter((w) => w.startsWith("attune")), []);
    assert.deepEqual(t.csp, [], "the import map or a file broke the policy");
    assert.deepEqual(t.errors, []);
  } finally {
    await t.close();
    await pinned.close();
  }
});

test("control: a failed modulepreload does not protect a later import() (so the audit does not rely on it)", async () => {
  const t = await watchedPage(browser);
  try {
    const before = server.log.length;
    await t.page.goto(`${server.origin}/preload.html`);
    await t.page.waitForFunction(() => document.title !== "", null, { timeout: 5_000 });
    const fetched = server.log.slice(before).filter((e) => e.url === "/pkg/attune_web.js").length;
    // Chromium 156: the import fetches the file a second time and uses it unchecked. If a
    // browser ever refuses it, modulepreload becomes an option again; this test says so.
    assert.equal(await t.page.title(), "imported");
    assert.equal(fetched, 2);
  } finally {
    await t.close();
  }
});
