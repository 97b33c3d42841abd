// The shopper in control, in real headless Chromium: the <attune-privacy> element (and
// the small "Your data" link inside every placement) says in plain words what is stored
// and what Attune inferred, downloads it as JSON, pauses personalization, and erases
// everything so that no Attune key remains in localStorage, sessionStorage, cookies or
// IndexedDB.
//
// Run: node --test tests/shopper-control.test.mjs (needs scripts/build: the CLI and www/pkg).

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { allKeys, giftShopModel, html, launch, open, requirePrerequisites, serve, settle, shown, stored, storedEvents } from './harness.mjs';

let env;
let browser;
let model;

before(async () => {
  requirePrerequisites();
  model = giftShopModel();
  const body = `<attune-recs id="fy" placement="for-you" k="4"></attune-recs>
<attune-recs id="rec" placement="recent"></attune-recs><attune-privacy id="priv"></attune-privacy>`;
  env = await serve({
    '/model.bin': ['application/octet-stream', model.bytes],
    '/p.html': ['text/html', html({ body })],
    '/pending.html': ['text/html', html({ attrs: 'data-model="/model.bin" data-consent="pending"', body })],
  });
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await env?.close();
  model?.cleanup();
});

const text = (p, sel) => p.evaluate((s) => document.querySelector(s).shadowRoot.textContent, sel);
const press = (p, label) => p.locator('#priv').getByRole('button', { name: label }).click();
const shopping = (p) => p.evaluate(() => {
  for (const [type, item] of [['view', 'C1'], ['view', 'S1'], ['view', 'L2'], ['cart', 'L2'], ['search', 'tea'], ['not_interested', 'P1']]) {
    window.attune.track(type === 'search' ? { type, query: item } : { type, item });
  }
});

test('<attune-privacy> says in plain words what is stored and what Attune inferred', async () => {
  const t = await open(browser, env.origin + '/p.html');
  try {
    await shopping(t.p);
    await t.p.waitForFunction(() => /basket addition/.test(document.querySelector('#priv').shadowRoot.textContent));
    const words = await text(t.p, '#priv');
    for (const s of [
      'Your data in this shop',
      'Kept in this browser only (localStorage “attune”), never sent anywhere.',
      '3 × product view', '1 × basket addition', '1 × search', '1 × “not interested”',
      'deleted after 90 days', 'visit 1',
      'Recently interested in: Paper lantern, Candle snuffer, Beeswax candle',
      'Usual price range: £3.00 to £27.00',
      'In your basket: Paper lantern',
      'Not shown to you: Gift wrap',
    ]) assert.ok(words.includes(s), `missing "${s}" in: ${words}`);
    assert.ok(!words.includes('purchase'), 'only what happened is listed');
    assert.deepEqual(t.log.errors, []);
  } finally {
    await t.close();
  }
});

test('without consent the view says nothing is saved', async () => {
  const t = await open(browser, env.origin + '/pending.html');
  try {
    await shopping(t.p);
    await t.p.waitForFunction(() => /3 × product view/.test(document.querySelector('#priv').shadowRoot.textContent));
    assert.match(await text(t.p, '#priv'), /Kept in memory for this page only: nothing is saved without your consent\./);
  } finally {
    await t.close();
  }
});

test('"Download my data" saves the profile and the inferences as JSON', async () => {
  const t = await open(browser, env.origin + '/p.html');
  try {
    await shopping(t.p);
    const [download] = await Promise.all([t.p.waitForEvent('download'), press(t.p, 'Download my data')]);
    assert.equal(download.suggestedFilename(), 'attune-data.json');
    const data = JSON.parse(readFileSync(await download.path(), 'utf8'));
    assert.deepEqual(data.events.map((e) => [e.type, e.item ?? e.query]), await storedEvents(t.p));
    assert.equal(data.storage, 'localStorage "attune"');
    assert.equal(data.retentionDays, 90);
    assert.deepEqual(data.inferred, { priceBand: [300, 2700], basket: ['L2'] });
    assert.deepEqual(data, { ...(await t.p.evaluate(() => window.attune.export())), exported: data.exported });
    await t.p.waitForFunction(() => /Downloaded attune-data\.json/.test(document.querySelector('#priv').shadowRoot.textContent));
    assert.ok(!t.log.requests.some((r) => r.includes('blob:') || !r.includes(env.origin)), 'nothing left the page');
  } finally {
    await t.close();
  }
});

