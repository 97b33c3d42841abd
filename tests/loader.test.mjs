// The script-tag loader (www/attune.js) in real headless Chromium, on minimal pages under
// the strict CSP a shop may use: configuration attributes, the track() queue before the
// engine is ready, re-rendering after track, persistence across reloads, the recommend()
// API, the only fetches it makes, and every failure mode ending in exactly one warning,
// empty placements and an untouched host page.
//
// Run: node --test tests/loader.test.mjs
// Needs target/release/attune and the wasm-pack `--target web` output in pkg/ or www/pkg/
// (scripts/build); ATTUNE_PKG overrides the pkg directory. Missing prerequisites fail.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const CLI = join(ROOT, 'target', 'release', 'attune');
const PKG = [process.env.ATTUNE_PKG, join(ROOT, 'pkg'), join(ROOT, 'www', 'pkg')]
  .filter(Boolean)
  .find((d) => existsSync(join(d, 'attune_web.js')) && existsSync(join(d, 'attune_web_bg.wasm')));
const FIXTURE = join(ROOT, 'tests', 'fixtures', 'online-retail-sample.csv.gz');
const CSP =
  "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; require-trusted-types-for 'script'";

function cli(args, input) {
  const r = spawnSync(CLI, args, { input, encoding: 'utf8' });
  assert.equal(r.status, 0, `attune ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

function page(scriptAttrs, body = '') {
  return `<!doctype html><html><head><meta charset="utf-8"><title>loader test</title>
<script type="module" src="/attune.js" ${scriptAttrs}></script>
<script type="module" src="/page.js"></script></head>
<body><p id="host">host content</p>${body}</body></html>`;
}

let server;
let browser;
let origin;
let item; // the fixture's most popular item
let tmp;

before(async () => {
  const missing = [];
  if (!existsSync(CLI)) missing.push(`${CLI} (run: cargo build --release -p attune-cli)`);
  if (!PKG) missing.push('pkg/attune_web.js + attune_web_bg.wasm (run: scripts/build)');
  if (missing.length) throw new Error('loader test prerequisites missing:\n  ' + missing.join('\n  '));

  tmp = mkdtempSync(join(tmpdir(), 'attune-loader-'));
  cli(['build', '--interactions', FIXTURE, '--out', join(tmp, 'model.bin'), '--currency', 'GBP']);
  item = cli(['recommend', '--model', join(tmp, 'model.bin'), '-k', '1'], '\n').trim();

  const places = `<attune-recs id="sim" placement="similar" item="${item}"></attune-recs>
<attune-recs id="fy" placement="for-you" item="${item}"></attune-recs>
<attune-recs id="rec" placement="recent"></attune-recs>`;
  const files = {
    '/attune.js': ['text/javascript', readFileSync(join(ROOT, 'www', 'attune.js'))],
    '/pkg/attune_web.js': ['text/javascript', readFileSync(join(PKG, 'attune_web.js'))],
    '/pkg/attune_web_bg.wasm': ['application/wasm', readFileSync(join(PKG, 'attune_web_bg.wasm'))],
    '/model.bin': ['application/octet-stream', readFileSync(join(tmp, 'model.bin'))],
    '/garbage.bin': ['application/octet-stream', Buffer.from('this is not a model, just bytes')],
    // Runs after the loader module (module scripts execute in order), before the engine is ready.
    '/page.js': ['text/javascript', `window.attune.track({type: "view", item: ${JSON.stringify(item)}});`],
    '/ok.html': ['text/html', page('data-model="/model.bin" data-item-url="/p.html?id={id}" data-k="3"', places)],
    '/missing.html': ['text/html', page('data-model="/no-such-model.bin"', places)],
    '/garbage.html': ['text/html', page('data-model="/garbage.bin"', places)],
    '/unconfigured.html': ['text/html', page('', places)],
    // A model over the page's byte cap (the real one is far above 1,024 bytes).
    '/capped.html': ['text/html', page('data-model="/model.bin" data-max-model-bytes="1024"', places)],
  };
  server = createServer((req, res) => {
    const f = files[new URL(req.url, 'http://x').pathname];
    if (!f) { res.writeHead(404, { 'content-type': 'text/plain' }); res.end('not found'); return; }
    res.writeHead(200, { 'content-type': f[0], 'content-security-policy': CSP, 'cache-control': 'no-store' });
    res.end(f[1]);
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  origin = `http://127.0.0.1:${server.address().port}`;
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
});

