// Prices from the merchant's export to the rendered card, in each currency's own minor unit
// (ISO 4217): `attune build --currency X` stores minor units with X's exponent and writes it
// to META `price_digits`; `attune catalog` prints major units; the widget formats
// minor / 10^price_digits with Intl.NumberFormat. JPY has no minor unit (¥1,500 must not
// become ¥150,000), GBP two digits, KWD three.
//
// Run: node --test tests/prices.test.mjs (needs scripts/build: the CLI and www/pkg).

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli, html, launch, open, requirePrerequisites, serve, settle, shown } from './harness.mjs';

const CASES = [
  ['JPY', '1500', '¥1,500'],
  ['GBP', '12.50', '£12.50'],
  ['KWD', '1.234', 'KWD 1.234'],
];

let dir;
let env;
let browser;

// Four customers buy a, b and c together; every line costs `price`.
function orders(price) {
  let s = 'InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID\n';
  let inv = 1000;
  for (const c of ['c1', 'c2', 'c3', 'c4']) {
    for (const it of ['a', 'b', 'c']) s += `${inv},${it},"Item ${it}",1,2011-01-0${(inv % 9) + 1} 10:00:00,${price},${c}\n`;
    inv++;
  }
  return s;
}

before(async () => {
  requirePrerequisites();
  dir = mkdtempSync(join(tmpdir(), 'attune-prices-'));
  const files = {};
  for (const [currency, price] of CASES) {
    const csv = join(dir, currency + '.csv');
    writeFileSync(csv, orders(price));
    const model = join(dir, currency + '.bin');
    cli(['build', '--interactions', csv, '--out', model, '--currency', currency]);
    files['/' + currency + '.bin'] = ['application/octet-stream', readFileSync(model)];
    files['/' + currency + '.html'] = ['text/html', html({ attrs: `data-model="/${currency}.bin"`, body: '<attune-recs id="p" placement="popular"></attune-recs>' })];
  }
  env = await serve(files);
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await env?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

for (const [currency, price, card] of CASES) {
  test(`${currency}: ${price} in the export is ${card} on the card and ${price} in attune catalog`, async () => {
    const catalog = JSON.parse(cli(['catalog', '--model', join(dir, currency + '.bin')]));
    assert.ok(catalog.length > 0 && catalog.every((c) => c.currency === currency && c.price === Number(price)), JSON.stringify(catalog));
    const t = await open(browser, env.origin + '/' + currency + '.html');
    try {
      assert.equal(t.ready, true);
      await settle(t.p, '#p');
      const s = await shown(t.p, '#p');
      // Intl may put a (narrow) no-break space between code and number.
      assert.deepEqual(s.prices.map((p) => p.replace(/\s/g, ' ')), s.prices.map(() => card), JSON.stringify(s.prices));
      assert.deepEqual(t.log.warnings, []);
    } finally {
      await t.close();
    }
  });
}
