// Consent-aware persistence in real headless Chromium: for each way a shop can express
// consent — the data-consent setting and attune.consent(), Google Consent Mode
// (personalization_storage), the IAB TCF API (__tcfapi), Shopify's customer privacy API,
// and navigator.globalPrivacyControl — nothing is read or written before consent, the
// profile is written once consent is given (with what the visit did so far), and it is
// erased when consent is withdrawn (every Attune key, in localStorage and sessionStorage;
// the shop's own keys stay). Without consent Attune still personalizes the page from memory.
//
// Run: node --test tests/consent.test.mjs (needs scripts/build: the CLI and www/pkg).

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { allKeys, giftShopModel, html, launch, open, requirePrerequisites, serve, settle, shown, storedEvents } from './harness.mjs';

let env;
let browser;
let model;

// Every storage access to an Attune key, in order: ['get' | 'set' | 'remove', key].
const SPY = () => {
  window.__storage = [];
  for (const op of ['getItem', 'setItem', 'removeItem']) {
    const f = Storage.prototype[op];
    Storage.prototype[op] = function (k, ...rest) {
      if (String(k).startsWith('attune') && this === window.localStorage) window.__storage.push([op.replace('Item', ''), k]);
      return f.call(this, k, ...rest);
    };
  }
};

const GCM = `window.dataLayer = window.dataLayer || [];
function gtag() { dataLayer.push(arguments); }
gtag('consent', 'default', { ad_storage: 'denied', personalization_storage: 'denied' });
window.gtag = gtag;`;

const TCF = `const listeners = [];
window.__tcfapi = (cmd, version, cb) => { if (cmd === 'addEventListener') { listeners.push(cb); cb({ eventStatus: 'cmpuishown', gdprApplies: true, purpose: { consents: {} } }, true); } };
window.__tcfSet = (data) => listeners.forEach((cb) => cb(data, true));`;

const SHOPIFY = `window.__allowed = false;
window.Shopify = { customerPrivacy: { preferencesProcessingAllowed: () => window.__allowed, currentVisitorConsent: () => ({ preferences: '' }) } };
window.__shopifySet = (yes) => { window.__allowed = yes; document.dispatchEvent(new CustomEvent('visitorConsentCollected', { detail: { preferencesAllowed: yes } })); };`;

before(async () => {
  requirePrerequisites();
  model = giftShopModel();
  const body = '<attune-recs id="rec" placement="recent"></attune-recs>';
  const page = (attrs, before = '') => ['text/html', html({ attrs: 'data-model="/model.bin" ' + attrs, body, before })];
  env = await serve({
    '/model.bin': ['application/octet-stream', model.bytes],
    '/gcm.js': ['text/javascript', GCM],
    '/tcf.js': ['text/javascript', TCF],
    '/shopify.js': ['text/javascript', SHOPIFY],
    '/none.html': page(''),
    '/pending.html': page('data-consent="pending"'),
    '/granted.html': page('data-consent="granted"'),
    '/denied.html': page('data-consent="denied"'),
    '/gpc-ignored.html': page('data-gpc="ignore"'),
    '/gcm.html': page('', '<script type="module" src="/gcm.js"></script>'),
    '/tcf.html': page('', '<script type="module" src="/tcf.js"></script>'),
    '/shopify.html': page('', '<script type="module" src="/shopify.js"></script>'),
  });
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await env?.close();
  model?.cleanup();
});

const view = (p, item) => p.evaluate((i) => window.attune.track({ type: 'view', item: i }), item);
const accesses = (p) => p.evaluate(() => window.__storage);
const keys = (p) => p.evaluate(() => Object.keys(localStorage));

/** Tracks two views without consent: nothing read or written, the page still personalized. */
async function withoutConsent(p, expectState = 'pending') {
  await view(p, 'L1');
  await view(p, 'M1');
  await settle(p, '#rec', 2);
  assert.deepEqual((await shown(p, '#rec')).ids, ['M1', 'L1'], 'personalized from memory');
  assert.deepEqual(await keys(p), [], 'nothing written');
  assert.deepEqual((await accesses(p)).filter((a) => a[0] !== 'remove'), [], 'nothing read or written');
  const c = await p.evaluate(() => window.attune.context());
  assert.equal(c.consent, expectState);
  assert.equal(c.stored, false);
}

