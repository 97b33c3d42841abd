// Every way a shop tells Attune what the shopper does, in real headless Chromium under a
// strict CSP: window.attune.track (every event type), GA4 ecommerce events in
// window.dataLayer (pushed before and after the loader, gtag and GTM styles, the
// {ecommerce: null} reset, list views and stated baskets), schema.org Product JSON-LD (the page's item, availability,
// price, category), data-attune-* attributes (buttons, links, search forms, page facts),
// and the context the page gets back (page type, item, basket, visits).
//
// Run: node --test tests/signals.test.mjs (needs scripts/build: the CLI and www/pkg).

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { giftShopModel, html, launch, open, requirePrerequisites, serve, settle, shown, stored, storedEvents } from './harness.mjs';

let env;
let browser;
let model;

const GA_BEFORE = `
window.dataLayer = window.dataLayer || [];
function gtag() { dataLayer.push(arguments); }
gtag('event', 'view_item', { items: [{ item_id: 'L1', item_name: 'Brass desk lamp' }] });
dataLayer.push({ ecommerce: null });
dataLayer.push({ event: 'add_to_cart', ecommerce: { items: [{ item_id: 'M1' }, { item_id: 'T1', quantity: 2 }] } });
dataLayer.push({ ecommerce: null });
dataLayer.push({ event: 'add_to_cart' }); // after the reset: no items, so nothing
dataLayer.push({ ecommerce: { items: [{ item_id: 'C1' }] } });
dataLayer.push({ event: 'select_item' }); // GTM merges the pending ecommerce: C1
dataLayer.push({ ecommerce: null });
dataLayer.push({ event: 'remove_from_cart', ecommerce: { items: [{ item_id: 'T1' }] } });
dataLayer.push({ ecommerce: null });
dataLayer.push({ event: 'view_item_list', ecommerce: { items: [{ item_id: 'V1' }, { item_id: 'S1' }] } });
dataLayer.push({ event: 'search', search_term: 'green  tea' });
dataLayer.push('not an object', null, { event: 42 });
`;

const LD = JSON.stringify({
  '@context': 'https://schema.org',
  '@graph': [
    {
      '@type': 'Product', sku: 'L1', name: 'Brass desk lamp', category: 'Lamps',
      offers: { '@type': 'Offer', price: '41.50', priceCurrency: 'GBP', availability: 'https://schema.org/InStock' },
    },
    {
      '@type': 'ItemList',
      itemListElement: [
        { '@type': 'ListItem', position: 1, item: { '@type': 'Product', productID: 'L3', offers: { availability: 'http://schema.org/OutOfStock' } } },
        { '@type': 'ListItem', position: 2, item: { '@type': ['Product'], sku: 'C1', offers: [{ price: 9.99 }] } },
      ],
    },
  ],
});

before(async () => {
  requirePrerequisites();
  model = giftShopModel();
  const places = `<attune-recs id="sim" placement="similar"></attune-recs>
<attune-recs id="rec" placement="recent"></attune-recs><attune-recs id="cart" placement="cart"></attune-recs>`;
  env = await serve({
    '/model.bin': ['application/octet-stream', model.bytes],
    '/track.html': ['text/html', html({ body: places })],
    '/ga-before.js': ['text/javascript', GA_BEFORE],
    '/ga.html': ['text/html', html({ before: '<script type="module" src="/ga-before.js"></script>', body: places })],
    '/ga-list.js': ['text/javascript', `window.dataLayer = window.dataLayer || [];
dataLayer.push({ event: 'view_item_list', ecommerce: { item_list_name: 'Lamps', items: [{ item_id: 'L1' }, { item_id: 'L2' }, { item_id: 'L3' }] } });`],
    '/ga-list.html': ['text/html', html({ before: '<script type="module" src="/ga-list.js"></script>', body: places })],
    '/jsonld.html': ['text/html', html({
      attrs: 'data-model="/model.bin" data-item-url="/p?id={id}" data-k="6"',
      head: `<script type="application/ld+json">${LD}</script>`,
      body: places + '<attune-recs id="pop" placement="popular" k="12"></attune-recs>',
    })],
    // The page names its item twice (body attribute and JSON-LD); a placement names another.
    '/precedence.html': ['text/html', html({
      attrs: 'data-model="/model.bin" data-item-url="/p?id={id}"',
      head: `<script type="application/ld+json">${LD}</script>`,
      body: '<attune-recs id="sim" placement="similar"></attune-recs><attune-recs id="simT" placement="similar" item="T1"></attune-recs>',
    }).replace('<body>', '<body data-attune-item="M1">')],
    '/nosubmit.js': ['text/javascript', "document.addEventListener('submit', (e) => e.preventDefault());"],
    '/attrs.html': ['text/html', html({
      attrs: 'data-model="/model.bin" data-item-url="/p?id={id}" data-k="12"',
      head: '<script type="module" src="/nosubmit.js"></script>',
      body: `<div data-attune-page="product"></div>
<button id="add" data-attune-cart="T1"><span id="add-label">Add</span></button>
<button id="remove" data-attune-remove="T1">Remove</button>
<a id="link" data-attune-item="C1" href="#c1">Candle</a>
<div data-attune-item="M2" data-attune-available="false"></div>
<div data-attune-item="M3" data-attune-price="1.25" data-attune-category="Glass"></div>
<div data-attune-cart-items="L1 C1"></div>
<form id="search" data-attune-search><input type="search" name="q"><button id="go">Search</button></form>
<attune-recs id="pop" placement="popular" k="12"></attune-recs>` + places,
    })],
    '/confirmation.html': ['text/html', html({ body: '<section data-attune-purchase="M1 T2"></section>' })],
  });
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await env?.close();
  model?.cleanup();
});

