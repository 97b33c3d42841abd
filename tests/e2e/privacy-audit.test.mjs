//! `attune audit` on the bundle the demo serves (www/attune.js, www/pkg/, every module the
//! loader imports, and the demo model) as a reviewer would run it: it must pass, list the
//! allowed channels, and its hashes must be the files' real SHA-256 and SRI (checked here
//! with Node's own crypto). On a leaky fixture bundle the command must exit non-zero and
//! name the API and the line. Needs target/release/attune and a built www/ (scripts/build).
//! Run: node --test tests/e2e/

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
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