/** After consent: the visit's events are written. */
async function written(p) {
  await p.waitForFunction(() => localStorage.getItem('attune') !== null);
  assert.deepEqual(await storedEvents(p), [['view', 'L1'], ['view', 'M1']]);
  await view(p, 'T1');
  assert.deepEqual((await storedEvents(p)).at(-1), ['view', 'T1']);
}

/** After withdrawal: erased, still working in memory, nothing written again. */
async function erased(p) {
  await p.waitForFunction(() => localStorage.getItem('attune') === null);
  await view(p, 'T2');
  await settle(p, '#rec', 1);
  assert.equal((await shown(p, '#rec')).ids[0], 'T2');
  assert.deepEqual(await keys(p), []);
}

test('data-consent="pending": memory only until attune.consent(true); consent(false) erases', async () => {
  const t = await open(browser, env.origin + '/pending.html', { init: SPY });
  try {
    await withoutConsent(t.p);
    await t.p.evaluate(() => window.attune.consent(true));
    await written(t.p);
    await t.p.evaluate(() => window.attune.consent(false));
    await erased(t.p);
    assert.deepEqual(t.log.warnings, []);
  } finally {
    await t.close();
  }
});

test('data-consent="granted" writes; "denied" writes nothing and erases an earlier profile', async () => {
  const g = await open(browser, env.origin + '/granted.html', { init: SPY });
  try {
    await view(g.p, 'L1');
    await view(g.p, 'M1');
    await written(g.p);
  } finally {
    await g.close();
  }
  const d = await open(browser, env.origin + '/denied.html', {
    init: () => {
      if (!sessionStorage.getItem('seeded')) {
        sessionStorage.setItem('seeded', '1');
        localStorage.setItem('attune', JSON.stringify({ v: 2, events: [{ type: 'view', item: 'V1', at: Date.now() }] }));
        localStorage.setItem('attune:v1', '{"v":1,"events":[]}');
        localStorage.setItem('shop', 'kept');
      }
    },
  });
  try {
    await d.p.waitForFunction(() => localStorage.getItem('attune') === null);
    assert.deepEqual(await keys(d.p), ['shop'], 'the shop\'s own keys stay');
    await view(d.p, 'T2');
    assert.deepEqual(await keys(d.p), ['shop']);
    assert.equal((await d.p.evaluate(() => window.attune.context())).consent, 'denied');
  } finally {
    await d.close();
  }
});

test('no consent setting and no consent framework: the profile is stored (default)', async () => {
  const t = await open(browser, env.origin + '/none.html', { init: SPY });
  try {
    await view(t.p, 'L1');
    await view(t.p, 'M1');
    await written(t.p);
  } finally {
    await t.close();
  }
});

test('Google Consent Mode: a "denied" default waits, an update grants, a later update erases', async () => {
  const t = await open(browser, env.origin + '/gcm.html', { init: SPY });
  try {
    await withoutConsent(t.p);
    // Another purpose's grant is not ours.
    await t.p.evaluate(() => window.gtag('consent', 'update', { ad_storage: 'granted' }));
    assert.deepEqual(await keys(t.p), []);
    await t.p.evaluate(() => window.gtag('consent', 'update', { personalization_storage: 'granted' }));
    await written(t.p);
    await t.p.evaluate(() => window.gtag('consent', 'update', { personalization_storage: 'denied' }));
    await erased(t.p);
  } finally {
    await t.close();
  }
});

test('IAB TCF: waits while the CMP is shown, purpose 1 consent writes, withdrawal erases', async () => {
  const t = await open(browser, env.origin + '/tcf.html', { init: SPY });
  try {
    await withoutConsent(t.p);
    await t.p.evaluate(() => window.__tcfSet({ eventStatus: 'useractioncomplete', gdprApplies: true, purpose: { consents: { 1: true } } }));
    await written(t.p);
    await t.p.evaluate(() => window.__tcfSet({ eventStatus: 'useractioncomplete', gdprApplies: true, purpose: { consents: { 1: false } } }));
    await erased(t.p);
    // Where the GDPR does not apply, the CMP's answer is a grant.
    await t.p.evaluate(() => window.__tcfSet({ eventStatus: 'tcloaded', gdprApplies: false }));
    await t.p.waitForFunction(() => localStorage.getItem('attune') !== null);
  } finally {
    await t.close();
  }
});

