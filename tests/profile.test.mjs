// The shopper's profile in the browser: persistence across reloads in the versioned
// `attune` key, migration from version 1 (`attune:v1`), the bound on events, the
// retention limit enforced on load, one consistent profile across tabs, and every storage
// fault (its methods or the localStorage property itself throwing, quota, corrupt or
// hand-edited JSON, a future version) ending in one warning and a widget that keeps
// working in memory.
//
// Run: node --test tests/profile.test.mjs (needs scripts/build: the CLI and www/pkg).

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { allKeys, giftShopModel, html, launch, open, requirePrerequisites, serve, settle, shown, stored, storedEvents } from './harness.mjs';

const DAY = 86_400_000;
let env;
let browser;
let model;

before(async () => {
  requirePrerequisites();
  model = giftShopModel();
  const places = '<attune-recs id="rec" placement="recent" k="10"></attune-recs><attune-recs id="fy" placement="for-you"></attune-recs>';
  env = await serve({
    '/model.bin': ['application/octet-stream', model.bytes],
    '/p.html': ['text/html', html({ body: places })],
    '/small.html': ['text/html', html({ body: places, config: { maxEvents: 5, retentionDays: 5 } })],
  });
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await env?.close();
  model?.cleanup();
});

/** Seeds localStorage once per context (the init script runs on every navigation). */
const seed = (key, value) => `if (!sessionStorage.getItem('seeded')) {
  sessionStorage.setItem('seeded', '1');
  const now = Date.now();
  localStorage.setItem(${JSON.stringify(key)}, ${value});
}`;

const recent = async (p) => { await settle(p, '#rec', 0).catch(() => {}); return (await shown(p, '#rec')).ids; };

test('the profile survives a reload, in one versioned key', async () => {
  const t = await open(browser, env.origin + '/p.html');
  try {
    await t.p.evaluate(() => { window.attune.track({ type: 'view', item: 'L1' }); window.attune.track({ type: 'view', item: 'M1' }); });
    await t.p.reload();
    assert.equal(await t.p.evaluate(() => window.attune.ready), true);
    await settle(t.p, '#rec', 2);
    assert.deepEqual((await shown(t.p, '#rec')).ids, ['M1', 'L1']);
    const s = await stored(t.p);
    assert.equal(s.v, 2);
    assert.deepEqual(s.events.map((e) => [e.type, e.item]), [['view', 'L1'], ['view', 'M1']]);
    assert.ok(s.events.every((e) => Number.isInteger(e.at) && Date.now() - e.at < 60_000));
    assert.deepEqual(Object.keys(s).sort(), ['events', 'paused', 'session', 'v']);
    assert.deepEqual(await t.p.evaluate(() => Object.keys(localStorage)), ['attune']);
    assert.deepEqual(t.log.warnings, []);
  } finally {
    await t.close();
  }
});

test('a version 1 profile is migrated to version 2 and its old key removed', async () => {
  const t = await open(browser, env.origin + '/p.html', {
    init: seed('attune:v1', `JSON.stringify({ v: 1, events: [
      { type: 'view', item: 'L1', at: now - 7200000 }, { type: 'cart', item: 'M1', at: now - 3600000 }] })`),
  });
  try {
    assert.equal(t.ready, true);
    await settle(t.p, '#rec', 1);
    assert.deepEqual((await shown(t.p, '#rec')).ids, ['L1']);
    assert.deepEqual(await t.p.evaluate(() => Object.keys(localStorage)), ['attune'], 'attune:v1 is gone');
    assert.equal((await stored(t.p)).v, 2);
    assert.deepEqual(await storedEvents(t.p), [['view', 'L1'], ['cart', 'M1']]);
    // The basket event still counts: the cart item is not suggested.
    await settle(t.p, '#fy', 1);
    assert.ok(!(await shown(t.p, '#fy')).ids.includes('M1'));
    assert.deepEqual(t.log.warnings, []);
  } finally {
    await t.close();
  }
});

