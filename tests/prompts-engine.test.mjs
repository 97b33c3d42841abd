// The help-prompt rules engine (js/prompts-engine.js) on simulated timelines, in node: no
// browser, no clock, every time explicit. Each trigger fires exactly when it should and not
// otherwise; caps, cooldowns, "don't show again", excluded pages and form fields hold; the
// config schema names every bad field and keeps the valid rules; the stored form round-trips,
// survives damage and reads what the Rust engine wrote. These are the native tests of
// crates/attune-core/src/{prompts,prompt_config}.rs, ported one for one when the engine moved
// to JS (same names, same timelines), plus a few for what JS does differently.
//
// Run: node --test tests/prompts-engine.test.mjs

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { MAX, SESSION_GAP, blank, defaults, fromText, parseConfig, prompts, toText } from '../js/prompts-engine.js';
import { fuzz } from '../fuzz/js/prompt-config.mjs';

const S = 1000;
const MIN = 60_000;
const HOUR = 3_600_000;
/** A realistic epoch (ms) so "0 = never" never collides with a real time. */
const T0 = 1_732_590_000_000;

function config(rules) {
  const c = parseConfig(`{"perSession": 5, "rules": [${rules}]}`);
  assert.deepEqual(c.errors, []);
  return c;
}

// Each page view gets its own copy of the memory, as a page reading localStorage would.
const copy = (m) => structuredClone(m || blank());
const page = (rules, memory, now, url, touch = false) => prompts(config(rules), copy(memory), now, url, touch);
const id = (r) => (r ? r.id : null);

const DWELL = '{"id":"dwell","when":"dwell","seconds":45,"show":"help","title":"Help?"}';

// ---- triggers ------------------------------------------------------------------------

test('dwell fires at n visible seconds on a product page', () => {
  const p = page(DWELL, null, T0, '/product?id=1');
  assert.equal(p.next(T0), null, 'no item viewed: not a product page');
  assert.equal(p.signal('view', T0 + 2 * S, 'A', ''), null);
  assert.equal(p.next(T0 + 2 * S), T0 + 47 * S);
  assert.equal(p.tick(T0 + 46.999 * S), null);
  assert.equal(id(p.tick(T0 + 47 * S)), 'dwell');
  assert.equal(p.open().src, 0);
  assert.equal(p.tick(T0 + 200 * S), null, 'shown once');
  assert.equal(p.next(T0 + 200 * S), null);
});

test('dwell counts only visible time and waits for form fields', () => {
  const p = page(DWELL, null, T0, '/p');
  p.signal('view', T0, 'A', '');
  p.signal('hidden', T0 + 10 * S);
  assert.equal(p.next(T0 + 10 * S), null, 'no timer while hidden');
  assert.equal(p.tick(T0 + 100 * S), null);
  assert.equal(p.signal('visible', T0 + 100 * S), null);
  assert.equal(p.next(T0 + 100 * S), T0 + 135 * S);
  p.signal('field', T0 + 120 * S, true);
  assert.equal(p.tick(T0 + 140 * S), null, 'never while typing in a field');
  assert.equal(p.next(T0 + 140 * S), null);
  assert.equal(id(p.signal('field', T0 + 150 * S, false)), 'dwell', 'shows once focus leaves the field');
});

test('dwell stays quiet once the item is in the cart', () => {
  let p = page(DWELL, null, T0, '/p');
  p.signal('view', T0, 'A', '');
  p.signal('cart', T0 + 5 * S, 'A');
  assert.equal(p.tick(T0 + 60 * S), null);
  assert.equal(p.next(T0 + 60 * S), null);
  // Next visit to the same item: still in the cart, still quiet.
  p = page(DWELL, p.memory(), T0 + 120 * S, '/p');
  p.signal('view', T0 + 120 * S, 'A', '');
  assert.equal(p.tick(T0 + 300 * S), null);
  // Another item is fine.
  p.signal('view', T0 + 301 * S, 'B', '');
  assert.notEqual(p.tick(T0 + 346 * S), null);
});

test('repeat views count sessions, not page loads', () => {
  const rule = '{"id":"again","when":"repeat_view","views":3,"show":"help","title":"Still deciding?"}';
  let now = T0;
  let memory = blank();
  for (let session = 1; session <= 3; session++) {
    // Three views in the same session count once.
    for (let load = 0; load < 3; load++) {
      const p = page(rule, memory, now, '/p');
      const shown = p.signal('view', now, 'A', '');
      assert.equal(p.memory().session, session);
      if (session === 3 && load === 0) assert.equal(id(shown), 'again');
      // Sessions 1 and 2: too few; later loads of session 3: cooling down.
      else assert.equal(shown, null, `session ${session}, load ${load}`);
      memory = p.memory();
      now += 5 * MIN;
    }
    now += SESSION_GAP + S;
  }
  assert.equal(memory.views[0].sessions, 3);
  // Not about an item that is already in the cart.
  const p = page('{"id":"again","when":"repeat_view","views":2,"show":"help","title":"t","cooldownHours":0}', memory, now, '/p');
  p.signal('cart', now, 'A');
  assert.equal(p.signal('view', now, 'A', ''), null);
});