after(async () => {
  await browser?.close();
  await new Promise((r) => (server ? server.close(r) : r()));
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

/** A fresh context (empty storage) with collectors; `init` runs before page scripts. */
async function open(path, init) {
  const context = await browser.newContext();
  if (init) await context.addInitScript(init);
  await context.addInitScript(() => {
    window.__csp = [];
    document.addEventListener('securitypolicyviolation', (e) => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));
  });
  const p = await context.newPage();
  const log = { warnings: [], errors: [], requests: [] };
  p.on('console', (m) => {
    if (m.type() === 'warning') log.warnings.push(m.text());
    // The browser's own line for a 404 is expected in the missing-model case.
    if (m.type() === 'error' && !/Failed to load resource/.test(m.text())) log.errors.push(m.text());
  });
  p.on('pageerror', (e) => log.errors.push('pageerror: ' + e.message));
  p.on('request', (r) => log.requests.push(r.url()));
  await p.goto(origin + path);
  const ready = await p.evaluate(() => window.attune.ready);
  return { p, log, ready, context };
}

/** What a placement shows: ids from the links, titles, reasons, heading. */
function shown(p, id) {
  return p.evaluate((id) => {
    const r = document.getElementById(id).shadowRoot;
    if (!r) return null;
    const all = (part) => [...r.querySelectorAll(`[part=${part}]`)];
    return {
      children: r.childElementCount,
      heading: all('heading').map((e) => e.textContent),
      ids: all('link').map((a) => new URL(a.href).searchParams.get('id')),
      titles: all('title').map((e) => e.textContent),
      reasons: all('reason').map((e) => e.textContent),
    };
  }, id);
}

test('renders every placement from one model fetch, under a strict CSP, with queued track', async () => {
  const { p, log, ready, context } = await open('/ok.html');
  try {
    assert.equal(ready, true);
    await p.waitForFunction(() => document.getElementById('rec').shadowRoot?.childElementCount > 0);

    const sim = await shown(p, 'sim');
    const expected = cli(['recommend', '--model', join(tmp, 'model.bin'), '-k', '3'], item + '\n').trim().split(' ');
    assert.deepEqual(sim.heading, ['Similar items']);
    assert.deepEqual(sim.ids, expected, 'similar = the neighbours the CLI ranks for this item (data-k=3)');
    assert.ok(sim.titles.every((t) => t.length > 0));
    assert.deepEqual(await p.evaluate((item) => window.attune.recommend({ placement: 'similar', item }), item), expected);

    // The view tracked before the engine was ready was kept.
    const rec = await shown(p, 'rec');
    assert.deepEqual(rec.ids, [item]);
    const fy = await shown(p, 'fy');
    assert.equal(fy.ids.length, 3);
    assert.ok(!fy.ids.includes(item), 'for-you never shows the page item');
    assert.ok(fy.reasons.every((r) => r.startsWith('Because you viewed ') || r === 'Popular now'), fy.reasons.join('|'));

    // recommend({history}) is the CLI contract.
    const five = cli(['recommend', '--model', join(tmp, 'model.bin'), '-k', '5'], item + '\n').trim().split(' ');
    assert.deepEqual(await p.evaluate((item) => window.attune.recommend({ history: [item], k: 5 }), item), five);

    // A cart event re-renders for-you without the carted item.
    const carted = fy.ids[0];
    await p.evaluate((id) => window.attune.track({ type: 'cart', item: id }), carted);
    await p.waitForFunction((id) => {
      const r = document.getElementById('fy').shadowRoot;
      return ![...r.querySelectorAll('[part=link]')].some((a) => a.href.endsWith('id=' + encodeURIComponent(id)));
    }, carted);

    // Persisted: a reload still knows the view and the cart.
    await p.reload();
    assert.equal(await p.evaluate(() => window.attune.ready), true);
    assert.deepEqual(await p.evaluate(() => window.attune.recommend({ placement: 'recent' })), [item]);
    const stored = JSON.parse(await p.evaluate(() => localStorage.getItem('attune')));
    assert.equal(stored.v, 2);
    assert.deepEqual(stored.events.map((e) => [e.type, e.item]).slice(0, 2), [['view', item], ['cart', carted]]);

    // Only its own files were fetched, the model once per page load.
    const paths = log.requests.map((u) => new URL(u)).map((u) => {
      assert.equal(u.origin, origin, 'no request leaves the origin');
      return u.pathname;
    });
    assert.equal(paths.filter((x) => x === '/model.bin').length, 2, 'one model fetch per page load');
    assert.deepEqual([...new Set(paths)].sort(),
      ['/attune.js', '/model.bin', '/ok.html', '/page.js', '/pkg/attune_web.js', '/pkg/attune_web_bg.wasm']);
    assert.deepEqual(log.errors, []);
    assert.deepEqual(log.warnings, []);
    assert.deepEqual(await p.evaluate(() => window.__csp), []);
  } finally {
    await context.close();
  }
});

for (const [path, why] of [
  ['/missing.html', /HTTP 404/],
  ['/garbage.html', /not an Attune model/],
  ['/unconfigured.html', /data-model/],
  ['/capped.html', /over 1024 bytes \(data-max-model-bytes\)/],
]) {
  test(`${path}: one warning, empty placements, host page untouched`, async () => {
    const { p, log, ready, context } = await open(path);
    try {
      assert.equal(ready, false);
      assert.equal(log.warnings.length, 1, log.warnings.join('\n'));
      assert.match(log.warnings[0], /^attune: /);
      assert.match(log.warnings[0], why);
      assert.deepEqual(log.errors, []);
      assert.equal(await p.evaluate(() => document.getElementById('host').textContent), 'host content');
      for (const id of ['sim', 'fy', 'rec']) {
        const s = await shown(p, id);
        assert.ok(s === null || s.children === 0, `${id} rendered something`);
      }
      // The API stays callable and quiet.
      assert.deepEqual(await p.evaluate(() => { window.attune.track({ type: 'view', item: 'X' }); return window.attune.recommend({ placement: 'for-you' }); }), []);
      assert.equal(log.warnings.length, 1);
      assert.deepEqual(log.errors, []);
    } finally {
      await context.close();
    }
  });
}

test('localStorage that throws: one warning, placements still work in memory', async () => {
  const { p, log, ready, context } = await open('/ok.html', () => {
    const deny = () => { throw new DOMException('denied', 'SecurityError'); };
    Storage.prototype.getItem = deny;
    Storage.prototype.setItem = deny;
  });
  try {
    assert.equal(ready, true);
    await p.waitForFunction(() => document.getElementById('rec').shadowRoot?.childElementCount > 0);
    assert.deepEqual((await shown(p, 'rec')).ids, [item]);
    assert.equal(log.warnings.length, 1, log.warnings.join('\n'));
    assert.match(log.warnings[0], /^attune: .*memory/);
    assert.deepEqual(log.errors, []);
  } finally {
    await context.close();
  }
});

test('a corrupt stored profile: one warning, then a fresh valid profile', async () => {
  const { p, log, ready, context } = await open('/ok.html', () => {
    if (!sessionStorage.getItem('seeded')) {
      sessionStorage.setItem('seeded', '1');
      localStorage.setItem('attune', '{"v":2,"events":[{"type":"view"');
    }
  });
  try {
    assert.equal(ready, true);
    await p.waitForFunction(() => document.getElementById('rec').shadowRoot?.childElementCount > 0);
    assert.deepEqual((await shown(p, 'rec')).ids, [item]);
    assert.equal(log.warnings.length, 1, log.warnings.join('\n'));
    const stored = JSON.parse(await p.evaluate(() => localStorage.getItem('attune')));
    assert.deepEqual(stored.events.map((e) => e.item), [item]);
    assert.deepEqual(log.errors, []);
  } finally {
    await context.close();
  }
});