test('the profile keeps the most recent N events (500 by default, configurable)', async () => {
  const t = await open(browser, env.origin + '/p.html', {
    init: seed('attune', `JSON.stringify({ v: 2, events: Array.from({ length: 600 }, (_, i) =>
      ({ type: 'view', item: i % 2 ? 'L1' : 'M1', at: now - 600000 + i })) })`),
  });
  try {
    await t.p.evaluate(() => window.attune.track({ type: 'view', item: 'T1' }));
    const events = (await stored(t.p)).events;
    assert.equal(events.length, 500);
    assert.deepEqual(events.at(-1).item, 'T1');
    assert.equal(events[0].at, events[1].at - 1, 'the oldest were dropped');
  } finally {
    await t.close();
  }
  const s = await open(browser, env.origin + '/small.html');
  try {
    await s.p.evaluate(() => { for (const i of ['L1', 'L2', 'L3', 'M1', 'M2', 'M3', 'T1', 'T2']) window.attune.track({ type: 'view', item: i }); });
    assert.deepEqual((await storedEvents(s.p)).map((e) => e[1]), ['M1', 'M2', 'M3', 'T1', 'T2']);
  } finally {
    await s.close();
  }
});

test('retention (90 days by default, configurable) is enforced on load', async () => {
  const events = `[{ type: 'view', item: 'L1', at: now - 100 * ${DAY} }, { type: 'view', item: 'M1', at: now - 10 * ${DAY} },
    { type: 'view', item: 'T1', at: now - ${DAY} }]`;
  const t = await open(browser, env.origin + '/p.html', { init: seed('attune', `JSON.stringify({ v: 2, events: ${events} })`) });
  try {
    assert.deepEqual(await recent(t.p), ['T1', 'M1']);
    assert.deepEqual(await storedEvents(t.p), [['view', 'M1'], ['view', 'T1']], 'dropped from storage at once');
  } finally {
    await t.close();
  }
  const s = await open(browser, env.origin + '/small.html', { init: seed('attune', `JSON.stringify({ v: 2, events: ${events} })`) });
  try {
    assert.deepEqual(await recent(s.p), ['T1'], 'retentionDays: 5');
    assert.deepEqual(await storedEvents(s.p), [['view', 'T1']]);
  } finally {
    await s.close();
  }
});

test('two tabs of the shop share one profile', async () => {
  const a = await open(browser, env.origin + '/p.html');
  const b = await open(browser, env.origin + '/p.html', { context: a.context });
  try {
    assert.equal(b.ready, true);
    await a.p.evaluate(() => window.attune.track({ type: 'view', item: 'L2' }));
    await settle(b.p, '#rec', 1);
    assert.deepEqual((await shown(b.p, '#rec')).ids, ['L2'], 'B follows A');
    await b.p.evaluate(() => window.attune.track({ type: 'view', item: 'M2' }));
    await settle(a.p, '#rec', 2);
    assert.deepEqual((await shown(a.p, '#rec')).ids, ['M2', 'L2'], 'A follows B; neither lost an event');
    await a.p.evaluate(() => window.attune.forget());
    await settle(b.p, '#rec', 0);
    assert.equal((await shown(b.p, '#rec')).children, 0, 'erasing in one tab empties the other');
    await b.p.evaluate(() => window.attune.track({ type: 'view', item: 'T2' }));
    assert.deepEqual(await storedEvents(a.p), [['view', 'T2']]);
  } finally {
    await b.close();
    await a.close();
  }
});

test('a tab that has not heard of another tab\'s event yet still keeps it when it writes', async () => {
  // Tab A gets no storage events (as if the notification were late): it must re-read
  // before writing, or it would overwrite what tab B stored.
  const a = await open(browser, env.origin + '/p.html', {
    init: () => window.addEventListener('storage', (e) => e.stopImmediatePropagation(), true),
  });
  const b = await open(browser, env.origin + '/p.html', { context: a.context });
  try {
    await b.p.evaluate(() => window.attune.track({ type: 'view', item: 'S1' }));
    await a.p.evaluate(() => window.attune.track({ type: 'view', item: 'V1' }));
    assert.deepEqual(await storedEvents(a.p), [['view', 'S1'], ['view', 'V1']]);
  } finally {
    await b.close();
    await a.close();
  }
});