test('comparison fires on the nth item of one category', () => {
  const rule = '{"id":"cmp","when":"compare","items":3,"show":"compare","title":"Compare","fields":["fit"]}';
  let p = page(rule, null, T0, '/');
  assert.equal(p.signal('view', T0, 'A', 'shirts'), null);
  assert.equal(p.signal('view', T0 + S, 'X', 'shoes'), null);
  assert.equal(p.signal('view', T0 + 2 * S, 'B', 'shirts'), null);
  assert.equal(p.signal('view', T0 + 3 * S, 'A', 'shirts'), null, 'the same item twice is one');
  assert.equal(p.signal('view', T0 + 4 * S, 'Y', ''), null, 'no category, no comparison');
  assert.equal(id(p.signal('view', T0 + 5 * S, 'C', 'shirts')), 'cmp');
  assert.deepEqual(p.compared(), ['B', 'A', 'C']);
  // Across pages of one session too, but not across sessions.
  p = page(rule, null, T0, '/');
  p.signal('view', T0, 'A', 'shirts');
  const p2 = page(rule, p.memory(), T0 + MIN, '/');
  p2.signal('view', T0 + MIN, 'B', 'shirts');
  let p3 = page(rule, p2.memory(), T0 + 2 * MIN + SESSION_GAP, '/');
  assert.equal(p3.signal('view', T0 + 2 * MIN + SESSION_GAP, 'C', 'shirts'), null);
  p3 = page(rule, p2.memory(), T0 + 2 * MIN, '/');
  assert.notEqual(p3.signal('view', T0 + 2 * MIN, 'C', 'shirts'), null);
});

test('compared items are the latest four', () => {
  const rule = '{"id":"cmp","when":"compare","items":2,"show":"compare","title":"Compare","cooldownHours":0}';
  let memory = blank();
  let now = T0;
  let checked = false;
  for (const item of ['A', 'B', 'C', 'D', 'E']) {
    const p = page(rule, memory, now, '/');
    p.signal('view', now, item, 'mugs');
    if (item === 'E') {
      assert.deepEqual(p.compared(), ['B', 'C', 'D', 'E']);
      checked = true;
    }
    memory = p.memory();
    now += MIN;
  }
  assert.ok(checked);
});

test('option hesitation needs switching back and forth', () => {
  const rule = '{"id":"size","when":"variant","switches":3,"show":"help","title":"Size?"}';
  let p = page(rule, null, T0, '/p');
  ['S', 'M', 'L', 'XL'].forEach((size, i) => assert.equal(p.signal('variant', T0 + i * S, 'size', size), null, 'forward only'));
  p = page(rule, null, T0, '/p');
  assert.equal(p.signal('variant', T0, 'size', 'S'), null);
  assert.equal(p.signal('variant', T0 + S, 'size', 'S'), null, 'the same value is no switch');
  assert.equal(p.signal('variant', T0 + S, 'colour', 'red'), null, 'a first choice is no switch');
  assert.equal(p.signal('variant', T0 + 2 * S, 'size', 'M'), null);
  assert.equal(p.signal('variant', T0 + 3 * S, 'size', 'S'), null, 'two switches');
  assert.equal(id(p.signal('variant', T0 + 4 * S, 'size', 'M')), 'size');
});

test('cart idle fires after n minutes without activity', () => {
  const rule = '{"id":"idle","when":"cart_idle","minutes":2,"show":"reassure","title":"Good to know","facts":["Free returns"]}';
  let p = page(rule, null, T0, '/cart');
  assert.equal(p.next(T0), null, 'empty cart');
  assert.equal(p.tick(T0 + 10 * MIN), null);
  p.signal('cart', T0 + 10 * MIN, 'A');
  assert.equal(p.next(T0 + 10 * MIN), T0 + 12 * MIN);
  p.signal('activity', T0 + 11 * MIN);
  assert.equal(p.tick(T0 + 12 * MIN), null, 'activity resets the clock');
  assert.equal(p.next(T0 + 12 * MIN), T0 + 13 * MIN);
  assert.equal(id(p.tick(T0 + 13 * MIN)), 'idle');
  // Emptied cart: quiet.
  p = page(rule, null, T0, '/cart');
  p.signal('cart', T0, 'A');
  p.signal('purchase', T0 + S, 'A');
  assert.equal(p.tick(T0 + 60 * MIN), null);
});

