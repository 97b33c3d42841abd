// How a placement renders, in real headless Chromium under a strict CSP with Trusted
// Types: cards built from DOM nodes (a hostile title stays text), only http(s) links and
// images (relative ones resolved against the page; javascript:, data: dropped), the link
// template and its fallbacks, prices in the model's or the page's currency, the heading
// attribute, the tile's initials and colour, and an unknown placement being one warning
// and an empty root.
//
// Run: node --test tests/render.test.mjs (needs scripts/build: the CLI and www/pkg).

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { html, launch, open, requirePrerequisites, serve, settle, shown, writeModel } from './harness.mjs';

const HOSTILE = '<img src=x onerror="window.__pwned=1">Lamp';
let env;
let browser;

before(async () => {
  requirePrerequisites();
  // A (the page item) has five neighbours, each with a different catalog trap.
  const bytes = writeModel({
    items: [
      { id: 'A', title: 'White hanging heart', price: 255 },
      { id: 'EVIL', title: HOSTILE, price: 999, url: 'javascript:window.__pwned=2', image: 'data:image/svg+xml,<svg onload=alert(1)>' },
      { id: 'IMG', title: '', price: 100, url: 'https://shop.example/p/IMG', image: '/img/p.png' },
      { id: 'REL', title: 'crème brûlée set', price: 300, url: '/relative/REL' },
      { id: 'JS', title: 'a-b c', price: 400, url: 'JaVaScRiPt:alert(1)', image: 'java\tscript:alert(1)' },
      { id: 'PLAIN', title: 'Plain thing', price: 500 },
    ],
    neighbours: { A: [['EVIL', 0.9], ['IMG', 0.8], ['REL', 0.7], ['JS', 0.6], ['PLAIN', 0.5]] },
    popular: [['A', 1]],
    meta: { currency: 'GBP' },
  });
  const body = '<attune-recs id="sim" placement="similar" item="A" k="8"></attune-recs>';
  env = await serve({
    '/model.bin': ['application/octet-stream', bytes],
    '/model.html': ['text/html', html({ body })],
    '/template.html': ['text/html', html({ attrs: 'data-model="/model.bin" data-item-url="https://shop.example/item/{id}?ref={id}"', body })],
    '/unsafe-template.html': ['text/html', html({ attrs: 'data-model="/model.bin" data-item-url="javascript:alert({id})"', body })],
    '/eur.html': ['text/html', html({ attrs: 'data-model="/model.bin" data-currency="EUR"', body: body.replace('id="sim"', 'id="sim" heading="You may also like"') })],
    '/bad-currency.html': ['text/html', html({ attrs: 'data-model="/model.bin" data-currency="NOPE!"', body })],
    '/unknown.html': ['text/html', html({ body: '<attune-recs id="x" placement="everything"></attune-recs><attune-recs id="y" placement="nope"></attune-recs>' + body })],
  });
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await env?.close();
});

const cards = (p) => p.evaluate(() => [...document.getElementById('sim').shadowRoot.querySelectorAll('[part=item]')].map((li) => ({
  href: li.querySelector('[part=link]').getAttribute('href'),
  title: li.querySelector('[part=title]').textContent,
  tile: li.querySelector('[part=tile]').firstChild.textContent,
  hue: li.querySelector('[part=tile]').style.getPropertyValue('--attune-hue'),
  img: li.querySelector('[part=image]')?.getAttribute('src') ?? null,
  price: li.querySelector('[part=price]')?.textContent ?? null,
})));
const byTitle = (list, t) => list.find((c) => c.title === t);

test('hostile catalog data stays text; only http(s) links and images survive', async () => {
  const t = await open(browser, env.origin + '/model.html');
  try {
    await settle(t.p, '#sim', 5);
    const c = await cards(t.p);
    assert.equal(c.length, 5);
    const evil = byTitle(c, HOSTILE);
    assert.ok(evil, 'the hostile title is shown as text');
    assert.equal(evil.href, `${env.origin}/model.html?item=EVIL`, 'javascript: URL replaced by the default link');
    assert.equal(evil.img, null, 'data: image dropped');
    assert.equal(await t.p.evaluate(() => document.getElementById('sim').shadowRoot.querySelectorAll('img').length), 1);
    const img = byTitle(c, 'IMG');
    assert.equal(img.href, 'https://shop.example/p/IMG', 'the model URL; no title: the id');
    assert.equal(img.img, `${env.origin}/img/p.png`, 'relative image resolved against the page');
    assert.equal(byTitle(c, 'crème brûlée set').href, `${env.origin}/relative/REL`);
    const js = byTitle(c, 'a-b c');
    assert.equal(js.href, `${env.origin}/model.html?item=JS`, 'mixed-case javascript: dropped');
    assert.equal(js.img, null);
    // Tiles: initials of the first two words (ASCII rules, non-ASCII letters count), a
    // stable hue per id.
    assert.deepEqual(c.map((x) => x.tile).sort(), ['AB', 'CB', 'I', 'IS', 'PT']);
    assert.ok(c.every((x) => /^\d+$/.test(x.hue) && +x.hue < 360));
    assert.equal(await t.p.evaluate(() => window.__pwned), undefined, 'nothing ran');
    assert.deepEqual(t.log.csp, [], 'no CSP or Trusted Types violation');
    assert.deepEqual(t.log.errors, []);
    assert.equal(byTitle(c, 'Plain thing').price, '£5.00');
  } finally {
    await t.close();
  }
});

test('the link template fills {id} (URL-encoded) and an unsafe template falls back', async () => {
  const t = await open(browser, env.origin + '/template.html');
  try {
    await settle(t.p, '#sim', 5);
    assert.equal(byTitle(await cards(t.p), 'Plain thing').href, 'https://shop.example/item/PLAIN?ref=PLAIN');
  } finally {
    await t.close();
  }
  const u = await open(browser, env.origin + '/unsafe-template.html');
  try {
    await settle(u.p, '#sim', 5);
    assert.ok((await cards(u.p)).every((c) => c.href.startsWith(env.origin + '/unsafe-template.html?item=')));
  } finally {
    await u.close();
  }
});

test('prices follow data-currency; an unknown code warns once and shows plain amounts', async () => {
  const t = await open(browser, env.origin + '/eur.html');
  try {
    await settle(t.p, '#sim', 5);
    assert.equal(byTitle(await cards(t.p), 'Plain thing').price, '€5.00');
    assert.deepEqual((await shown(t.p, '#sim')).heading, ['You may also like']);
  } finally {
    await t.close();
  }
  const b = await open(browser, env.origin + '/bad-currency.html');
  try {
    await settle(b.p, '#sim', 5);
    assert.equal(byTitle(await cards(b.p), 'Plain thing').price, '5.00');
    assert.equal(b.log.warnings.length, 1);
    assert.match(b.log.warnings[0], /^attune: unknown currency code/);
  } finally {
    await b.close();
  }
});

test('an unknown placement is one warning and renders nothing; the others still render', async () => {
  const t = await open(browser, env.origin + '/unknown.html');
  try {
    await settle(t.p, '#sim', 5);
    for (const id of ['#x', '#y']) assert.equal((await shown(t.p, id)).children, 0);
    assert.equal(t.log.warnings.length, 1, t.log.warnings.join('\n'));
    assert.match(t.log.warnings[0], /^attune: could not render a placement \(attune: unknown placement/);
    assert.deepEqual(t.log.errors, []);
  } finally {
    await t.close();
  }
});