test('attune.track records every event type; bad events warn and are ignored', async () => {
  const t = await open(browser, env.origin + '/track.html');
  try {
    assert.equal(t.ready, true);
    await t.p.evaluate(() => {
      const a = window.attune;
      a.track({ type: 'view', item: 'L1' });
      a.track({ type: 'cart', item: 'M1' });
      a.track({ type: 'add_to_cart', item: 'T1' });
      a.track({ type: 'remove_from_cart', item: 'T1' });
      a.track({ type: 'purchase', item: 'M1' });
      a.track({ type: 'search', query: '  earl   grey ' });
      a.track({ type: 'not_interested', item: 'P1' });
      a.track({ type: 'view', item: 12345 });
      a.track({ type: 'click', item: 'L1' });
      a.track({ type: 'view', item: 'has space' });
      a.track(null);
    });
    assert.deepEqual(await storedEvents(t.p), [
      ['view', 'L1'], ['cart', 'M1'], ['cart', 'T1'], ['remove_from_cart', 'T1'], ['purchase', 'M1'],
      ['search', 'earl grey'], ['not_interested', 'P1'], ['view', '12345'],
    ]);
    // One warning per distinct problem (the unknown type and null share one).
    assert.equal(t.log.warnings.length, 2, t.log.warnings.join('\n'));
    assert.match(t.log.warnings[0], /^attune: track ignored an event .*type must be/);
    assert.match(t.log.warnings[1], /^attune: track ignored an event .*item must be/);
    assert.deepEqual(t.log.errors, []);
    // The basket follows the events: M1 was bought, T1 taken out again.
    assert.deepEqual((await t.p.evaluate(() => window.attune.context())).cart, []);
    await t.p.evaluate(() => window.attune.track({ type: 'cart', item: 'L3' }));
    assert.deepEqual((await t.p.evaluate(() => window.attune.context())).cart, ['L3']);
  } finally {
    await t.close();
  }
});

test('GA4 dataLayer: pushes before the loader (gtag and GTM styles, resets) and after it', async () => {
  const t = await open(browser, env.origin + '/ga.html');
  try {
    assert.equal(t.ready, true);
    assert.deepEqual(await storedEvents(t.p), [
      ['view', 'L1'], ['cart', 'M1'], ['cart', 'T1'], ['view', 'C1'], ['remove_from_cart', 'T1'], ['search', 'green tea'],
    ]);
    let c = await t.p.evaluate(() => window.attune.context());
    assert.equal(c.page, 'product');
    assert.equal(c.item, 'L1');
    // Pushes after the loader: a purchase (GTM style) and a checkout (gtag style) whose
    // items become the basket the "cart" placement complements.
    await t.p.evaluate(() => {
      window.dataLayer.push({ ecommerce: null });
      window.dataLayer.push({ event: 'purchase', ecommerce: { transaction_id: 'T-1', items: [{ item_id: 'M1' }] } });
      window.dataLayer.push(['event', 'begin_checkout', { items: [{ item_id: 'L2' }] }]);
    });
    const events = await storedEvents(t.p);
    assert.deepEqual(events.at(-1), ['purchase', 'M1']);
    c = await t.p.evaluate(() => window.attune.context());
    assert.equal(c.page, 'checkout');
    assert.deepEqual(c.cart, ['L2']);
    await settle(t.p, '#cart');
    const cart = await shown(t.p, '#cart');
    assert.ok(cart.reasons.includes('Often bought with Paper lantern'), cart.reasons.join('|'));
    assert.ok(!cart.ids.includes('L2'));
    // The dataLayer still works for the page: every push is in the array.
    assert.equal(await t.p.evaluate(() => window.dataLayer.length), 18);
    assert.deepEqual(t.log.errors, []);
  } finally {
    await t.close();
  }
});

