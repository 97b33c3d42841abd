// Every placement and every business rule, in real headless Chromium, on the crafted gift
// shop of harness.mjs (its neighbours are known by construction): similar,
// bought-together (page item or whole basket), for-you, recent, cart, popular; hide
// unavailable, no re-suggested purchases (unless consumable), price band, at most N per
// category, pin / boost / bury, minimum score with fallback or nothing, "Not interested"
// (hides, and demotes the neighbours), a reason on every card, and reserved layout space.
//
// Run: node --test tests/placements.test.mjs (needs scripts/build: the CLI and www/pkg).

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { cli, giftShopModel, html, launch, open, requirePrerequisites, serve, settle, shown } from './harness.mjs';

let env;
let browser;
let model;

const CATEGORIES = { Lamps: ['L1', 'L2', 'L3'], Mugs: ['M1', 'M2', 'M3'], Tea: ['T1', 'T2'], Candles: ['C1', 'S1'], Cushions: ['V1'], Wrap: ['P1'] };
const CONFIGS = {
  plain: {},
  noband: { priceBand: 0 },
  rules: { unavailable: ['L3'], pin: ['V1'], bury: ['P1'], boost: ['T2'], rebuy: ['T1'] },
  rebuyall: { rebuy: true },
  categories: { categories: CATEGORIES, maxPerCategory: 1 },
  strict: { minScore: 5 },
};
const ALL = `<attune-recs id="sim" placement="similar" k="6"></attune-recs>
<attune-recs id="bt" placement="bought-together" k="6"></attune-recs>
<attune-recs id="fy" placement="for-you" k="6"></attune-recs>
<attune-recs id="rec" placement="recent" k="6"></attune-recs>
<attune-recs id="cart" placement="cart" k="6"></attune-recs>
<attune-recs id="pop" placement="popular" k="12"></attune-recs>`;

before(async () => {
  requirePrerequisites();
  model = giftShopModel();
  env = await serve({
    '/model.bin': ['application/octet-stream', model.bytes],
    // /t.html?cfg=NAME&item=ID[&extra=…]: every placement, the page item on `similar`/`bought-together`.
    '/t.html': (url) => {
      const item = url.searchParams.get('item');
      const body = item ? ALL.replace(/placement="(similar|bought-together)"/g, `$& item="${item}"`) : ALL;
      return ['text/html', html({ attrs: 'data-model="/model.bin" data-item-url="/p?id={id}"', config: CONFIGS[url.searchParams.get('cfg') || 'plain'], body: body + (url.searchParams.get('extra') || '') })];
    },
    '/reserve.css': ['text/css', 'attune-recs:not([empty]){display:block;min-height:30rem}'],
    '/reserve.html': ['text/html', html({
      head: '<link rel="stylesheet" href="/reserve.css">',
      body: '<attune-recs id="fy" placement="for-you" k="4"></attune-recs><p id="below">below the placement</p>',
    })],
  });
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await env?.close();
  model?.cleanup();
});

const page = (q) => open(browser, `${env.origin}/t.html?${q}`);
const track = (p, events) => p.evaluate((es) => { for (const [type, item] of es) window.attune.track({ type, item }); }, events);
const ids = async (p, id, min = 1) => { await settle(p, '#' + id, min); return shown(p, '#' + id); };
const recommend = (history, k) => cli(['recommend', '--model', model.path, '-k', String(k)], history + '\n').trim().split(' ');
/** Every card says why. */
const explained = (s) => { assert.equal(s.reasons.length, s.ids.length); assert.ok(s.reasons.every((r) => r.length > 3), s.reasons.join('|')); };

test('similar: the page item\'s neighbours, "Often bought with"; nothing at all without any', async () => {
  const t = await page('item=L1');
  try {
    const sim = await ids(t.p, 'sim', 5);
    assert.deepEqual(sim.ids, ['L3', 'L2', 'C1', 'M1', 'P1'], 'the neighbours, best first, no filler');
    assert.deepEqual(sim.heading, ['Similar items']);
    assert.ok(sim.reasons.every((r) => r === 'Often bought with Brass desk lamp'));
    assert.deepEqual(sim.prices.slice(0, 2), ['£35.00', '£12.00']);
  } finally {
    await t.close();
  }
  for (const item of ['NOPE', '']) {
    const t = await page('item=' + item);
    try {
      await settle(t.p, '#sim', 0);
      const sim = await shown(t.p, '#sim');
      assert.equal(sim.children, 0, 'no heading, no frame');
      assert.equal(await t.p.evaluate(() => document.getElementById('sim').getBoundingClientRect().height), 0);
    } finally {
      await t.close();
    }
  }
});