test('returning visitor with a cart', () => {
  const rule = '{"id":"back","when":"cart_return","seconds":3,"show":"help","title":"Welcome back"}';
  let p = page(rule, null, T0, '/');
  p.signal('cart', T0, 'A');
  assert.equal(p.tick(T0 + MIN), null, 'first session: not returning');
  const memory = copy(p.memory());
  const later = T0 + MIN + 5;
  const same = page(rule, memory, later, '/');
  assert.equal(same.tick(later + MIN), null, 'same session');
  const nextDay = T0 + 24 * 60 * MIN;
  const back = page(rule, memory, nextDay, '/');
  assert.equal(back.next(nextDay), nextDay + 3 * S);
  assert.equal(back.tick(nextDay + 2 * S), null);
  assert.equal(id(back.tick(nextDay + 3 * S)), 'back');
  // A second page of the returning session, before the delay on the first: still due.
  const first = page(rule, memory, nextDay, '/');
  first.signal('activity', nextDay + S);
  const second = page(rule, first.memory(), nextDay + 2 * S, '/list');
  assert.equal(id(second.tick(nextDay + 5 * S)), 'back');
  // Nothing left in the cart: nothing to come back for.
  const empty = copy(memory);
  empty.cart = [];
  p = page(rule, empty, nextDay, '/');
  assert.equal(p.tick(nextDay + MIN), null);
});

const EXIT = '{"id":"exit","when":"exit_intent","seconds":10,"show":"survey"}';

test('exit intent on desktop is the pointer leaving through the top', () => {
  const p = page(EXIT, null, T0, '/');
  assert.equal(p.signal('leave', T0 + 9 * S), null, 'before the minimum dwell');
  assert.equal(p.signal('hidden', T0 + 11 * S), null);
  assert.equal(p.signal('visible', T0 + 20 * S), null, 'tab switching is not exit intent on desktop');
  assert.equal(p.signal('scroll', T0 + 21 * S, 2000), null);
  assert.equal(p.signal('scroll', T0 + 21 * S, 0), null, 'nor a fast scroll');
  assert.equal(id(p.signal('leave', T0 + 22 * S)), 'exit');
});

test('exit intent on touch is coming back or a fast scroll up', () => {
  const touch = (now) => page(EXIT, null, now, '/', true);
  let p = touch(T0);
  assert.equal(p.signal('leave', T0 + 30 * S), null);
  p.signal('hidden', T0 + 5 * S);
  assert.equal(p.signal('visible', T0 + 60 * S), null, '5 s visible is under the minimum');
  p.signal('hidden', T0 + 66 * S);
  assert.equal(id(p.signal('visible', T0 + 70 * S)), 'exit');

  p = touch(T0);
  const at = T0 + 20 * S;
  p.signal('scroll', at, 1500);
  // Slow: 1000 px up over three seconds.
  [1200, 900, 600, 500].forEach((y, k) => assert.equal(p.signal('scroll', at + (k + 1) * 750, y), null));
  // A slow start, then a flick: only the last 400 ms count.
  p.signal('scroll', at + 4 * S, 3000);
  assert.equal(p.signal('scroll', at + 4.2 * S, 2900), null);
  assert.equal(p.signal('scroll', at + 4.9 * S, 2800), null);
  assert.equal(p.signal('scroll', at + 5 * S, 2500), null, '300 px');
  assert.equal(id(p.signal('scroll', at + 5.2 * S, 2300)), 'exit', '500 px in the last 300 ms');
});

test('no results search', () => {
  const p = page('{"id":"none","when":"no_results","show":"help","title":"Can we help?"}', null, T0, '/search');
  assert.equal(p.signal('search', T0, 4), null);
  assert.equal(id(p.signal('search', T0 + S, 0)), 'none');
});

const TWO = `{"id":"none","when":"no_results","show":"help","title":"a","cooldownHours":1},
             {"id":"exit","when":"exit_intent","seconds":0,"show":"survey","cooldownHours":0}`;

// ---- respect: caps, cooldowns, places ------------------------------------------------

test('one prompt per page view, even after closing', () => {
  const p = page(TWO, null, T0, '/');
  assert.notEqual(p.signal('search', T0, 0), null);
  assert.equal(p.signal('leave', T0 + S), null, 'one is open');
  p.closed(false);
  assert.equal(p.signal('leave', T0 + 2 * S), null, 'per page: 1');
  const next = page(TWO, p.memory(), T0 + 3 * S, '/');
  assert.equal(id(next.signal('leave', T0 + 4 * S)), 'exit');
});