const FAULTS = [
  ['localStorage throws (blocked, private mode)', () => {
    const deny = () => { throw new DOMException('denied', 'SecurityError'); };
    Storage.prototype.getItem = deny;
    Storage.prototype.setItem = deny;
  }, /^attune: localStorage is unavailable/, null],
  ['window.localStorage itself throws (Chromium with site data blocked)', () => {
    Object.defineProperty(window, 'localStorage', { configurable: true, get() { throw new DOMException('Access is denied for this document.', 'SecurityError'); } });
  }, /^attune: localStorage is unavailable/, null],
  ['the quota is exceeded', () => {
    const set = Storage.prototype.setItem;
    Storage.prototype.setItem = function (k, v) {
      if (k === 'attune') throw new DOMException('full', 'QuotaExceededError');
      return set.call(this, k, v);
    };
  }, /^attune: localStorage refused to save/, null],
  ['the stored JSON is corrupt', seed('attune', `'{"v":2,"events":[{"type":"vi'`), /^attune: the stored shopper profile is unreadable/, 'fresh'],
  ['the stored JSON was edited by hand', seed('attune', `JSON.stringify({ v: 2, events: [42, { type: 'teleport', item: 'L1', at: now },
    { type: 'view', item: 'L1', at: 'yesterday' }, { type: 'view', item: 'M1', at: now - 1000 }, null] })`), /^attune: ignored 4 invalid event/, 'kept'],
  ['the stored profile is from a future version', seed('attune', `JSON.stringify({ v: 3, events: [], future: true })`), /^attune: the stored shopper profile is from a newer Attune/, 'untouched'],
];

for (const [name, init, warning, after] of FAULTS) {
  test(`fault: ${name} — one warning, the widget works in memory, the page is untouched`, async () => {
    const t = await open(browser, env.origin + '/p.html', { init });
    try {
      assert.equal(t.ready, true);
      await t.p.evaluate(() => { window.attune.track({ type: 'view', item: 'T1' }); window.attune.track({ type: 'view', item: 'L3' }); });
      await settle(t.p, '#rec', 2);
      const ids = (await shown(t.p, '#rec')).ids;
      assert.deepEqual(ids.slice(0, 2), ['L3', 'T1']);
      assert.equal(t.log.warnings.length, 1, t.log.warnings.join('\n'));
      assert.match(t.log.warnings[0], warning);
      assert.deepEqual(t.log.errors, []);
      assert.equal(await t.p.evaluate(() => document.getElementById('host').textContent), 'host content');
      const raw = await t.p.evaluate(() => { try { return localStorage.getItem('attune'); } catch { return 'threw'; } });
      if (after === 'fresh') assert.deepEqual(JSON.parse(raw).events.map((e) => e.item), ['T1', 'L3'], 'replaced by a valid profile');
      if (after === 'kept') assert.deepEqual(JSON.parse(raw).events.map((e) => e.item), ['M1', 'T1', 'L3'], 'valid events kept');
      if (after === 'untouched') assert.deepEqual(JSON.parse(raw), { v: 3, events: [], future: true }, 'never overwritten');
      if (after === 'untouched') assert.deepEqual(ids, ['L3', 'T1']);
    } finally {
      await t.close();
    }
  });
}

// Issue 12: a consent withdrawal through attune.consent(false) in one tab is honoured by the
// other open tabs at once: they stop writing and drop what they hold (before, tab B went on
// storing until it was reloaded). Nothing of the withdrawal itself stays in storage.
test('a consent withdrawal in one tab stops the other open tabs storing, at once', async () => {
  const a = await open(browser, env.origin + '/p.html');
  const b = await open(browser, env.origin + '/p.html', { context: a.context });
  try {
    await b.p.evaluate(() => window.attune.track({ type: 'view', item: 'L2' }));
    await settle(a.p, '#rec', 1);
    assert.deepEqual(await storedEvents(a.p), [['view', 'L2']], 'both tabs store with consent');
    await a.p.evaluate(() => window.attune.consent(false));
    await b.p.waitForFunction(() => window.attune.context().stored === false);
    assert.equal((await b.p.evaluate(() => window.attune.context())).consent, 'denied', 'B follows the withdrawal');
    assert.equal(await b.p.evaluate(() => window.attune.export().events.length), 0, 'B dropped what it held');
    await b.p.evaluate(() => window.attune.track({ type: 'view', item: 'M2' }));
    assert.deepEqual(await allKeysOf(b.p), [], 'B writes nothing after the withdrawal');
  } finally {
    await b.close();
    await a.close();
  }
});

async function allKeysOf(p) {
  const k = await allKeys(p);
  return [...k.local, ...k.session].filter((x) => x.startsWith('attune'));
}