test("Shopify's customer privacy API: waits, a preferences grant writes, withdrawal erases", async () => {
  const t = await open(browser, env.origin + '/shopify.html', { init: SPY });
  try {
    await withoutConsent(t.p);
    await t.p.evaluate(() => window.__shopifySet(true));
    await written(t.p);
    await t.p.evaluate(() => window.__shopifySet(false));
    await erased(t.p);
  } finally {
    await t.close();
  }
});

test('navigator.globalPrivacyControl is honoured, unless data-gpc="ignore"', async () => {
  const gpc = () => Object.defineProperty(Navigator.prototype, 'globalPrivacyControl', { get: () => true });
  const honoured = await open(browser, env.origin + '/none.html', { init: `(${gpc})(); (${SPY})();` });
  try {
    await withoutConsent(honoured.p, 'denied');
  } finally {
    await honoured.close();
  }
  const ignored = await open(browser, env.origin + '/gpc-ignored.html', { init: `(${gpc})(); (${SPY})();` });
  try {
    await view(ignored.p, 'L1');
    await view(ignored.p, 'M1');
    await written(ignored.p);
  } finally {
    await ignored.close();
  }
});

// Seeds, once per context, what earlier visits could have left: the profile, another Attune
// feature's key, a session key, and the shop's own keys (which must survive any erase).
const LEFTOVERS = () => {
  if (!sessionStorage.getItem('seeded')) {
    sessionStorage.setItem('seeded', '1');
    localStorage.setItem('attune', JSON.stringify({ v: 2, events: [{ type: 'view', item: 'V1', at: Date.now() - 60_000 }] }));
    localStorage.setItem('attune:prompts', '{"shown":{}}');
    sessionStorage.setItem('attune:session', '{}');
    localStorage.setItem('shop-cart', 'kept');
  }
};
const attuneKeys = async (p) => {
  const k = await allKeys(p);
  return [...k.local, ...k.session, ...k.cookies, ...k.idb].filter((x) => /^attune/.test(x));
};

test('navigator.globalPrivacyControl erases what an earlier visit stored, and never writes again', async () => {
  const gpc = () => Object.defineProperty(Navigator.prototype, 'globalPrivacyControl', { get: () => true });
  const t = await open(browser, env.origin + '/none.html', { init: `(${gpc})(); (${LEFTOVERS})();` });
  try {
    assert.equal(t.ready, true);
    await t.p.waitForFunction(() => localStorage.getItem('attune') === null);
    assert.deepEqual(await attuneKeys(t.p), [], 'no Attune key in any storage');
    assert.deepEqual(await keys(t.p), ['shop-cart'], "the shop's own key stays");
    await view(t.p, 'T2');
    await settle(t.p, '#rec', 1);
    assert.deepEqual((await shown(t.p, '#rec')).ids, ['T2'], 'the erased history is not used; the visit is, in memory');
    assert.deepEqual(await attuneKeys(t.p), []);
    const c = await t.p.evaluate(() => window.attune.context());
    assert.equal(c.consent, 'denied');
    assert.equal(c.stored, false);
    assert.deepEqual(t.log.errors, []);
  } finally {
    await t.close();
  }
});

test('withdrawing consent erases every Attune key in localStorage and sessionStorage, not the shop\'s', async () => {
  const t = await open(browser, env.origin + '/pending.html', { init: LEFTOVERS });
  try {
    // Pending: the stored profile is neither read nor removed yet.
    assert.equal(await t.p.evaluate(() => localStorage.getItem('attune') !== null), true);
    await view(t.p, 'L1');
    await t.p.evaluate(() => window.attune.consent(true));
    await t.p.waitForFunction(() => JSON.parse(localStorage.getItem('attune')).events.length === 2);
    assert.deepEqual(await storedEvents(t.p), [['view', 'V1'], ['view', 'L1']], 'consent merges the visit into the stored profile');
    await t.p.evaluate(() => window.attune.consent(false));
    await t.p.waitForFunction(() => localStorage.getItem('attune') === null);
    assert.deepEqual(await attuneKeys(t.p), [], 'attune, attune:prompts and the session key are gone');
    assert.deepEqual(await keys(t.p), ['shop-cart']);
    assert.equal(await t.p.evaluate(() => sessionStorage.getItem('seeded')), '1', "the page's session keys stay");
    await view(t.p, 'M1');
    assert.deepEqual(await attuneKeys(t.p), [], 'nothing written after the withdrawal');
  } finally {
    await t.close();
  }
});