test('per-session cap and cooldown hold across pages', () => {
  const cfg = (perSession) => Object.assign(config(TWO), { perSession });
  let memory = blank();
  let now = T0;
  const shown = [];
  for (let i = 0; i < 6; i++) {
    const p = prompts(cfg(2), copy(memory), now, '/', false);
    const r = p.signal('search', now, 0) || p.signal('leave', now);
    if (r) {
      shown.push(r.id);
      p.closed(false);
    }
    memory = p.memory();
    now += MIN;
  }
  assert.deepEqual(shown, ['none', 'exit'], 'two per session');
  // A new session: the cap resets, the 1-hour cooldown of "none" does not.
  now += SESSION_GAP + S;
  let p = prompts(cfg(2), copy(memory), now, '/', false);
  assert.equal(p.signal('search', now, 0), null, 'cooling down');
  assert.equal(id(p.signal('leave', now)), 'exit');
  const later = T0 + 61 * MIN + SESSION_GAP;
  p = prompts(cfg(2), copy(memory), later, '/', false);
  assert.equal(id(p.signal('search', later, 0)), 'none');
  // perSession 0 switches prompts off.
  p = prompts(cfg(0), blank(), T0, '/', false);
  assert.equal(p.signal('search', T0, 0), null);
});

test("don't show again is for good", () => {
  const rule = '{"id":"none","when":"no_results","show":"help","title":"a","cooldownHours":0}';
  const p = page(rule, null, T0, '/');
  assert.notEqual(p.signal('search', T0, 0), null);
  p.closed(true);
  const memory = fromText(toText(p.memory()));
  for (let k = 1; k < 5; k++) {
    const now = T0 + k * 400 * 24 * 60 * MIN;
    assert.equal(page(rule, memory, now, '/').signal('search', now, 0), null);
  }
  // Closing without "never" lets it come back (the test above can fail).
  const q = page(rule, null, T0, '/');
  q.signal('search', T0, 0);
  q.closed(false);
  assert.equal(id(page(rule, q.memory(), T0 + S, '/').signal('search', T0 + S, 0)), 'none');
});

test('checkout pages show nothing but still learn', () => {
  const rules = `{"id":"none","when":"no_results","show":"help","title":"a"},
                 {"id":"idle","when":"cart_idle","minutes":1,"show":"help","title":"b"}`;
  let p = page(rules, null, T0, '/shop/Checkout.html?step=2');
  assert.equal(p.excluded(), true);
  p.signal('cart', T0, 'A');
  assert.equal(p.signal('search', T0 + S, 0), null);
  assert.equal(p.next(T0 + S), null);
  assert.equal(p.tick(T0 + 10 * MIN), null);
  p.signal('purchase', T0 + 11 * MIN, 'A');
  assert.deepEqual(p.memory().cart, [], 'the purchase still empties the cart');
  const c = config(rules);
  c.neverOn = ['/pay'];
  p = prompts(c, blank(), T0, '/pay/card', false);
  assert.equal(p.signal('search', T0, 0), null);
  assert.equal(page(rules, null, T0, '/product').excluded(), false);
});

test('rules show only where configured', () => {
  const rule = '{"id":"none","when":"no_results","show":"help","title":"a","on":["/search"]}';
  assert.equal(page(rule, null, T0, '/product?id=1').signal('search', T0, 0), null);
  assert.notEqual(page(rule, null, T0, '/Search?q=x').signal('search', T0, 0), null);
});

test('event triggers are dropped while a form field has focus', () => {
  const p = page('{"id":"none","when":"no_results","show":"help","title":"a"}', null, T0, '/');
  p.signal('field', T0, true);
  assert.equal(p.signal('search', T0 + S, 0), null);
  assert.equal(p.signal('field', T0 + 2 * S, false), null, 'not replayed later');
  assert.notEqual(p.signal('search', T0 + 3 * S, 0), null);
});

test('config order decides between rules firing together', () => {
  const rules = `{"id":"first","when":"no_results","show":"help","title":"a"},
                 {"id":"second","when":"no_results","show":"help","title":"b"}`;
  assert.equal(id(page(rules, null, T0, '/').signal('search', T0, 0)), 'first');
});

// ---- memory --------------------------------------------------------------------------

