// Speed benchmark of the browser engine under Node (the same .wasm the shop serves):
// model load (parse + validate) and one recommendation per history, over histories drawn
// from the model's own items. Prints JSON. Usage: node bench/perf.mjs MODEL [PKG_DIR]
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const [model = 'www/demo/model.bin', pkg = 'www/pkg'] = process.argv.slice(2);
const glue = await import(pathToFileURL(join(pkg, 'attune_web.js')).href);
await glue.default({ module_or_path: readFileSync(join(pkg, 'attune_web_bg.wasm')) });
const bytes = readFileSync(model);

const quantile = (xs, q) => xs[Math.min(xs.length - 1, Math.floor(q * xs.length))];
const ms = (t0) => Number(process.hrtime.bigint() - t0) / 1e6;

const loads = [];
let engine;
for (let i = 0; i < 20; i++) {
  const t0 = process.hrtime.bigint();
  engine = new glue.Engine(bytes);
  loads.push(ms(t0));
}
loads.sort((a, b) => a - b);

// Deterministic pseudo-random histories of 1..20 real item ids (xorshift, fixed seed).
let s = 0x9e3779b9;
const rnd = (n) => { s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0; return s % n; };
const ids = [];
for (let i = 0, id; (id = engine.itemId(i)); i++) ids.push(id);
const n = ids.length;
const histories = [];
for (let i = 0; i < 2000; i++) {
  const len = 1 + rnd(20);
  histories.push(Array.from({ length: len }, () => ids[rnd(n)]).join(' '));
}
for (const h of histories.slice(0, 200)) engine.recommendIds(h, 10); // warm up
const lat = [];
for (const h of histories) {
  const t0 = process.hrtime.bigint();
  engine.recommendIds(h, 10);
  lat.push(ms(t0));
}
lat.sort((a, b) => a - b);
console.log(JSON.stringify({
  items: n,
  model_bytes: bytes.length,
  load_ms_median: +quantile(loads, 0.5).toFixed(3),
  recommend_ms_median: +quantile(lat, 0.5).toFixed(4),
  recommend_ms_p95: +quantile(lat, 0.95).toFixed(4),
  recommend_ms_max: +lat[lat.length - 1].toFixed(4),
  histories: histories.length,
  node: process.version,
}));