test('GA4 dataLayer: a list view is a listing page, not a view of each item; view_cart states the basket', async () => {
  const t = await open(browser, env.origin + '/ga-list.html');
  try {
    assert.equal(t.ready, true);
    let c = await t.p.evaluate(() => window.attune.context());
    assert.equal(c.page, 'listing');
    assert.equal(c.item, null);
    assert.equal(await stored(t.p), null, 'showing a list is no signal about the shopper');
    await t.p.evaluate(() => {
      window.dataLayer.push({ ecommerce: null });
      window.dataLayer.push({ event: 'view_cart', ecommerce: { items: [{ item_id: 'S1' }, { item_id: 'V1' }] } });
    });
    c = await t.p.evaluate(() => window.attune.context());
    assert.equal(c.page, 'cart');
    assert.deepEqual(c.cart, ['S1', 'V1'], 'the basket as the shop states it');
    assert.deepEqual(t.log.errors, []);
  } finally {
    await t.close();
  }
});

// A view_cart or begin_checkout pushed after the loader changes the basket in context(), and
// the placements that depend on it re-render (they once kept their cold-start fallback).
test('GA4 dataLayer: a basket stated after load (view_cart) re-renders the cart placement', async () => {
  const t = await open(browser, env.origin + '/track.html');
  try {
    await settle(t.p, '#cart');
    assert.ok((await shown(t.p, '#cart')).reasons.every((r) => r === 'Popular now'), 'empty basket: the fallback');
    await t.p.evaluate(() => window.dataLayer.push({ event: 'view_cart', ecommerce: { items: [{ item_id: 'S1' }, { item_id: 'V1' }] } }));
    await t.p.waitForFunction(() => [...document.querySelector('#cart').shadowRoot.querySelectorAll('[part=reason]')].some((e) => e.textContent !== 'Popular now'), null, { timeout: 3_000 });
    const cart = await shown(t.p, '#cart');
    assert.ok(!cart.ids.includes('S1') && !cart.ids.includes('V1'), cart.ids.join(' '));
    assert.equal(cart.reasons[0], 'Often bought with Candle snuffer', cart.reasons.join('|'));
  } finally {
    await t.close();
  }
});

test('schema.org JSON-LD: the page item, a view of it, availability, price and category', async () => {
  const t = await open(browser, env.origin + '/jsonld.html');
  try {
    assert.equal(t.ready, true);
    const c = await t.p.evaluate(() => window.attune.context());
    assert.equal(c.item, 'L1');
    assert.equal(c.page, 'product');
    assert.deepEqual(await storedEvents(t.p), [['view', 'L1']], 'a product page with JSON-LD is a view');
    await settle(t.p, '#sim');
    const sim = await shown(t.p, '#sim');
    // L1's neighbours are L3 L2 C1 P1 M1 …; L3 is out of stock per the ItemList.
    assert.equal(sim.ids[0], 'L2', sim.ids.join(' '));
    assert.ok(!sim.ids.includes('L3') && !sim.ids.includes('L1'), sim.ids.join(' '));
    // C1's price comes from the page (9.99), not the model (7.00).
    const ci = sim.ids.indexOf('C1');
    assert.ok(ci >= 0);
    assert.match(sim.prices[ci], /9\.99/);
    const pop = await shown(t.p, '#pop');
    assert.ok(!pop.ids.includes('L3'), 'unavailable items are hidden everywhere');
    assert.ok(!pop.ids.includes('L1'), 'the page item is not suggested on its own page');
    // Reloading does not count a second view (same item, within half an hour).
    await t.p.reload();
    await t.p.evaluate(() => window.attune.ready);
    assert.deepEqual(await storedEvents(t.p), [['view', 'L1']]);
    assert.deepEqual(t.log.csp, [], 'JSON-LD and config blocks are data, not scripts');
    assert.deepEqual(t.log.errors, []);
  } finally {
    await t.close();
  }
});