test('memory round-trips and tolerates damage', () => {
  const rules = `{"id":"cmp","when":"compare","items":2,"show":"compare","title":"c"},
                 {"id":"none","when":"no_results","show":"help","title":"n"}`;
  const p = page(rules, null, T0, '/');
  p.signal('view', T0, 'A\t1\n', 'mugs');
  assert.notEqual(p.signal('view', T0 + S, 'B', 'mugs'), null);
  p.signal('cart', T0 + S, 'B');
  p.closed(true);
  const m = p.memory();
  assert.deepEqual(m.seen[0], ['A 1', 'mugs'], 'control characters cleaned');
  const text = toText(m);
  assert.equal(text, 'attune-prompts 1\np\t1\t1732590001000\t1\t0\nr\tcmp\t1732590001000\t1\nv\tA 1\t1\t1\nv\tB\t1\t1\nc\tB\ns\tA 1\tmugs\ns\tB\tmugs');
  assert.deepEqual(fromText(text), m);
  assert.equal(fromText(''), null);
  assert.equal(fromText('attune-prompts 2\np\t1\t2\t3\t0'), null);
  assert.equal(fromText('{"v":1}'), null);
  const odd = fromText('attune-prompts 1\nx\ty\nr\nr\tok\t-5\t1\nc\t\nc\tA\ns\tB\nv\tC\tmany\t2\np\t1\tsoon\t0\t0');
  assert.equal(odd.session, 0, 'a damaged p line is ignored');
  assert.deepEqual(odd.rules, [{ id: 'ok', lastShown: 0, never: true }]);
  assert.deepEqual(odd.cart, ['A']);
  assert.deepEqual(odd.seen, [['B', '']]);
  assert.equal(odd.views[0].sessions, 0);
  // Bounds hold on the way in.
  let big = 'attune-prompts 1';
  for (let i = 0; i < 500; i++) big += '\nc\t' + i;
  assert.equal(fromText(big).cart.length, MAX.cart);
});

test('memory stays bounded and page texts are cut', () => {
  const p = page(DWELL, null, T0, '/');
  for (let k = 0; k < 300; k++) {
    p.signal('view', T0 + k, 'I' + k, 'c');
    p.signal('cart', T0 + k, 'I' + k);
  }
  const m = p.memory();
  assert.deepEqual([m.views.length, m.cart.length, m.seen.length], [MAX.viewed, MAX.cart, MAX.seen]);
  assert.deepEqual([MAX.viewed, MAX.cart, MAX.seen], [100, 50, 12]);
  assert.equal(m.views.at(-1).item, 'I299');
  const long = 'é'.repeat(1000);
  p.signal('view', T0 + 400, long, long);
  const s = p.memory().seen.at(-1);
  assert.deepEqual([[...s[0]].length, [...s[1]].length], [MAX.name, MAX.name]);
  // Code points, not UTF-16 units: an emoji is one character, and never cut in half.
  p.signal('view', T0 + 401, '😀'.repeat(300), '');
  assert.equal(p.memory().seen.at(-1)[0], '😀'.repeat(200));
});

test('the page can state the basket, and empty ids are ignored', () => {
  const rule = '{"id":"idle","when":"cart_idle","minutes":1,"show":"help","title":"t"}';
  let p = page(rule, null, T0, '/cart');
  p.signal('cart', T0, 'A');
  p.signal('basket', T0, []);
  assert.equal(p.tick(T0 + 5 * MIN), null, 'the page says the cart is empty');
  assert.equal(id(p.signal('basket', T0 + 5 * MIN, ['B', 'C'])), 'idle', 'idle since T0');
  assert.deepEqual(p.memory().cart, ['B', 'C']);
  p = page(DWELL, null, T0, '/p');
  assert.equal(p.signal('view', T0, ' ', 'c'), null);
  p.signal('cart', T0, '');
  assert.deepEqual([p.memory().views, p.memory().cart], [[], []]);
  assert.equal(p.next(T0), null);
});

test('forgetting clears the memory', () => {
  const p = page(DWELL, null, T0, '/');
  p.signal('view', T0, 'A', 'c');
  p.signal('cart', T0, 'A');
  assert.equal(p.memory().cart.length, 1);
  p.forget();
  const m = p.memory();
  assert.deepEqual([m.views, m.cart, m.seen, m.rules, m.session], [[], [], [], [], 1]);
});

test('a new config keeps the memory', () => {
  const p = page(DWELL, null, T0, '/');
  p.signal('view', T0, 'A', 'c');
  assert.notEqual(p.tick(T0 + 45 * S), null);
  p.setConfig(config('{"id":"none","when":"no_results","show":"help","title":"a"}'));
  assert.equal(p.open(), null);
  assert.equal(p.memory().views.length, 1);
  assert.equal(p.signal('search', T0 + 46 * S, 0), null, 'still one per page view');
});

