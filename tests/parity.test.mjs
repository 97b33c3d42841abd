// CLI ⇄ Wasm parity: `attune recommend` (native) and Engine.recommendIds (the browser's
// Wasm, run here under Node) must give byte-identical answers for the same model and
// histories. Both call attune-core's one scoring path; this proves the boundary (id
// parsing, unknown ids, exclusion, popularity fill, float determinism) adds no drift.
//
// Run: node --test tests/parity.test.mjs
// Needs target/release/attune (cargo build --release -p attune-cli) and the wasm-pack
// `--target web` output in pkg/ or www/pkg/ (scripts/build). Missing prerequisites fail
// the test with the command to run; they are never skipped. ATTUNE_PKG overrides the
// pkg directory.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const CLI = join(ROOT, 'target', 'release', 'attune');
const PKG = [process.env.ATTUNE_PKG, join(ROOT, 'pkg'), join(ROOT, 'www', 'pkg')]
  .filter(Boolean)
  .find((d) => existsSync(join(d, 'attune_web.js')) && existsSync(join(d, 'attune_web_bg.wasm')));
const FIXTURE = join(ROOT, 'tests', 'fixtures', 'online-retail-sample.csv.gz');
const REAL = [
  join(ROOT, 'data', 'online-retail', 'online-retail.csv.gz'),
  join(ROOT, '..', 'shared', 'data', 'online-retail', 'online-retail.csv'),
].find(existsSync);

function requirePrerequisites() {
  const missing = [];
  if (!existsSync(CLI)) missing.push(`${CLI} (run: cargo build --release -p attune-cli)`);
  if (!PKG) missing.push('pkg/attune_web.js + attune_web_bg.wasm (run: scripts/build, or wasm-pack build --target web)');
  if (missing.length) assert.fail('parity test prerequisites missing:\n  ' + missing.join('\n  '));
}

let glue;
async function wasm() {
  if (!glue) {
    glue = await import(pathToFileURL(join(PKG, 'attune_web.js')).href);
    await glue.default({ module_or_path: readFileSync(join(PKG, 'attune_web_bg.wasm')) });
  }
  return glue;
}

function run(args, input) {
  const r = spawnSync(CLI, args, { input, encoding: 'utf8', maxBuffer: 64 << 20 });
  assert.equal(r.status, 0, `attune ${args.join(' ')} failed (${r.status}):\n${r.stderr}`);
  return r.stdout;
}

function buildModel(csv) {
  const dir = mkdtempSync(join(tmpdir(), 'attune-parity-'));
  const out = join(dir, 'model.bin');
  run(['build', '--interactions', csv, '--out', out, '--currency', 'GBP']);
  const bytes = readFileSync(out);
  return { path: out, bytes, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

// Small deterministic PRNG (mulberry32): the same histories on every run.
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// A few hundred histories: real ids (popular and long-tail), repeats, unknown ids,
// near-miss ids (case, spacing), empty and whitespace-only lines, tabs and CRs.
// Every item id, through the engine's export (undefined past the last index).
function itemIds(engine) {
  const ids = [];
  for (let i = 0, id; (id = engine.itemId(i)); i++) ids.push(id);
  return ids;
}

function histories(engine, n) {
  const rand = rng(0xa77e);
  const ids = itemIds(engine);
  const popular = engine.recommendIds('', 50).split(' ');
  const pick = () => (rand() < 0.4 ? popular[Math.floor(rand() * popular.length)] : ids[Math.floor(rand() * ids.length)]);
  const unknown = ['NOPE', 'POST', 'DOT', '00000', 'gift_0001_10', 'ünïcödé', ids[0].toLowerCase() + 'x', `${ids[1]}\u00a0${ids[2]}`];
  const lines = ['', '   ', '\t', 'NOPE', 'NOPE ALSO-NOPE', ids[0], `${ids[0]} ${ids[0]} ${ids[0]}`];
  for (const id of popular.slice(0, 20)) lines.push(id);
  while (lines.length < n) {
    const len = 1 + Math.floor(rand() * (rand() < 0.1 ? 40 : 8));
    const toks = [];
    for (let j = 0; j < len; j++) {
      const r = rand();
      if (r < 0.08) toks.push(unknown[Math.floor(rand() * unknown.length)]);
      else if (r < 0.15 && toks.length) toks.push(toks[Math.floor(rand() * toks.length)]);
      else toks.push(pick());
    }
    const sep = rand() < 0.1 ? '  \t ' : ' ';
    const line = toks.join(sep);
    lines.push(rand() < 0.05 ? ` ${line}\r` : line);
  }
  return lines;
}

async function assertParity(model, k, n) {
  const { Engine } = await wasm();
  const engine = new Engine(model.bytes);
  try {
    const input = histories(engine, n);
    const cli = run(['recommend', '--model', model.path, '-k', String(k)], input.join('\n') + '\n').split('\n');
    assert.equal(cli.pop(), '', 'CLI output ends with a newline');
    assert.equal(cli.length, input.length, 'one CLI output line per input line');
    let personal = 0;
    for (let i = 0; i < input.length; i++) {
      const got = engine.recommendIds(input[i], k);
      if (got !== cli[i]) {
        assert.fail(`line ${i + 1} differs for history ${JSON.stringify(input[i])} (k=${k}):\n  cli:  ${cli[i]}\n  wasm: ${got}`);
      }
      if (got !== cli[0]) personal++;
    }
    // The comparison means something only if the answers vary with the history.
    assert.ok(personal > input.length / 2, `only ${personal} of ${input.length} answers differ from the popularity fallback`);
    assert.ok(cli.every((l) => l.split(' ').filter(Boolean).length <= k));
    assert.equal(cli[0].split(' ').length, Math.min(k, itemIds(engine).length), 'empty history gets a full popularity list');
  } finally {
    engine.free();
  }
}

test('prerequisites: release CLI and Wasm package exist', () => requirePrerequisites());

test('CLI and Wasm agree on the committed Online Retail sample (k = 10, 3, 40)', async () => {
  requirePrerequisites();
  const model = buildModel(FIXTURE);
  try {
    for (const k of [10, 3, 40]) await assertParity(model, k, 300);
  } finally {
    model.cleanup();
  }
});

test('CLI and Wasm agree on the full Online Retail export (k = 10)', async (t) => {
  requirePrerequisites();
  if (!REAL) return t.skip('data/online-retail/online-retail.csv.gz not found; the committed sample was checked above');
  const model = buildModel(REAL);
  try {
    await assertParity(model, 10, 500);
  } finally {
    model.cleanup();
  }
});
