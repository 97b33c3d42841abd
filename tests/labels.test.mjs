// What placements say, in the page's language (src/labels.rs), in real headless Chromium:
// the label set follows <html lang> or the config's "lang"; the config's "labels" override
// any label, templates keep each language's word order; an Arabic page laid out right to
// left puts each card's "not interested" button at the card's inline end (its left).
//
// Run: node --test tests/labels.test.mjs (needs scripts/build: the CLI and www/pkg).

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { html, launch, open, requirePrerequisites, serve, settle, shown, writeModel } from './harness.mjs';

let env;
let browser;

const page = (lang, { dir = '', config } = {}) =>
  html({ config, body: '<attune-recs id="sim" placement="similar" item="A" k="4"></attune-recs>' })
    .replace('<html lang="en">', `<html lang="${lang}"${dir ? ` dir="${dir}"` : ''}>`);

before(async () => {
  requirePrerequisites();
  const bytes = writeModel({
    items: [
      { id: 'A', title: 'Lamp', price: 255 },
      { id: 'B', title: 'Shade', price: 300 },
      { id: 'C', title: 'Bulb', price: 100 },
    ],
    neighbours: { A: [['B', 0.9], ['C', 0.8]] },
    popular: [['A', 1]],
    meta: { currency: 'EUR' },
  });
  env = await serve({
    '/model.bin': ['application/octet-stream', bytes],
    '/de.html': ['text/html', page('de-AT')],
    '/ja.html': ['text/html', page('ja')],
    '/fr-config.html': ['text/html', page('en', { config: { lang: 'fr' } })],
    '/override.html': ['text/html', page('de', { config: { labels: { similar: 'Dazu passt', boughtWith: '{item} und dieser Artikel', notInterested: '' } } })],
    '/unknown.html': ['text/html', page('pt-BR')],
    '/rtl.html': ['text/html', page('ar', { dir: 'rtl' })],
  });
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await env?.close();
});

const labels = (p) => p.evaluate(() => {
  const r = document.getElementById('sim').shadowRoot;
  const x = r.querySelector('[part=dismiss]');
  return { privacy: r.querySelector('[part=privacy]').textContent, title: x.title, aria: x.getAttribute('aria-label') };
});

async function visit(path) {
  const t = await open(browser, env.origin + path);
  assert.equal(t.ready, true);
  await settle(t.p, '#sim', 2);
  return t;
}

test('<html lang> picks the label set: German for de-AT, Japanese with its own word order', async () => {
  let t = await visit('/de.html');
  let s = await shown(t.p, '#sim');
  assert.deepEqual(s.heading, ['Ähnliche Artikel']);
  assert.deepEqual(s.reasons, ['Oft zusammen gekauft mit Lamp', 'Oft zusammen gekauft mit Lamp']);
  assert.deepEqual(await labels(t.p), { privacy: 'Ihre Daten', title: 'Kein Interesse', aria: 'Kein Interesse an Shade' });
  await t.close();
  t = await visit('/ja.html');
  s = await shown(t.p, '#sim');
  assert.deepEqual(s.heading, ['似ている商品']);
  assert.equal(s.reasons[0], 'Lampと一緒によく購入されています');
  assert.equal((await labels(t.p)).aria, 'Shadeに興味なし');
  await t.close();
});

test('the config\'s "lang" wins over the page\'s; an unknown language falls back to English', async () => {
  let t = await visit('/fr-config.html');
  assert.deepEqual((await shown(t.p, '#sim')).heading, ['Articles similaires']);
  assert.equal((await labels(t.p)).privacy, 'Vos données');
  await t.close();
  t = await visit('/unknown.html');
  assert.deepEqual((await shown(t.p, '#sim')).heading, ['Similar items']);
  assert.deepEqual(t.log.warnings, []);
  await t.close();
});

test('the config\'s "labels" override single labels; an empty one keeps the set\'s', async () => {
  const t = await visit('/override.html');
  const s = await shown(t.p, '#sim');
  assert.deepEqual(s.heading, ['Dazu passt']);
  assert.equal(s.reasons[0], 'Lamp und dieser Artikel');
  assert.equal((await labels(t.p)).title, 'Kein Interesse');
  await t.close();
});

test('an Arabic page right to left: Arabic labels, the dismiss button at each card\'s inline end', async () => {
  const t = await visit('/rtl.html');
  const s = await shown(t.p, '#sim');
  assert.deepEqual(s.heading, ['منتجات مشابهة']);
  assert.equal(s.reasons[0], 'غالبًا ما يُشترى مع Lamp');
  const at = await t.p.evaluate(() => {
    const r = document.getElementById('sim').shadowRoot;
    const li = r.querySelector('[part=item]').getBoundingClientRect();
    const x = r.querySelector('[part=dismiss]').getBoundingClientRect();
    const items = [...r.querySelectorAll('[part=item]')].map((e) => e.getBoundingClientRect().left);
    return { dir: getComputedStyle(r.querySelector('[part=list]')).direction, left: x.left - li.left, right: li.right - x.right, firstIsRightmost: items[0] > items[1] };
  });
  assert.equal(at.dir, 'rtl');
  assert.ok(at.left < at.right, `dismiss not at the inline end: ${JSON.stringify(at)}`);
  assert.equal(at.firstIsRightmost, true, 'the first card is not on the right');
  await t.close();
});