test('a memory stored by the Rust engine reads unchanged (same key, same text form)', () => {
  // Written by crates/attune-core/src/prompts.rs (Memory::to_text) before the move to JS.
  const rust = 'attune-prompts 1\np\t3\t1732590001000\t1\t1\nr\tgift-help\t1732590001000\t1\nr\texit\t1732500000000\t0\nv\t85123A\t2\t3\nc\t22457\ns\t85123A\tHearts';
  const m = fromText(rust);
  assert.deepEqual(m, {
    session: 3,
    lastActive: 1732590001000,
    shown: 1,
    returning: true,
    rules: [{ id: 'gift-help', lastShown: 1732590001000, never: true }, { id: 'exit', lastShown: 1732500000000, never: false }],
    views: [{ item: '85123A', sessions: 2, lastSession: 3 }],
    cart: ['22457'],
    seen: [['85123A', 'Hearts']],
  });
  assert.equal(toText(m), rust, 'and writes it back byte for byte');
  // "Don't show this again" from the Rust days still holds.
  const rule = '{"id":"gift-help","when":"no_results","show":"help","title":"a","cooldownHours":0}';
  assert.equal(page(rule, m, T0 + 9 * HOUR, '/').signal('search', T0 + 9 * HOUR, 0), null);
});

test('unknown counts and odd signals change nothing', () => {
  const p = page('{"id":"none","when":"no_results","show":"help","title":"a"}', null, T0, '/');
  assert.equal(p.signal('search', T0, NaN), null, 'an unknown count is not "no results"');
  assert.equal(p.signal('search', T0, -1), null);
  assert.equal(p.signal('basket', T0), null, 'a basket signal without a list');
  assert.equal(p.signal('view', T0, null, undefined), null);
  assert.equal(p.signal('whatever', T0), null);
  assert.equal(id(p.signal('search', T0, 0)), 'none');
});

// ---- the configuration ---------------------------------------------------------------

const GOOD = `{
  "perPage": 1, "perSession": 3, "neverOn": ["/Checkout", "pay"], "currency": "gbp",
  "rules": [
    {"id": "size-help", "when": "dwell", "seconds": 30, "show": "help",
     "title": "Not sure about the size?", "text": "Our size guide has measurements.",
     "link": {"text": "Size guide", "href": "/size-guide"}, "on": ["/product"]},
    {"id": "compare", "when": "compare", "items": 3, "show": "compare",
     "title": "Comparing?", "fields": ["material"]},
    {"id": "reassure", "when": "cart_idle", "minutes": 2.5, "show": "reassure",
     "title": "Good to know", "facts": ["Free returns within 30 days"], "cooldownHours": 0.5},
    {"id": "exit", "when": "exit_intent", "show": "survey",
     "choices": ["Le prix", "La livraison", "Plus d'infos", "Je regarde", "Autre"]},
    {"id": "nothing-found", "when": "no_results", "show": "help", "title": "No luck?"}
  ]}`;

test('a valid config parses completely', () => {
  const c = parseConfig(GOOD);
  assert.deepEqual(c.errors, []);
  assert.deepEqual([c.perPage, c.perSession], [1, 3]);
  assert.deepEqual(c.neverOn, ['/Checkout', 'pay']);
  assert.equal(c.currency, 'GBP');
  assert.equal(c.rules.length, 5);
  const r = c.rules[0];
  assert.deepEqual([r.id, r.when, r.show], ['size-help', 'dwell', 'help']);
  assert.equal(r.param, 30_000);
  assert.deepEqual(r.on, ['/product']);
  assert.equal(r.cooldown, 24 * HOUR);
  assert.deepEqual([c.rules[1].param, c.rules[1].src], [3, 1]);
  assert.equal(c.rules[2].param, 150_000);
  assert.equal(c.rules[2].cooldown, 1_800_000);
  assert.equal(c.rules[3].param, 10_000, "exit intent's default minimum dwell");
  // A survey may use the standard question (no title); its answers may be translated.
  assert.equal(c.rules[3].show, 'survey');
  assert.equal(c.rules[4].when, 'no_results');
});

test('defaults', () => {
  const c = parseConfig('{}');
  assert.deepEqual(c, defaults());
  assert.deepEqual(c, { rules: [], perPage: 1, perSession: 2, neverOn: ['checkout', 'payment'], currency: null, errors: [] });
  assert.equal(parseConfig('{"rules":[{"id":"a","when":"repeat_view","show":"help","title":"t"}]}').rules[0].param, 3);
  assert.deepEqual(parseConfig('{"neverOn": []}').neverOn, []);
});