test('the page item: an item attribute wins, then <body data-attune-item>, then JSON-LD', async () => {
  const t = await open(browser, env.origin + '/precedence.html');
  try {
    assert.equal(t.ready, true);
    const c = await t.p.evaluate(() => window.attune.context());
    assert.equal(c.item, 'M1');
    assert.deepEqual(await storedEvents(t.p), [['view', 'M1']], 'one view, of the body attribute\'s item');
    await settle(t.p, '#sim', 3);
    await settle(t.p, '#simT', 2);
    const sim = await shown(t.p, '#sim');
    assert.deepEqual(sim.ids.slice(0, 3), ['T1', 'M2', 'M3'], 'M1\'s neighbours');
    assert.ok(sim.reasons.every((r) => r === 'Often bought with Stoneware mug'), sim.reasons.join('|'));
    const simT = await shown(t.p, '#simT');
    assert.equal(simT.ids[0], 'T2', 'item="T1" on the element: T1\'s neighbours');
    assert.ok(simT.reasons.every((r) => r === 'Often bought with Earl grey tea'), simT.reasons.join('|'));
    assert.deepEqual(t.log.errors, []);
  } finally {
    await t.close();
  }
});

test('data-attune-* attributes: basket buttons, product links, search forms, page facts', async () => {
  const t = await open(browser, env.origin + '/attrs.html');
  try {
    assert.equal(t.ready, true);
    await t.p.click('#add-label'); // a click inside the button counts
    await t.p.click('#remove');
    await t.p.click('#link');
    await t.p.fill('#search input', 'lamp');
    await t.p.click('#go');
    await t.p.click('#host'); // not instrumented: nothing
    assert.deepEqual(await storedEvents(t.p), [['cart', 'T1'], ['remove_from_cart', 'T1'], ['view', 'C1'], ['search', 'lamp']]);
    const c = await t.p.evaluate(() => window.attune.context());
    assert.equal(c.page, 'product');
    assert.deepEqual(c.cart, ['L1', 'C1'], 'data-attune-cart-items is the basket');
    await settle(t.p, '#pop');
    const pop = await shown(t.p, '#pop');
    assert.ok(!pop.ids.includes('M2'), 'data-attune-available="false" hides M2');
    assert.ok(!pop.ids.includes('L1') && !pop.ids.includes('C1'), 'the basket is not suggested');
    assert.match(pop.prices[pop.ids.indexOf('M3')], /1\.25/);
    assert.deepEqual(t.log.errors, []);
  } finally {
    await t.close();
  }
});

test('data-attune-purchase records the order; visits are counted 30 minutes apart', async () => {
  const hour = 3_600_000;
  const t = await open(browser, env.origin + '/confirmation.html', {
    init: `if (!sessionStorage.getItem('seeded')) {
      sessionStorage.setItem('seeded', '1');
      const now = Date.now();
      localStorage.setItem('attune', JSON.stringify({ v: 2, events: [{ type: 'view', item: 'M1', at: now - 2 * ${hour} }],
        session: { count: 4, start: now - 3 * ${hour}, last: now - 2 * ${hour} }, paused: false }));
    }`,
  });
  try {
    assert.equal(t.ready, true);
    assert.deepEqual(await storedEvents(t.p), [['view', 'M1'], ['purchase', 'M1'], ['purchase', 'T2']]);
    const s = (await stored(t.p)).session;
    assert.equal(s.count, 5, 'two hours after the last activity: a new visit');
    assert.ok(Date.now() - s.start < 60_000);
    const c = await t.p.evaluate(() => window.attune.context());
    assert.equal(c.sessionCount, 5);
    assert.equal(c.sessionStart, s.start);
    assert.ok(c.sessionMs >= 0 && c.sessionMs < 60_000, 'time since this visit started: ' + c.sessionMs);
    assert.equal(c.page, 'other');
    await t.p.evaluate(() => window.attune.track({ type: 'view', item: 'L1' }));
    assert.equal((await stored(t.p)).session.count, 5, 'minutes later: the same visit');
  } finally {
    await t.close();
  }
});