test('bought-together: with the page item, or the whole basket as one merged list without it', async () => {
  const t = await page('');
  try {
    await track(t.p, [['cart', 'L1'], ['cart', 'M1']]);
    const bt = await ids(t.p, 'bt', 3);
    const cliList = recommend('L1 M1', bt.ids.length);
    assert.deepEqual(bt.ids, cliList, 'the same merge as `attune recommend` for the basket');
    assert.ok(!bt.ids.includes('L1') && !bt.ids.includes('M1'));
    assert.equal(new Set(bt.ids).size, bt.ids.length);
    assert.ok(bt.reasons.every((r) => r === 'Often bought with Brass desk lamp' || r === 'Often bought with Stoneware mug'), bt.reasons.join('|'));
    assert.deepEqual(bt.heading, ['Often bought together']);
  } finally {
    await t.close();
  }
  const s = await page('item=T1');
  try {
    const bt = await ids(s.p, 'bt', 3);
    assert.deepEqual(bt.ids, recommend('T1', bt.ids.length));
    assert.ok(bt.reasons.every((r) => r === 'Often bought with Earl grey tea'));
    // A basket as well: the page item joins it (newest), one list, neither of them in it.
    await track(s.p, [['cart', 'L2']]);
    await s.p.waitForFunction(() => [...document.querySelector('#bt').shadowRoot.querySelectorAll('[part=reason]')].some((e) => e.textContent === 'Often bought with Paper lantern'));
    const both = await shown(s.p, '#bt');
    assert.deepEqual(both.ids, recommend('L2 T1', both.ids.length));
    assert.ok(!both.ids.includes('L2') && !both.ids.includes('T1'), both.ids.join(' '));
    assert.equal(new Set(both.ids).size, both.ids.length);
  } finally {
    await s.close();
  }
  // The page item already in the basket counts once: the same list as the basket alone.
  const d = await page('item=L1');
  try {
    await track(d.p, [['cart', 'M1'], ['cart', 'L1']]);
    await d.p.waitForFunction(() => [...document.querySelector('#bt').shadowRoot.querySelectorAll('[part=reason]')].some((e) => e.textContent === 'Often bought with Stoneware mug'));
    const bt = await shown(d.p, '#bt');
    assert.deepEqual(bt.ids, recommend('M1 L1', bt.ids.length));
    assert.ok(!bt.ids.includes('L1') && !bt.ids.includes('M1'), bt.ids.join(' '));
  } finally {
    await d.close();
  }
});

test('for-you and recent follow the shopper; cart complements the basket; popular for a cold start', async () => {
  const t = await page('');
  try {
    let fy = await ids(t.p, 'fy', 6);
    const pop = await ids(t.p, 'pop', 12);
    assert.deepEqual(fy.ids, pop.ids.slice(0, 6), 'a new shopper gets the popular items');
    assert.ok(fy.reasons.every((r) => r === 'Popular now'));
    assert.equal((await shown(t.p, '#rec')).children, 0, 'nothing viewed yet: no "recently viewed"');
    assert.equal((await shown(t.p, '#cart')).ids.length, 6, 'empty basket: the cart placement falls back to popular');

    await track(t.p, [['view', 'T2'], ['view', 'M3'], ['cart', 'L2']]);
    await settle(t.p, '#rec', 2);
    const rec = await shown(t.p, '#rec');
    assert.deepEqual(rec.ids, ['M3', 'T2']);
    assert.ok(rec.reasons.every((r) => r === 'You viewed this'));
    fy = await shown(t.p, '#fy');
    assert.ok(!fy.ids.includes('L2'), 'never what is in the basket');
    assert.ok(fy.reasons.some((r) => r.startsWith('Because you viewed ')), fy.reasons.join('|'));
    assert.ok(fy.reasons.some((r) => r === 'Because you added Paper lantern to your cart'), fy.reasons.join('|'));
    explained(fy);
    const cart = await shown(t.p, '#cart');
    assert.equal(cart.reasons[0], 'Often bought with Paper lantern');
    assert.ok(!cart.ids.includes('L2'));
    assert.deepEqual(cart.heading, ['Goes well with your basket']);
    explained(cart);
  } finally {
    await t.close();
  }
});