test('pause stops recording and personalization, across reloads, until resumed', async () => {
  const t = await open(browser, env.origin + '/p.html');
  try {
    await shopping(t.p);
    await settle(t.p, '#rec', 3);
    const before = await storedEvents(t.p);
    await press(t.p, 'Pause personalization');
    await t.p.waitForFunction(() => /Paused: nothing new is recorded/.test(document.querySelector('#priv').shadowRoot.textContent));
    await t.p.evaluate(() => window.attune.track({ type: 'view', item: 'M1' }));
    assert.deepEqual(await storedEvents(t.p), before, 'nothing recorded while paused');
    assert.equal((await stored(t.p)).paused, true);
    await settle(t.p, '#rec', 0);
    const fy = await shown(t.p, '#fy');
    assert.ok(fy.reasons.every((r) => r === 'Popular now'), 'suggestions ignore the history: ' + fy.reasons.join('|'));
    assert.equal(await t.p.locator('#fy').locator('[part=dismiss]').count(), 0, 'nothing to dismiss while paused');
    await t.p.reload();
    await t.p.evaluate(() => window.attune.ready);
    assert.equal((await t.p.evaluate(() => window.attune.context())).paused, true, 'still paused after a reload');
    await press(t.p, 'Resume personalization');
    await t.p.evaluate(() => window.attune.track({ type: 'view', item: 'M2' }));
    assert.deepEqual((await storedEvents(t.p)).at(-1), ['view', 'M2']);
    await settle(t.p, '#rec', 1);
  } finally {
    await t.close();
  }
});

test('"Erase everything" leaves no Attune key in any storage', async () => {
  const t = await open(browser, env.origin + '/p.html', {
    init: () => {
      if (!sessionStorage.getItem('seeded')) {
        sessionStorage.setItem('seeded', '1');
        localStorage.setItem('attune:v1', '{"v":1,"events":[]}'); // an older version's key
        localStorage.setItem('attune:prompts', '{}'); // another Attune feature's key
        sessionStorage.setItem('attune:session', '{}');
        localStorage.setItem('shop-cart', 'kept');
      }
    },
  });
  try {
    await shopping(t.p);
    await settle(t.p, '#rec', 3);
    await press(t.p, 'Erase everything');
    await t.p.waitForFunction(() => /Erased: nothing about you is kept/.test(document.querySelector('#priv').shadowRoot.textContent));
    const k = await allKeys(t.p);
    const attune = (list) => list.filter((x) => /^attune/.test(x));
    assert.deepEqual(attune(k.local), [], 'localStorage');
    assert.deepEqual(attune(k.session), [], 'sessionStorage');
    assert.deepEqual(attune(k.cookies), [], 'cookies');
    assert.deepEqual(attune(k.idb), [], 'IndexedDB');
    assert.deepEqual(k.local.sort(), ['shop-cart'], 'the shop\'s own data stays');
    await settle(t.p, '#rec', 0);
    assert.match(await text(t.p, '#priv'), /What is storedvisit 1/);
    assert.deepEqual((await shown(t.p, '#fy')).reasons.slice(0, 1), ['Popular now']);
  } finally {
    await t.close();
  }
});

test('the "Your data" link in a placement opens the view in a dialog; Escape closes it', async () => {
  const t = await open(browser, env.origin + '/p.html');
  try {
    await shopping(t.p);
    await settle(t.p, '#fy', 4);
    const link = t.p.locator('#fy').getByRole('button', { name: 'Your data', exact: true });
    await link.click();
    const dialog = t.p.locator('#fy').getByRole('dialog', { name: 'Your data' });
    await dialog.waitFor();
    await t.p.waitForFunction(() => /What Attune inferred/.test(document.querySelector('#fy').shadowRoot.querySelector('attune-privacy').shadowRoot.textContent));
    // Pausing from inside the dialog re-renders the placement but keeps the dialog open.
    await dialog.getByRole('button', { name: 'Pause personalization' }).click();
    await t.p.waitForFunction(() => document.querySelector('#fy').shadowRoot.querySelector('dialog[open]'));
    await t.p.keyboard.press('Escape');
    await t.p.waitForFunction(() => !document.querySelector('#fy').shadowRoot.querySelector('dialog'));
    assert.equal(await t.p.evaluate(() => document.querySelector('#fy').shadowRoot.activeElement?.getAttribute('part')), 'privacy', 'focus returns to the link');
    assert.equal((await t.p.evaluate(() => window.attune.context())).paused, true);
  } finally {
    await t.close();
  }
});
