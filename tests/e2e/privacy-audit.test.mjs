//! `attune audit` on the bundle the demo serves (www/attune.js, www/pkg/, every module the
//! loader imports, and the demo model) as a reviewer would run it: it must pass, list the
//! allowed channels, and its hashes must be the files' real SHA-256 and SRI (checked here
//! with Node's own crypto). On a leaky fixture bundle the command must exit non-zero and
//! name the API and the line. What www/ serves is minified (scripts/build, esbuild): a
//! reviewer maps it back to the readable js/ sources because (1) rebuilding with the
//! commands of scripts/build gives the served bytes exactly, and (2) the audit of the
//! sources and of the served files finds the same APIs, channels and storage keys.
//! Needs target/release/attune and a built www/ (scripts/build). Run: node --test tests/e2e/

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { CLI, ROOT } from "./privacy-kit.mjs";
import { WWW } from "./server.mjs";

let out;
before(() => {
  out = mkdtempSync(path.join(tmpdir(), "attune-audit-"));
});
after(() => {
  if (out) rmSync(out, { recursive: true, force: true });
});

function audit(args) {
  return spawnSync(CLI, ["audit", ...args], { encoding: "utf8", cwd: ROOT, maxBuffer: 16 << 20 });
}

test("the shipped bundle passes the audit, with true hashes", () => {
  const r = audit([path.join(WWW, "pkg"), "--loader", path.join(WWW, "attune.js"), "--model", path.join(WWW, "demo/model.bin"), "--out", out]);
  assert.equal(r.status, 0, `attune audit failed:\n${r.stdout}\n${r.stderr}`);
  assert.match(r.stdout, /^PASS: /m);
  const report = JSON.parse(readFileSync(path.join(out, "audit.json"), "utf8"));
  assert.equal(report.passed, true);
  assert.deepEqual(report.violations, []);

  const roles = report.files.map((f) => f.role);
  for (const role of ["loader", "glue", "wasm", "model"]) assert.ok(roles.includes(role), `no ${role} in ${roles}`);
  for (const f of report.files) {
    const bytes = readFileSync(path.isAbsolute(f.path) ? f.path : path.join(ROOT, f.path));
    assert.equal(f.bytes, bytes.length, f.path);
    assert.equal(f.sha256, createHash("sha256").update(bytes).digest("hex"), f.path);
    assert.equal(f.sri, "sha384-" + createHash("sha384").update(bytes).digest("base64"), f.path);
  }

  const kinds = new Set(report.network_channels.map((c) => c.kind));
  for (const k of ["model (data-model URL)", "own .wasm", "own module"]) assert.ok(kinds.has(k), `channel ${k} missing: ${[...kinds]}`);
  // Nothing but the model and the bundle's own files is fetched: every fetch site is one
  // of the two, each listed with whether it carries an integrity hash.
  assert.ok(report.integrity_checked.length >= 2);
  for (const c of report.integrity_checked) assert.ok(["model (data-model URL)", "own .wasm"].includes(c.fetch), c.fetch);
  // Storage: only keys in Attune's namespace.
  const literal = report.storage_keys.map((k) => k.key).filter((k) => !k.startsWith("(computed"));
  assert.ok(literal.length > 0, "no storage key found");
  for (const k of literal) assert.match(k, /^attune(:|$)/, `storage key ${k}`);
  // The Markdown report says the same.
  const md = readFileSync(path.join(out, "audit.md"), "utf8");
  assert.match(md, /\*\*Result: PASS\.\*\*/);
  for (const f of report.files) assert.ok(md.includes(f.sri), `${f.path} hash missing from audit.md`);
});

test("a leaky bundle fails the audit, naming the API and the line", () => {
  const dir = path.join(ROOT, "tests/fixtures/audit/beacon");
  const r = audit([path.join(dir, "pkg"), "--out", path.join(out, "leaky")]);
  assert.equal(r.status, 1, r.stdout + r.stderr);
  assert.match(r.stdout, /^VIOLATION sendBeacon at .*beacon\/attune\.js:9: /m);
  assert.match(r.stdout, /^VIOLATION WebSocket at .*beacon\/attune\.js:11: /m);
  assert.match(r.stdout, /^FAIL: 8 network-capable use\(s\)/m);
  assert.match(r.stderr, /audit failed/);
  const report = JSON.parse(readFileSync(path.join(out, "leaky", "audit.json"), "utf8"));
  assert.equal(report.passed, false);
});

