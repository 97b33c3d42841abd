//! Shared by the guide tests (tests/e2e/guide-*.test.mjs): takes a guide's literal snippet
//! out of its Markdown (the fenced block after `<!-- snippet: NAME -->`, so the docs cannot
//! drift from what is tested), lays out a site in a temporary directory with the npm
//! package's files at /attune/ (pkg/: attune.js next to pkg/, as a shop copies them) and the
//! demo model, and reads the item ids a placement shows. It asserts nothing itself.

import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { ROOT } from "./helpers.mjs";

/** The fenced code block that follows `<!-- snippet: name -->` in a guide (docs/guides/…). */
export function snippet(guide, name) {
  const text = readFileSync(path.join(ROOT, guide), "utf8");
  const marker = `<!-- snippet: ${name} -->`;
  const at = text.indexOf(marker);
  if (at < 0) throw new Error(`${guide} has no ${marker}`);
  const m = /^[ \t]*(`{3,})[^\n]*\n([\s\S]*?)\n[ \t]*\1[ \t]*$/m.exec(text.slice(at + marker.length));
  if (!m) throw new Error(`${guide}: no fenced block after ${marker}`);
  return m[2];
}

/**
 * A site in a temp dir: /BASE/attune.js + /BASE/pkg/ from the package (pkg/), the demo
 * model at /BASE/model.bin (BASE: "attune"), and `files` ({"/path": text}).
 * Returns {root, write, cleanup}.
 */
export function site(files = {}, base = "attune") {
  for (const f of ["pkg/package.json", "pkg/attune.js", "pkg/pkg/attune_web_bg.wasm", "www/demo/model.bin"]) {
    if (!existsSync(path.join(ROOT, f))) throw new Error(`${f} is missing: run scripts/build`);
  }
  const root = mkdtempSync(path.join(tmpdir(), "attune-guide-"));
  const dir = path.join(root, base);
  mkdirSync(dir, { recursive: true });
  cpSync(path.join(ROOT, "pkg/attune.js"), path.join(dir, "attune.js"));
  cpSync(path.join(ROOT, "pkg/pkg"), path.join(dir, "pkg"), { recursive: true });
  cpSync(path.join(ROOT, "www/demo/model.bin"), path.join(dir, "model.bin"));
  const write = (p, text) => {
    const file = path.join(root, p);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, text);
  };
  write("/favicon.ico", ""); // what Chromium asks for on a page without an icon: no 404 error
  for (const [p, text] of Object.entries(files)) write(p, text);
  return { root, write, cleanup: () => rmSync(root, { recursive: true, force: true }) };
}

/**
 * The item ids a placement shows, in order, read from its cards' links: a query parameter
 * (`id`, `q`, `item`), else a `#/product/ID` hash, else the last path segment.
 */
export async function shownIds(page, selector) {
  return page.evaluate((sel) => {
    const host = document.querySelector(sel);
    if (!host || !host.shadowRoot) return [];
    const out = [];
    for (const a of host.shadowRoot.querySelectorAll('a[href][part~="link"]')) {
      const u = new URL(a.href, location.href);
      const hash = /^#\/product\/(.+)$/.exec(u.hash);
      const id =
        u.searchParams.get("id") || u.searchParams.get("q") || u.searchParams.get("item") ||
        (hash && decodeURIComponent(hash[1])) || decodeURIComponent(u.pathname.split("/").pop());
      if (id && !out.includes(id)) out.push(id);
    }
    return out;
  }, selector);
}

/** Waits until a placement shows at least one card (or `timeout`); returns its ids. */
export async function waitForIds(page, selector, timeout = 15_000) {
  try {
    await page.waitForFunction(
      (sel) => !!document.querySelector(sel)?.shadowRoot?.querySelector('a[href][part~="link"]'),
      selector,
      { timeout },
    );
  } catch {
    return [];
  }
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => r())));
  return shownIds(page, selector);
}