test('every reason names its source exactly: viewed, added, bought, searched for', async () => {
  const cases = [
    // [events, the card expected first, its reason]: each history has one source only.
    [[['view', 'T2']], 'T1', 'Because you viewed Green tea'],
    [[['cart', 'S1']], 'L2', 'Because you added Candle snuffer to your cart'],
    [[['purchase', 'S1']], 'L2', 'Because you bought Candle snuffer'],
    [[['search', 'snuffer']], 'L2', 'Because you searched for “snuffer”'],
  ];
  for (const [events, first, reason] of cases) {
    const t = await page('');
    try {
      await t.p.evaluate((es) => { for (const [type, v] of es) window.attune.track(type === 'search' ? { type, query: v } : { type, item: v }); }, events);
      await t.p.waitForFunction((r) => [...document.querySelector('#fy').shadowRoot.querySelectorAll('[part=reason]')].some((e) => e.textContent === r), reason, { timeout: 10_000 });
      const fy = await shown(t.p, '#fy');
      assert.equal(fy.ids[0], first, `${JSON.stringify(events)}: ${fy.ids.join(' ')}`);
      assert.equal(fy.reasons[0], reason);
      // The rest: the same source or the popularity fill, nothing invented.
      assert.ok(fy.reasons.every((r) => r === reason || r === 'Popular now'), fy.reasons.join('|'));
      explained(fy);
    } finally {
      await t.close();
    }
  }
});

test('business rules: unavailable hidden, pin first, bury last, boost up, purchases not re-suggested unless consumable', async () => {
  const plain = await page('');
  const rules = await page('cfg=rules');
  try {
    const base = (await ids(plain.p, 'pop', 12)).ids;
    const pop = await ids(rules.p, 'pop', 10);
    assert.equal(pop.ids[0], 'V1');
    assert.equal(pop.reasons[0], 'Featured by the shop');
    assert.ok(!pop.ids.includes('L3'), 'unavailable');
    assert.ok(pop.ids.indexOf('P1') > base.indexOf('P1') + 5, 'buried: the most popular item sinks: ' + pop.ids.join(' '));
    assert.ok(pop.ids.indexOf('T2') < base.indexOf('T2'), 'boosted');
    for (const id of ['fy', 'cart']) assert.equal((await shown(rules.p, '#' + id)).ids[0], 'V1', id + ': pinned first');
    assert.equal((await shown(rules.p, '#sim')).children, 0, 'a pin never makes a placement out of nothing');

    await track(plain.p, [['purchase', 'M1'], ['purchase', 'T1']]);
    await track(rules.p, [['purchase', 'M1'], ['purchase', 'T1']]);
    await settle(plain.p, '#fy', 6);
    for (const id of ['fy', 'pop', 'cart']) {
      assert.ok(!(await shown(plain.p, '#' + id)).ids.some((i) => i === 'M1' || i === 'T1'), id + ': bought items come back');
    }
    await settle(rules.p, '#fy', 6);
    const again = await shown(rules.p, '#pop');
    assert.ok(again.ids.includes('T1') && !again.ids.includes('M1'), 'T1 is a consumable: it may come back');
  } finally {
    await plain.close();
    await rules.close();
  }
  const all = await page('cfg=rebuyall');
  try {
    await track(all.p, [['purchase', 'M1']]);
    await settle(all.p, '#pop', 12);
    assert.ok((await shown(all.p, '#pop')).ids.includes('M1'), 'rebuy: true');
  } finally {
    await all.close();
  }
});

test('at most N per category', async () => {
  const t = await page('cfg=categories');
  try {
    const pop = await ids(t.p, 'pop', 6);
    const of = (id) => Object.keys(CATEGORIES).find((c) => CATEGORIES[c].includes(id));
    assert.deepEqual(pop.ids.map(of), ['Wrap', 'Mugs', 'Candles', 'Lamps', 'Tea', 'Cushions'], pop.ids.join(' '));
    const sim = await shown(t.p, '#fy');
    assert.equal(new Set(sim.ids.map(of)).size, sim.ids.length);
  } finally {
    await t.close();
  }
});