/** scripts/build's esbuild steps: [[input, output, ...flags]], read from the script itself. */
function esbuildSteps() {
  const build = readFileSync(path.join(ROOT, "scripts/build"), "utf8");
  const def = build.match(/^ESB=\((.*)\)$/m);
  assert.ok(def, "scripts/build has no ESB=(…) line");
  const [bin, ...flags] = def[1].trim().split(/\s+/);
  const steps = [...build.matchAll(/^"\$\{ESB\[@\]\}" (.*)$/gm)].map((m) => m[1].trim().split(/\s+/));
  assert.ok(steps.length >= 3, "fewer esbuild steps than the bootstrap, the glue and the prompts glue");
  return { bin: path.join(ROOT, bin), flags, steps };
}

test("what www/ serves is exactly scripts/build's esbuild output of js/ and pkg/", () => {
  const { bin, flags, steps } = esbuildSteps();
  const outputs = [];
  for (const args of steps) {
    const outfile = args.find((a) => a.startsWith("--outfile="));
    assert.ok(outfile, args.join(" "));
    const served = outfile.slice("--outfile=".length);
    const mine = path.join(out, "rebuilt", served);
    mkdirSync(path.dirname(mine), { recursive: true });
    const r = spawnSync(bin, [...flags, ...args.map((a) => (a === outfile ? "--outfile=" + mine : a))], { cwd: ROOT, encoding: "utf8" });
    assert.equal(r.status, 0, r.stderr);
    const a = readFileSync(path.join(ROOT, served));
    const b = readFileSync(mine);
    assert.ok(a.equals(b), `${served} is not the minification of its source (stale build? run scripts/build)`);
    outputs.push(served);
  }
  assert.deepEqual(outputs.sort(), ["www/attune.js", "www/pkg/attune_web.js", "www/pkg/full/attune_full.js", "www/pkg/prompts/attune_prompts.js"]);
});

test("the readable sources and the served files audit alike", () => {
  const run = (name, args) => {
    const dir = path.join(out, name);
    const r = audit([...args, "--out", dir]);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    return JSON.parse(readFileSync(path.join(dir, "audit.json"), "utf8"));
  };
  const served = run("served", [path.join(WWW, "pkg"), "--loader", path.join(WWW, "attune.js")]);
  // pkg/ is also the npm package (scripts/package): beside wasm-pack's readable files it holds
  // the served (minified) files again, in pkg/pkg/ and pkg/attune.js; audit the readable ones.
  const readable = path.join(out, "readable", "pkg"); // named pkg/: the loader imports ./pkg/…
  const packaged = [path.join(ROOT, "pkg/pkg"), path.join(ROOT, "pkg/attune.js")];
  cpSync(path.join(ROOT, "pkg"), readable, { recursive: true, filter: (src) => !packaged.includes(src) });
  const source = run("source", [readable, "--loader", path.join(ROOT, "js/attune.js")]);
  // The same kinds of file (loader, glue and snippets, module, wasm).
  const roles = (r) => [...new Set(r.files.map((f) => f.role))].sort();
  assert.deepEqual(roles(served), roles(source));
  assert.ok(["glue", "loader", "wasm"].every((r) => roles(source).includes(r)), roles(source).join(", "));
  const apis = (r) => Object.entries(r.apis).flatMap(([g, l]) => l.map((x) => g + " " + x.api)).sort();
  const keys = (r) => [...new Set(r.storage_keys.map((k) => k.area + " " + k.key))].sort();
  assert.ok(apis(source).length > 20, apis(source).join(", "));
  assert.deepEqual(apis(served), apis(source));
  // The served files are identifier-minified: what names a channel or a computed storage
  // key (local variable names) differs, what kind of channel it is and the literal keys do not.
  const kinds = (r) => [...new Set(r.network_channels.map((c) => c.kind))].sort();
  const literalKeys = (r) => keys(r).filter((k) => !k.includes('(computed'));
  assert.deepEqual(kinds(served), kinds(source));
  assert.deepEqual(literalKeys(served), literalKeys(source));
  assert.equal(served.integrity_checked.length, source.integrity_checked.length);
  assert.deepEqual(served.violations, []);
});