test('a bad rule is named and dropped, and the others work', () => {
  const text = `{"rules": [
    {"id": "a", "when": "dwell", "secnds": 30, "show": "help", "title": "x"},
    {"id": "b", "when": "dwell", "seconds": "30", "show": "help", "title": "x"},
    {"id": "c", "when": "dwell", "seconds": 30, "show": "help", "title": "ok"},
    {"id": "d", "when": "dwell", "views": 3, "show": "help", "title": "x"},
    {"id": "e", "when": "hover", "show": "help", "title": "x"},
    {"id": "f", "when": "dwell", "show": "compare", "title": "x"},
    {"id": "c", "when": "no_results", "show": "help", "title": "again"},
    {"id": "g h", "when": "no_results", "show": "help", "title": "x"},
    {"id": "i", "when": "cart_idle", "show": "reassure", "title": "x"},
    {"id": "j", "when": "no_results", "show": "help", "title": "x", "link": {"text": "t", "url": "/"}},
    {"when": "no_results", "show": "help", "title": "x"},
    {"id": "k", "when": "no_results", "show": "help"},
    "rule",
    {"id": "l", "when": "compare", "items": 2.5, "show": "compare", "title": "x"},
    {"id": "m", "when": "no_results", "show": "help", "title": "x", "facts": ["f"]},
    {"id": "n", "when": "no_results", "show": "help", "title": "x", "title": "y"},
    {"id": "o", "when": "no_results", "show": "survey", "link": {"text": "t", "href": "/"}},
    {"id": "p", "when": "dwell", "seconds": 0, "show": "help", "title": "x"},
    {"id": "q", "when": "no_results", "show": "help", "title": "x", "cooldownHours": -1},
    {"id": "r", "when": "no_results", "show": "survey", "choices": ["a", "b"]},
    {"id": "s", "when": "no_results", "show": "help", "title": "x", "choices": ["a", "b", "c", "d", "e"]}
  ]}`;
  const c = parseConfig(text);
  assert.equal(c.rules.length, 1);
  assert.deepEqual([c.rules[0].id, c.rules[0].src], ['c', 2]);
  assert.deepEqual(c.errors, [
    'rules[0].secnds: unknown field; the rule is ignored',
    'rules[1].seconds: expected a number of seconds from 1 to 3600; the rule is ignored',
    'rules[3].views: not used by this kind of rule; the rule is ignored',
    'rules[4].when: expected one of "dwell", "repeat_view", "compare", "variant", "cart_idle", "cart_return", "exit_intent", "no_results"; the rule is ignored',
    'rules[5].show: expected "compare" only with "when": "compare"; the rule is ignored',
    'rules[6].id: another rule already has this id; the rule is ignored',
    "rules[7].id: expected a non-empty string of letters, digits, '-' and '_' (at most 40); the rule is ignored",
    'rules[8].facts: missing; the rule is ignored',
    'rules[9].link.url: unknown field; the rule is ignored',
    'rules[10].id: missing; the rule is ignored',
    'rules[11].title: missing; the rule is ignored',
    'rules[12]: expected an object; the rule is ignored',
    'rules[13].items: expected a whole number of items from 2 to 4; the rule is ignored',
    'rules[14].facts: not used by this kind of rule; the rule is ignored',
    'rules[15].title: given twice; the rule is ignored',
    'rules[16].link: not used by this kind of rule; the rule is ignored',
    'rules[17].seconds: expected a number of seconds from 1 to 3600; the rule is ignored',
    'rules[18].cooldownHours: expected a number of hours from 0 to 8760; the rule is ignored',
    'rules[19].choices: expected an array of 5 non-empty strings: price, shipping, information, browsing, other; the rule is ignored',
    'rules[20].choices: not used by this kind of rule; the rule is ignored',
  ]);
});

test('bad settings fall back to defaults', () => {
  const c = parseConfig(`{"perPage": 5, "perSession": "2", "neverOn": "checkout", "currency": "pounds",
    "colour": "red", "rules": {}, "perPage": 2,
    "labels": {"close": "Fermer", "never": 3, "open": "x"}}`);
  assert.equal(c.perPage, 2, 'the last of a repeated setting applies, as in JSON.parse');
  assert.equal(c.perSession, 2);
  assert.deepEqual(c.neverOn, ['checkout', 'payment']);
  assert.equal(c.currency, null);
  assert.deepEqual(c.errors, [
    'perPage: given twice',
    'perSession: expected a whole number from 0 to 20',
    'neverOn: expected an array of non-empty strings (at most 32)',
    'currency: expected a three-letter currency code such as "GBP"',
    'colour: unknown field',
    'rules: expected an array of rules',
    'labels.never: expected a non-empty string (at most 500 characters)',
    'labels.open: unknown field',
  ]);
});

test('only non-objects are whole-text errors', () => {
  for (const [text, start] of [
    ['[1]', 'the config must be a JSON object'],
    ['null', 'the config must be a JSON object'],
    ['{"rules": [}', 'not valid JSON ('],
    ['', 'not valid JSON ('],
    ['{"a": 1} x', 'not valid JSON ('],
    [' '.repeat(262145), 'the config is too long'],
  ]) {
    const c = parseConfig(text);
    assert.equal(c.errors.length, 1, text);
    assert.ok(c.errors[0].startsWith(start), c.errors[0]);
    assert.deepEqual({ ...c, errors: [] }, defaults(), 'no rules, the default settings');
  }
  // Where it broke, in the browser's words (V8 quotes the text around the error).
  assert.match(parseConfig('{"rules": [}').errors[0], /Unexpected token '}', "\{"rules": \[}"/);
  assert.deepEqual(parseConfig('x'.repeat(262145)).errors, ['the config is too long (at most 256 KB)']);
});

