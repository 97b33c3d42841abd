// Placement layouts (`layout` on <attune-recs>: grid, the default; list; carousel), in real
// headless Chromium: a list stacks its cards, a carousel keeps one scrolling row that its
// Previous / Next buttons move, by mouse and by keyboard, toward the inline end in either
// direction, and is announced as a carousel. Changing the attribute re-renders.
//
// Run: node --test tests/layouts.test.mjs (needs scripts/build: the CLI and www/pkg).

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { html, launch, open, requirePrerequisites, serve, settle, writeModel } from './harness.mjs';

let env;
let browser;
const IDS = ['B', 'C', 'D', 'E', 'F', 'G', 'H', 'I'];

before(async () => {
  requirePrerequisites();
  const bytes = writeModel({
    items: [{ id: 'A', title: 'Lamp', price: 255 }, ...IDS.map((id, i) => ({ id, title: `Thing ${id}`, price: 100 + i }))],
    neighbours: { A: IDS.map((id, i) => [id, 0.9 - i * 0.05]) },
    popular: [['A', 1]],
    meta: { currency: 'GBP' },
  });
  // A 600 px column (a stylesheet: the harness's CSP allows no inline style).
  const body = (dir) => `<div class="col"${dir}>
<attune-recs id="grid" placement="similar" item="A" k="8"></attune-recs>
<attune-recs id="list" placement="similar" item="A" k="8" layout="list"></attune-recs>
<attune-recs id="car" placement="similar" item="A" k="8" layout="carousel"></attune-recs></div>`;
  env = await serve({
    '/model.bin': ['application/octet-stream', bytes],
    '/col.css': ['text/css', '.col{width:600px}'],
    '/ltr.html': ['text/html', html({ head: '<link rel="stylesheet" href="/col.css">', body: body('') })],
    '/rtl.html': ['text/html', html({ head: '<link rel="stylesheet" href="/col.css">', body: body(' dir="rtl"') })],
  });
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await env?.close();
});

const geometry = (p, id) => p.evaluate((id) => {
  const r = document.getElementById(id).shadowRoot;
  const list = r.querySelector('[part=list]');
  return {
    tops: [...r.querySelectorAll('[part=item]')].map((e) => Math.round(e.getBoundingClientRect().top)),
    lefts: [...r.querySelectorAll('[part=item]')].map((e) => Math.round(e.getBoundingClientRect().left)),
    overflows: list.scrollWidth > list.clientWidth + 1,
    scroll: list.scrollLeft,
    role: r.querySelector('[part=container]').getAttribute('aria-roledescription'),
    buttons: [...r.querySelectorAll('[part=step]')].map((b) => b.getAttribute('aria-label')),
  };
}, id);

async function visit(path) {
  const t = await open(browser, env.origin + path);
  assert.equal(t.ready, true);
  assert.deepEqual(t.log.csp, []);
  for (const id of ['#grid', '#list', '#car']) await settle(t.p, id, 8);
  return t;
}

/** Scrolled far enough, after the smooth scroll settles. */
const scrolled = (p, test, arg = null) => p.waitForFunction(test, arg, { timeout: 5_000 }).then(() => p.evaluate(() => document.getElementById('car').shadowRoot.querySelector('[part=list]').scrollLeft));

test('grid wraps into rows, list stacks one card per row, carousel keeps one scrolling row', async () => {
  const t = await visit('/ltr.html');
  const grid = await geometry(t.p, 'grid');
  const list = await geometry(t.p, 'list');
  const car = await geometry(t.p, 'car');
  assert.ok(new Set(grid.tops).size > 1 && new Set(grid.tops).size < 8, `grid rows: ${grid.tops}`);
  assert.equal(new Set(list.tops).size, 8, `list rows: ${list.tops}`);
  assert.equal(new Set(list.lefts).size, 1);
  assert.equal(new Set(car.tops).size, 1, `carousel rows: ${car.tops}`);
  assert.equal(car.overflows, true);
  assert.equal(car.role, 'carousel');
  assert.deepEqual(car.buttons, ['Previous items', 'Next items']);
  assert.deepEqual(grid.buttons, []);
  assert.equal(grid.role, null);
  await t.close();
});

test('the carousel moves by its buttons, with the mouse and from the keyboard', async () => {
  const t = await visit('/ltr.html');
  const next = t.p.locator('#car').locator('[part=step]').nth(1);
  await next.click();
  const after1 = await scrolled(t.p, () => document.getElementById('car').shadowRoot.querySelector('[part=list]').scrollLeft > 100);
  await next.focus();
  await t.p.keyboard.press('Enter');
  await scrolled(t.p, (a) => document.getElementById('car').shadowRoot.querySelector('[part=list]').scrollLeft > a + 50, after1);
  const prev = t.p.locator('#car').locator('[part=step]').nth(0);
  await prev.focus();
  await t.p.keyboard.press('Space');
  const back = await scrolled(t.p, () => document.getElementById('car').shadowRoot.querySelector('[part=list]').scrollLeft < 400);
  assert.ok(back < 400);
  // The row itself takes focus, so arrow keys scroll it too.
  assert.equal(await t.p.evaluate(() => document.getElementById('car').shadowRoot.querySelector('[part=list]').tabIndex), 0);
  await t.close();
});

test('right to left, Next moves toward the inline end (scrollLeft goes negative)', async () => {
  const t = await visit('/rtl.html');
  await t.p.locator('#car').locator('[part=step]').nth(1).click();
  const x = await scrolled(t.p, () => document.getElementById('car').shadowRoot.querySelector('[part=list]').scrollLeft < -100);
  assert.ok(x < -100, String(x));
  await t.close();
});

test('changing layout re-renders the placement', async () => {
  const t = await visit('/ltr.html');
  await t.p.evaluate(() => document.getElementById('grid').setAttribute('layout', 'carousel'));
  await t.p.waitForFunction(() => document.getElementById('grid').shadowRoot.querySelectorAll('[part=step]').length === 2, null, { timeout: 5_000 });
  assert.equal(new Set((await geometry(t.p, 'grid')).tops).size, 1);
  await t.close();
});
