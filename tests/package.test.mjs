// The npm package `attune-web` that scripts/package makes of pkg/: its manifest (one
// version with Cargo.toml and CHANGELOG.md, ESM exports, types, side effects), its contents
// (exactly the files a shop serves from www/, byte for byte, plus README and licences; none
// of wasm-pack's unminified files), and that it is deterministic (packaging again and
// `npm pack` twice give the same bytes). Run: node --test tests/package.test.mjs (after
// scripts/build).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(fileURLToPath(import.meta.url), '..', '..');
const PKG = join(ROOT, 'pkg');
const WWW = join(ROOT, 'www');

function run(cmd, args, cwd = ROOT) {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8' });
  assert.equal(r.status, 0, `${cmd} ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

function walk(dir) {
  const out = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...walk(p));
    else out.push(p);
  }
  return out;
}

const sha = (file) => createHash('sha256').update(readFileSync(file)).digest('hex');
const manifest = () => JSON.parse(readFileSync(join(PKG, 'package.json'), 'utf8'));
// What a shop serves (www/ without the demo storefront): the package's served layout.
const served = () => ['attune.js', 'attune.d.ts', ...walk(join(WWW, 'pkg')).map((f) => relative(WWW, f))].sort();

test('built: pkg/package.json exists (scripts/build ran scripts/package)', () => {
  assert.ok(existsSync(join(PKG, 'package.json')), 'pkg/package.json is missing: run scripts/build');
});

test('one version: package.json = Cargo.toml [workspace.package] = the newest CHANGELOG.md entry', () => {
  const cargo = readFileSync(join(ROOT, 'Cargo.toml'), 'utf8');
  const ws = cargo.slice(cargo.indexOf('[workspace.package]'));
  const version = /^version\s*=\s*"([^"]+)"/m.exec(ws)[1];
  const changelog = /^## (\d+\.\d+\.\d+\S*)/m.exec(readFileSync(join(ROOT, 'CHANGELOG.md'), 'utf8'))[1];
  const m = manifest();
  assert.equal(m.version, version);
  assert.equal(changelog, version);
  assert.match(m.version, /^0\.\d+\.\d+$/);
});

test('the manifest: ESM exports with types, the loader kept as a side effect, the licence', () => {
  const m = manifest();
  assert.equal(m.name, 'attune-web');
  assert.equal(m.type, 'module');
  assert.equal(m.types, './attune.d.ts');
  assert.deepEqual(m.exports['.'], { types: './attune.d.ts', default: './attune.js' });
  assert.equal(m.exports['./pkg/*'], './pkg/*');
  assert.deepEqual(m.sideEffects, ['./attune.js']);
  assert.equal(m.license, 'MIT OR Apache-2.0');
  assert.equal(m.private, undefined, 'the package must be publishable');
  for (const target of [m.main, m.types, m.exports['.'].default]) assert.ok(existsSync(join(PKG, target)), target);
});

test('npm pack: exactly the served files (byte for byte the same as www/), README, licences, manifest', () => {
  const [pack] = JSON.parse(run('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], PKG));
  const files = new Map(pack.files.map((f) => [f.path, f.size]));
  const expected = [...served(), 'README.md', 'LICENSE-MIT', 'LICENSE-APACHE', 'package.json'].sort();
  assert.deepEqual([...files.keys()].sort(), expected);
  for (const f of served()) {
    assert.equal(files.get(f), statSync(join(WWW, f)).size, `${f}: packed size differs from www/`);
    assert.equal(sha(join(PKG, f)), sha(join(WWW, f)), `${f}: differs from www/${f}`);
  }
  assert.ok(files.has('pkg/attune_web_bg.wasm') && files.has('pkg/prompts/attune_prompts_bg.wasm'));
  // wasm-pack's unminified glue sits at pkg/ top level and must not be published.
  assert.ok(!files.has('attune_web.js') && !files.has('prompts/attune_prompts.js'));
  assert.equal(readFileSync(join(PKG, 'LICENSE-APACHE'), 'utf8'), readFileSync(join(ROOT, 'LICENSE-APACHE'), 'utf8'));
  assert.equal(pack.name, 'attune-web');
  assert.ok(pack.size > 0 && pack.unpackedSize > pack.size);
});

test('deterministic: packaging again and packing twice give the same bytes', () => {
  const dirs = [mkdtempSync(join(tmpdir(), 'attune-pack-')), mkdtempSync(join(tmpdir(), 'attune-pack-'))];
  try {
    const before = Object.fromEntries(walk(PKG).map((f) => [relative(PKG, f), sha(f)]));
    run('npm', ['pack', '--ignore-scripts', '--pack-destination', dirs[0]], PKG);
    run(join(ROOT, 'scripts', 'package'), []);
    const after = Object.fromEntries(walk(PKG).map((f) => [relative(PKG, f), sha(f)]));
    assert.deepEqual(after, before);
    run('npm', ['pack', '--ignore-scripts', '--pack-destination', dirs[1]], PKG);
    const name = `attune-web-${manifest().version}.tgz`;
    assert.equal(sha(join(dirs[1], name)), sha(join(dirs[0], name)));
  } finally {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  }
});
