// The TypeScript types a storefront developer gets (js/attune.d.ts, served as attune.d.ts):
// an example use type-checks under --strict, misuse is rejected, and the declared members of
// `Attune` are exactly those of the live window.attune in Chromium (so the types cannot drift
// from the loader). Run: node --test tests/types.test.mjs (needs scripts/build).

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, giftShopModel, html, launch, open, requirePrerequisites, serve } from './harness.mjs';

const TSC = join(ROOT, 'node_modules', '.bin', 'tsc');
const DIR = join(ROOT, 'tests', 'fixtures', 'types');
const check = (file) => spawnSync(TSC, ['--strict', '--noEmit', '--target', 'es2020', '--module', 'esnext', '--moduleResolution', 'bundler', '--lib', 'es2020,dom', '--pretty', 'false', join(DIR, file)], { encoding: 'utf8' });

test('an example storefront use type-checks under --strict', () => {
  const r = check('usage.ts');
  assert.equal(r.status, 0, r.stdout + r.stderr);
});

test('misuse is rejected: unknown event type, unknown placement, wrong argument type', () => {
  const r = check('wrong.ts');
  assert.notEqual(r.status, 0, 'tsc accepted wrong.ts');
  const lines = new Set([...r.stdout.matchAll(/wrong\.ts\((\d+),\d+\): error/g)].map((m) => Number(m[1])));
  assert.deepEqual([...lines].sort((a, b) => a - b), [4, 5, 6], r.stdout);
});

let env;
let browser;
let model;
before(async () => {
  requirePrerequisites();
  model = giftShopModel();
  env = await serve({ '/model.bin': ['application/octet-stream', model.bytes], '/p.html': ['text/html', html()] });
  browser = await launch();
});
after(async () => {
  await browser?.close();
  await env?.close();
  model?.cleanup();
});

test('the declared members of Attune are exactly the live window.attune', async () => {
  const dts = readFileSync(join(ROOT, 'js', 'attune.d.ts'), 'utf8');
  const body = dts.slice(dts.indexOf('export interface Attune {'));
  const declared = [...new Set([...body.slice(0, body.indexOf('\n}')).matchAll(/^\s+(?:readonly\s+)?(\w+)[(?:]/gm)].map((m) => m[1]))].sort();
  const t = await open(browser, env.origin + '/p.html');
  assert.equal(t.ready, true);
  const live = await t.p.evaluate(() => Object.keys(window.attune).sort());
  assert.deepEqual(declared, live);
  const same = await t.p.evaluate(async () => (await import('/attune.js')).default === window.attune);
  assert.equal(same, true, 'the default export is not window.attune');
  await t.close();
});