test('price band: suggestions near the shopper\'s usual prices rank higher', async () => {
  const history = [['view', 'C1'], ['view', 'S1'], ['view', 'L2']]; // £7, £9, £12: median £9, band £3–£27
  const banded = await page('');
  const flat = await page('cfg=noband');
  try {
    await track(banded.p, history);
    await track(flat.p, history);
    await settle(banded.p, '#fy', 6);
    await settle(flat.p, '#fy', 6);
    await banded.p.evaluate(() => document.querySelector('#fy').setAttribute('k', '12'));
    await flat.p.evaluate(() => document.querySelector('#fy').setAttribute('k', '12'));
    await settle(banded.p, '#fy', 12);
    await settle(flat.p, '#fy', 12);
    const a = (await shown(banded.p, '#fy')).ids;
    const b = (await shown(flat.p, '#fy')).ids;
    // Without the band V1 (£25) trails P1 (£2) and L3 (£35); with it, the items outside
    // £3–£27 lose half their score, and V1 overtakes both (a cheaper and a dearer one).
    assert.ok(b.indexOf('P1') < b.indexOf('V1') && b.indexOf('L3') < b.indexOf('V1'), 'without the band: ' + b.join(' '));
    assert.ok(a.indexOf('V1') < a.indexOf('P1') && a.indexOf('V1') < a.indexOf('L3'), 'with the band: ' + a.join(' '));
    assert.deepEqual((await banded.p.evaluate(() => window.attune.export())).inferred.priceBand, [300, 2700]);
  } finally {
    await banded.close();
    await flat.close();
  }
});

test('minimum score: below it a placement falls back, or shows nothing at all', async () => {
  const t = await page('cfg=strict&item=L1&extra=' + encodeURIComponent(
    '<attune-recs id="fb" placement="similar" item="L1" fallback="popular"></attune-recs>' +
    '<attune-recs id="low" placement="similar" item="L1" min-score="0"></attune-recs>'));
  try {
    await settle(t.p, '#low', 4);
    await settle(t.p, '#sim', 0);
    assert.equal((await shown(t.p, '#sim')).children, 0, 'minScore 5: nothing clears it, no fallback: nothing');
    const fb = await ids(t.p, 'fb', 4);
    assert.ok(fb.reasons.every((r) => r === 'Popular now'), fb.reasons.join('|'));
    assert.ok(!fb.ids.includes('L1'));
    assert.equal((await shown(t.p, '#low')).ids[0], 'L3', 'min-score on the element overrides the config');
  } finally {
    await t.close();
  }
});

test('"Not interested" hides the item everywhere, demotes its neighbours, and keeps focus in the placement', async () => {
  const t = await page('item=L1');
  try {
    const before = (await ids(t.p, 'pop', 12)).ids;
    await settle(t.p, '#sim', 5);
    const sim = t.p.locator('#sim');
    await sim.locator('[part=dismiss]').first().click(); // L3, the first similar item
    await t.p.waitForFunction(() => ![...document.querySelector('#sim').shadowRoot.querySelectorAll('[part=link]')].some((a) => a.href.endsWith('id=L3')));
    assert.deepEqual(await t.p.evaluate(() => JSON.parse(localStorage.getItem('attune')).events.map((e) => [e.type, e.item])), [['not_interested', 'L3']]);
    await settle(t.p, '#pop', 10);
    const after = (await shown(t.p, '#pop')).ids;
    assert.ok(!after.includes('L3'));
    // C1 is L3's closest neighbour: it loses ground against items unrelated to L3.
    assert.ok(after.indexOf('C1') > before.indexOf('C1'), `${before.join(' ')} → ${after.join(' ')}`);
    assert.equal(await t.p.evaluate(() => document.querySelector('#sim').shadowRoot.activeElement?.getAttribute('part')), 'heading');
    const label = await sim.locator('[part=dismiss]').first().getAttribute('aria-label');
    assert.match(label, /^Not interested in /);
  } finally {
    await t.close();
  }
});

test('reserved space: a late render moves nothing on the page', async () => {
  env.delay['/model.bin'] = 1500;
  const t = await browser.newContext();
  try {
    const p = await t.newPage();
    await p.addInitScript(() => {
      window.__shift = 0;
      new PerformanceObserver((l) => { for (const e of l.getEntries()) window.__shift += e.value; }).observe({ type: 'layout-shift', buffered: true });
    });
    await p.goto(env.origin + '/reserve.html');
    const y0 = await p.evaluate(() => document.getElementById('below').getBoundingClientRect().top);
    await settle(p, '#fy', 4);
    const y1 = await p.evaluate(() => document.getElementById('below').getBoundingClientRect().top);
    assert.equal(y1, y0, 'the paragraph below did not move');
    assert.equal(await p.evaluate(() => window.__shift), 0, 'no layout shift');
  } finally {
    delete env.delay['/model.bin'];
    await t.close();
  }
});