test('too many rules', () => {
  const many = Array.from({ length: 40 }, (_, i) => `{"id":"r${i}","when":"no_results","show":"help","title":"t"}`);
  const c = parseConfig(`{"rules":[${many}]}`);
  assert.equal(c.rules.length, 32);
  assert.deepEqual(c.errors, ['rules[32]: too many rules (at most 32); the rule is ignored']);
});

test('texts are trimmed and bounded', () => {
  const long = 'x'.repeat(501);
  const c = parseConfig(`{"rules":[{"id":"a","when":"no_results","show":"help","title":"  Hi  "},
    {"id":"b","when":"no_results","show":"help","title":"${long}"},
    {"id":"c","when":"no_results","show":"help","title":"   "},
    {"id":"d","when":"no_results","show":"help","title":"${'é'.repeat(500)}"}]}`);
  assert.deepEqual(c.rules.map((r) => r.id), ['a', 'd'], 'a title padded with spaces is fine; 500 characters are');
  assert.deepEqual(c.errors, [
    'rules[1].title: expected a non-empty string (at most 500 characters); the rule is ignored',
    'rules[2].title: expected a non-empty string (at most 500 characters); the rule is ignored',
  ]);
});

test('every example in the docs is valid', () => {
  const doc = readFileSync(new URL('../docs/prompts.md', import.meta.url), 'utf8');
  const blocks = doc.split('```json\n').slice(1).map((b) => b.split('```')[0]);
  for (const json of blocks) {
    const c = parseConfig(json);
    assert.deepEqual(c.errors, [], json);
    assert.ok(c.rules.length > 0);
  }
  assert.equal(blocks.length, 3, 'the clothing, gift and grocery examples');
});

test('repeated fields are seen at every level, though JSON.parse keeps only the last', () => {
  const c = parseConfig(`{"rules":[
    {"id":"a","when":"no_results","show":"help","title":"x","link":{"text":"t","href":"/","text":"u"}},
    {"id":"b","when":"no_results","show":"help","title":"x"}],
    "labels": {"close": "Fermer"}, "currency": "EUR", "currency": "GBP"}`);
  assert.deepEqual(c.errors, ['rules[0].link.text: given twice; the rule is ignored', 'currency: given twice']);
  assert.deepEqual([c.rules.map((r) => r.id), c.currency], [['b'], 'GBP']);
  // Names that JS objects treat specially, and escapes, are just names.
  const odd = parseConfig('{"__proto__": 1, "0": 2, "ti\\u0074le": 3, "a\\u0000b": 4, "rules": [{"id":"x","when":"no_results","show":"help","ti\\u0074le":"ok"}]}');
  assert.deepEqual(odd.errors, ['__proto__: unknown field', '0: unknown field', 'title: unknown field', 'a\u0000b: unknown field']);
  assert.deepEqual(odd.rules.map((r) => r.id), ['x']);
  // A string that looks like a member name inside a value is not one.
  const tricky = parseConfig('{"rules": [{"id":"x","when":"no_results","show":"help","title":"a\\": \\"b"}], "z": [":", "\\\\"]}');
  assert.deepEqual(tricky.errors, ['z: unknown field']);
  assert.deepEqual(tricky.rules.length, 1);
});

test('an id is trimmed; a non-string id is not an id', () => {
  const c = parseConfig('{"rules":[{"id":" a ","when":"no_results","show":"help","title":"x"},{"id":false,"when":"no_results","show":"help","title":"x"},{"id":12,"when":"no_results","show":"help","title":"x"}]}');
  assert.deepEqual(c.rules.map((r) => r.id), ['a']);
  assert.deepEqual(c.errors.map((e) => e.split(':')[0]), ['rules[1].id', 'rules[2].id']);
  assert.equal(parseConfig('{"rules":[{"id":"a","when":"no_results","show":"help","title":"x","link":"/help"}]}').errors[0], 'rules[0].link: expected an object {"text": …, "href": …}; the rule is ignored');
});

// ---- fuzzing (fuzz/js/prompt-config.mjs; the long run's results are in fuzz/README.md) --

test('the config validator survives 3,000 mutated configs (never throws, names fields, keeps valid rules)', () => {
  const r = fuzz({ seed: 7, runs: 3000 });
  assert.equal(r.runs, 3000);
  assert.deepEqual(r.findings, []);
  assert.ok(r.kinds.size >= 5, 'the mutations reach several kinds of error: ' + [...r.kinds]);
});
