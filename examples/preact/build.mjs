// Bundles the app with esbuild and puts Attune's pkg/ (glue and .wasm modules) next to the
// bundle: the loader, now inside app.js, names its .wasm files relative to itself
// (new URL("./pkg/…", import.meta.url)), exactly as when attune.js is served on its own.
import { build } from "esbuild";
import { cpSync, mkdirSync, copyFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";

const out = process.argv[2] || "dist";
const attune = path.dirname(createRequire(import.meta.url).resolve("attune-web/package.json"));

mkdirSync(out, { recursive: true });
await build({
  entryPoints: ["src/app.tsx"],
  bundle: true,
  format: "esm",
  target: "es2020",
  minify: true,
  jsx: "automatic",
  jsxImportSource: "preact",
  outfile: path.join(out, "app.js"),
  logLevel: "warning",
});
cpSync(path.join(attune, "pkg"), path.join(out, "pkg"), { recursive: true });
copyFileSync("index.html", path.join(out, "index.html"));
