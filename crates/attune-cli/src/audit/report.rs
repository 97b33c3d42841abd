//! The audit's findings and how they are written: the `Report` (violations, allowed
//! channels, APIs by group, storage keys, shipped files and their hashes, Wasm imports),
//! its JSON form (serde structs, field names are a contract: tests/e2e and reviewers'
//! scripts read them), its Markdown form and the terminal summary. Nothing here reads a
//! bundle or judges code.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use serde::Serialize;
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::bundle::display_path;
pub use super::catalogue::Group;

/// Where something was found: a file and line, and for Wasm-reachable code the import.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Site {
    pub file: String,
    pub line: u32,
    /// The Wasm import through which this glue code is reached.
    pub via: Option<String>,
}

impl std::fmt::Display for Site {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.file, self.line)?;
        if let Some(v) = &self.via {
            write!(f, " (Wasm import {v})")?;
        }
        Ok(())
    }
}

/// A network-capable API reachable outside the allowed channels.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    pub api: String,
    pub site: Site,
    pub why: String,
}

/// A request the bundle may make, and why it is allowed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Channel {
    pub kind: ChannelKind,
    pub site: Site,
    pub detail: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum ChannelKind {
    /// The loader's fetch of the URL in its own `data-model` attribute.
    Model,
    /// The fetch of the bundle's own `.wasm`.
    OwnWasm,
    /// `import()` of a file of the bundle.
    OwnModule,
    /// `<img src>` for catalog image URLs (from the model): disclosed, not shopper data.
    CatalogImage,
    /// `<a href>`: a request only when the shopper follows the link.
    Link,
}

impl ChannelKind {
    pub fn name(self) -> &'static str {
        match self {
            ChannelKind::Model => "model (data-model URL)",
            ChannelKind::OwnWasm => "own .wasm",
            ChannelKind::OwnModule => "own module",
            ChannelKind::CatalogImage => "catalog image",
            ChannelKind::Link => "link (on click only)",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct StorageKey {
    pub key: String,
    pub area: String,
    pub site: Site,
}

/// One shipped file and its hashes.
#[derive(Clone, Debug)]
pub struct Shipped {
    pub path: PathBuf,
    /// Where the file sits relative to the loader when deployed (`attune.js`,
    /// `pkg/attune_web.js`, …); empty for a model.
    pub url: String,
    pub role: &'static str,
    pub bytes: u64,
    pub gzip: u64,
    pub sha256: String,
    pub sri: String,
}

#[derive(Clone, Debug, Default)]
pub struct ModelFacts {
    pub path: PathBuf,
    pub items: usize,
    pub image_hosts: BTreeMap<String, usize>,
    pub link_hosts: BTreeMap<String, usize>,
    pub error: Option<String>,
}

#[derive(Clone, Debug, Default)]
pub struct WasmSummary {
    pub file: String,
    pub imports: Vec<(String, String, String)>,
    pub exports: Vec<(String, String)>,
    pub literals: usize,
}

#[derive(Clone, Debug, Default)]
pub struct Report {
    pub files: Vec<Shipped>,
    pub models: Vec<ModelFacts>,
    /// (group, API) → every site it is used at.
    pub apis: BTreeMap<(Group, String), BTreeSet<Site>>,
    pub channels: Vec<Channel>,
    pub violations: Vec<Violation>,
    pub storage_keys: BTreeSet<StorageKey>,
    pub wasm: Vec<WasmSummary>,
    /// Whether each fetch of the model / .wasm passes an SRI `integrity`.
    pub integrity: Vec<(ChannelKind, Site, bool)>,
    pub notes: Vec<String>,
    /// URL path under which the shop serves the bundle, for the page snippet.
    pub url_prefix: String,
}

impl Report {
    pub fn passed(&self) -> bool {
        self.violations.is_empty()
    }

    pub(super) fn add_use(&mut self, group: Group, api: &str, site: &Site) {
        self.apis
            .entry((group, api.to_string()))
            .or_default()
            .insert(site.clone());
    }

    pub(super) fn violate(&mut self, api: &str, site: &Site, why: impl Into<String>) {
        let v = Violation {
            api: api.to_string(),
            site: site.clone(),
            why: why.into(),
        };
        if !self.violations.contains(&v) {
            self.violations.push(v);
        }
        self.add_use(Group::Network, api, site);
    }

    pub(super) fn channel(&mut self, kind: ChannelKind, site: &Site, detail: impl Into<String>) {
        let c = Channel {
            kind,
            site: site.clone(),
            detail: detail.into(),
        };
        if !self.channels.contains(&c) {
            self.channels.push(c);
        }
    }
}

fn url_path(p: &Path) -> String {
    let s = display_path(p);
    s.trim_start_matches("./").to_string()
}

/// How a page pins the bundle: an import map with `integrity` for every script, the CSP
/// source that allows that inline import map, and the loader tag with the hashes.
#[derive(Clone, Debug)]
pub struct PageSnippet {
    pub importmap: String,
    pub csp_hash: String,
    pub html: String,
}

impl Report {
    /// The pinning snippet for a page serving the bundle under `url_prefix`.
    // Import-map integrity, not `<link rel=modulepreload integrity>`: in Chromium a failed
    // modulepreload does not stop a later import() from fetching the file again unchecked
    // (tests/e2e/privacy-integrity.test.mjs shows both).
    pub fn page(&self) -> Option<PageSnippet> {
        let loader = self.files.iter().find(|f| f.role == "loader")?;
        // Every audited .wasm: the loader fetches the widget's, or on pages with prompts the
        // widget-and-prompts module's (pkg/full/), with this one value (SRI takes a list).
        let wasm: Vec<&str> = self
            .files
            .iter()
            .filter(|f| f.role == "wasm")
            .map(|f| f.sri.as_str())
            .collect();
        if wasm.is_empty() {
            return None;
        }
        let model = self.files.iter().find(|f| f.role == "model");
        let prefix = if self.url_prefix.ends_with('/') {
            self.url_prefix.clone()
        } else {
            format!("{}/", self.url_prefix)
        };
        let mut scripts = serde_json::Map::new();
        for f in self
            .files
            .iter()
            .filter(|f| matches!(f.role, "loader" | "glue" | "module"))
        {
            scripts.insert(format!("{prefix}{}", f.url), Value::String(f.sri.clone()));
        }
        let mut map = serde_json::Map::new();
        map.insert("integrity".into(), Value::Object(scripts));
        let importmap = Value::Object(map).to_string();
        let csp_hash = format!(
            "sha256-{}",
            base64::engine::general_purpose::STANDARD.encode(Sha256::digest(importmap.as_bytes()))
        );
        let model_url = model
            .and_then(|m| m.path.file_name())
            .and_then(|n| n.to_str())
            .unwrap_or("model.bin");
        let html = format!(
            "<script type=\"importmap\">{importmap}</script>\n<script type=\"module\" src=\"{prefix}{}\" integrity=\"{}\"\n        data-model=\"{prefix}{model_url}\" data-model-integrity=\"{}\"\n        data-wasm-integrity=\"{}\"></script>",
            loader.url,
            loader.sri,
            model.map_or("sha384-… (attune audit --model FILE)", |m| m.sri.as_str()),
            wasm.join(" ")
        );
        Some(PageSnippet {
            importmap,
            csp_hash,
            html,
        })
    }

    /// The JSON report (audit.json): the serde form of [`JsonReport`].
    pub fn to_json(&self) -> Value {
        serde_json::to_value(self.json()).unwrap_or(Value::Null)
    }

    pub fn json(&self) -> JsonReport<'_> {
        let mut apis: BTreeMap<&'static str, Vec<JsonApi<'_>>> = BTreeMap::new();
        for ((g, api), sites) in &self.apis {
            apis.entry(g.name()).or_default().push(JsonApi {
                api,
                sites: sites.iter().map(JsonSite::from).collect(),
            });
        }
        JsonReport {
            tool: format!("attune audit {}", env!("CARGO_PKG_VERSION")),
            passed: self.passed(),
            files: self
                .files
                .iter()
                .map(|f| JsonFile {
                    path: display_path(&f.path),
                    url: &f.url,
                    role: f.role,
                    bytes: f.bytes,
                    gzip: f.gzip,
                    sha256: &f.sha256,
                    sri: &f.sri,
                })
                .collect(),
            violations: self
                .violations
                .iter()
                .map(|v| JsonViolation {
                    api: &v.api,
                    why: &v.why,
                    site: (&v.site).into(),
                })
                .collect(),
            network_channels: self
                .channels
                .iter()
                .map(|c| JsonChannel {
                    kind: c.kind.name(),
                    detail: &c.detail,
                    site: (&c.site).into(),
                })
                .collect(),
            integrity_checked: self
                .integrity
                .iter()
                .map(|(k, s, ok)| JsonIntegrity {
                    fetch: k.name(),
                    site: s.into(),
                    integrity: *ok,
                })
                .collect(),
            apis,
            storage_keys: self
                .storage_keys
                .iter()
                .map(|k| JsonStorageKey {
                    key: &k.key,
                    area: &k.area,
                    site: (&k.site).into(),
                })
                .collect(),
            wasm: self
                .wasm
                .iter()
                .map(|w| JsonWasm {
                    file: &w.file,
                    imports: w
                        .imports
                        .iter()
                        .map(|(m, n, to)| JsonImport {
                            module: m,
                            name: n,
                            maps_to: to,
                        })
                        .collect(),
                    exports: w
                        .exports
                        .iter()
                        .map(|(n, k)| JsonExport { name: n, kind: k })
                        .collect(),
                    string_literals: w.literals,
                })
                .collect(),
            models: self
                .models
                .iter()
                .map(|m| JsonModel {
                    path: display_path(&m.path),
                    items: m.items,
                    error: m.error.as_deref(),
                    image_hosts: &m.image_hosts,
                    link_hosts: &m.link_hosts,
                })
                .collect(),
            page: self.page().map(|p| JsonPage {
                csp_script_source: format!("'{}'", p.csp_hash),
                importmap: p.importmap,
                html: p.html,
            }),
            notes: &self.notes,
        }
    }

    pub fn to_markdown(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(s, "# Attune privacy audit\n");
        let _ = writeln!(s, "Generated by `attune audit` {}. Reproduce with `cargo run --release --bin attune -- audit` (docs/privacy.md).\n", env!("CARGO_PKG_VERSION"));
        if self.passed() {
            let _ = writeln!(s, "**Result: PASS.** No network-capable API is reachable beyond the channels listed below.\n");
        } else {
            let _ = writeln!(
                s,
                "**Result: FAIL.** {} network-capable use(s) outside the allowed channels:\n",
                self.violations.len()
            );
            let _ = writeln!(s, "| API | where | why |\n|---|---|---|");
            for v in &self.violations {
                let _ = writeln!(
                    s,
                    "| `{}` | {} | {} |",
                    v.api.replace('|', "\\|"),
                    v.site,
                    v.why.replace('|', "\\|")
                );
            }
            s.push('\n');
        }
        let _ = writeln!(s, "## Shipped files\n\n| file | role | bytes | gzip | SHA-256 | SRI |\n|---|---|---:|---:|---|---|");
        for f in &self.files {
            let _ = writeln!(
                s,
                "| `{}` | {} | {} | {} | `{}` | `{}` |",
                display_path(&f.path),
                f.role,
                f.bytes,
                f.gzip,
                f.sha256,
                f.sri
            );
        }
        if let Some(p) = self.page() {
            let _ = writeln!(
                s,
                "\nPinning the bundle in a page (docs/privacy.md, section 5). The import map pins every \
                 script the page loads for Attune (allow it in the CSP with `script-src … '{}'`); the \
                 loader checks the `.wasm` and the model against the `data-*-integrity` values:\n\n```html\n{}\n```",
                p.csp_hash, p.html
            );
        }
        let _ = writeln!(s, "\n## Network\n\nEvery request the bundle can make, and why it is allowed:\n\n| channel | where | what |\n|---|---|---|");
        for c in &self.channels {
            let _ = writeln!(
                s,
                "| {} | {} | {} |",
                c.kind.name(),
                c.site,
                c.detail.replace('|', "\\|")
            );
        }
        if !self.integrity.is_empty() {
            let _ = writeln!(
                s,
                "\nIntegrity (SRI) passed to each fetch of the model or the .wasm:\n"
            );
            for (k, site, ok) in &self.integrity {
                let _ = writeln!(
                    s,
                    "- {} at {}: {}",
                    k.name(),
                    site,
                    if *ok { "yes" } else { "no" }
                );
            }
        }
        let _ = writeln!(s, "\n## Browser APIs reachable, by group\n");
        let mut last = None;
        for ((g, api), sites) in &self.apis {
            if last != Some(*g) {
                let _ = writeln!(s, "\n### {}\n\n| API | where |\n|---|---|", g.name());
                last = Some(*g);
            }
            let mut w: Vec<String> = sites.iter().take(6).map(|x| x.to_string()).collect();
            if sites.len() > 6 {
                w.push(format!("… {} more", sites.len() - 6));
            }
            let _ = writeln!(s, "| `{}` | {} |", api.replace('|', "\\|"), w.join("; "));
        }
        let _ = writeln!(s, "\n## Storage keys\n");
        if self.storage_keys.is_empty() {
            let _ = writeln!(s, "None found.");
        }
        for k in &self.storage_keys {
            let _ = writeln!(s, "- `{}` ({}) at {}", k.key, k.area, k.site);
        }
        for w in &self.wasm {
            let _ = writeln!(s, "\n## Wasm module `{}`\n\n{} imports (the only way the module can act outside itself), {} exports, {} string literals.\n", w.file, w.imports.len(), w.exports.len(), w.literals);
            let _ = writeln!(s, "| import | maps to |\n|---|---|");
            for (m, n, to) in &w.imports {
                let _ = writeln!(s, "| `{m}` `{n}` | {} |", to.replace('|', "\\|"));
            }
            let _ = writeln!(
                s,
                "\nExports: {}",
                w.exports
                    .iter()
                    .map(|(n, _)| format!("`{n}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
        for m in &self.models {
            let _ = writeln!(s, "\n## Model `{}`\n", display_path(&m.path));
            if let Some(e) = &m.error {
                let _ = writeln!(s, "Not a usable model: {e}");
                continue;
            }
            let _ = writeln!(s, "{} items.", m.items);
            let hosts = |h: &BTreeMap<String, usize>| {
                if h.is_empty() {
                    "none".to_string()
                } else {
                    h.iter()
                        .map(|(k, v)| format!("{k} ({v})"))
                        .collect::<Vec<_>>()
                        .join(", ")
                }
            };
            let _ = writeln!(
                s,
                "Image URL hosts: {}.  \nProduct link hosts: {}.",
                hosts(&m.image_hosts),
                hosts(&m.link_hosts)
            );
        }
        if !self.notes.is_empty() {
            let _ = writeln!(s, "\n## Notes\n");
            for n in &self.notes {
                let _ = writeln!(s, "- {n}");
            }
        }
        let _ = writeln!(s, "\n## Check it yourself\n\n- `wasm-tools print {0} | grep '(import'` or `wasm-objdump -x -j Import {0}`: the import list above.\n- `grep -n '__wbg_' {1}`: each import's JS body.\n- `sha256sum` / `openssl dgst -sha384 -binary FILE | base64`: the hashes above.\n- The browser's network panel (filter: all, preserve log) while browsing: only the files above, GET, from the shop's origin (and catalog image hosts, if the model has image URLs).",
            self.wasm.first().map_or("pkg/attune_web_bg.wasm".into(), |w| w.file.clone()),
            self.files.iter().find(|f| f.role == "glue").map_or("pkg/attune_web.js".into(), |f| url_path(&f.path)));
        s
    }

    /// The terminal summary: verdict, violations, channels, hashes, storage keys.
    pub fn summary(&self) -> String {
        let mut s = String::new();
        for ((g, api), sites) in &self.apis {
            let _ = writeln!(
                s,
                "{:<8} {:<48} {}",
                g.name(),
                api,
                sites
                    .iter()
                    .next()
                    .map(|x| x.to_string())
                    .unwrap_or_default()
            );
        }
        s.push('\n');
        for c in &self.channels {
            let _ = writeln!(s, "allowed  {:<22} {}  {}", c.kind.name(), c.site, c.detail);
        }
        for k in &self.storage_keys {
            let _ = writeln!(s, "storage  {} ({}) at {}", k.key, k.area, k.site);
        }
        s.push('\n');
        for f in &self.files {
            let _ = writeln!(
                s,
                "{}  {} bytes\n  sha256 {}\n  {}",
                display_path(&f.path),
                f.bytes,
                f.sha256,
                f.sri
            );
        }
        s.push('\n');
        for n in &self.notes {
            let _ = writeln!(s, "note: {n}");
        }
        for v in &self.violations {
            let _ = writeln!(s, "VIOLATION {} at {}: {}", v.api, v.site, v.why);
        }
        let _ = writeln!(
            s,
            "{}",
            if self.passed() {
                "PASS: no network-capable API beyond the bundle's own files and the model"
                    .to_string()
            } else {
                format!(
                    "FAIL: {} network-capable use(s) outside the allowed channels",
                    self.violations.len()
                )
            }
        );
        s
    }
}

// ---------------------------------------------------------------------------------------
// audit.json, field by field.

#[derive(Serialize)]
pub struct JsonSite<'a> {
    pub file: &'a str,
    pub line: u32,
    pub via_wasm_import: Option<&'a str>,
}

impl<'a> From<&'a Site> for JsonSite<'a> {
    fn from(s: &'a Site) -> Self {
        JsonSite {
            file: &s.file,
            line: s.line,
            via_wasm_import: s.via.as_deref(),
        }
    }
}

#[derive(Serialize)]
pub struct JsonReport<'a> {
    pub tool: String,
    pub passed: bool,
    pub files: Vec<JsonFile<'a>>,
    pub violations: Vec<JsonViolation<'a>>,
    pub network_channels: Vec<JsonChannel<'a>>,
    pub integrity_checked: Vec<JsonIntegrity<'a>>,
    pub apis: BTreeMap<&'static str, Vec<JsonApi<'a>>>,
    pub storage_keys: Vec<JsonStorageKey<'a>>,
    pub wasm: Vec<JsonWasm<'a>>,
    pub models: Vec<JsonModel<'a>>,
    pub page: Option<JsonPage>,
    pub notes: &'a [String],
}

#[derive(Serialize)]
pub struct JsonFile<'a> {
    pub path: String,
    pub url: &'a str,
    pub role: &'a str,
    pub bytes: u64,
    pub gzip: u64,
    pub sha256: &'a str,
    pub sri: &'a str,
}

#[derive(Serialize)]
pub struct JsonViolation<'a> {
    pub api: &'a str,
    pub why: &'a str,
    pub site: JsonSite<'a>,
}

#[derive(Serialize)]
pub struct JsonChannel<'a> {
    pub kind: &'static str,
    pub detail: &'a str,
    pub site: JsonSite<'a>,
}

#[derive(Serialize)]
pub struct JsonIntegrity<'a> {
    pub fetch: &'static str,
    pub site: JsonSite<'a>,
    pub integrity: bool,
}

#[derive(Serialize)]
pub struct JsonApi<'a> {
    pub api: &'a str,
    pub sites: Vec<JsonSite<'a>>,
}

#[derive(Serialize)]
pub struct JsonStorageKey<'a> {
    pub key: &'a str,
    pub area: &'a str,
    pub site: JsonSite<'a>,
}

#[derive(Serialize)]
pub struct JsonWasm<'a> {
    pub file: &'a str,
    pub imports: Vec<JsonImport<'a>>,
    pub exports: Vec<JsonExport<'a>>,
    pub string_literals: usize,
}

#[derive(Serialize)]
pub struct JsonImport<'a> {
    pub module: &'a str,
    pub name: &'a str,
    pub maps_to: &'a str,
}

#[derive(Serialize)]
pub struct JsonExport<'a> {
    pub name: &'a str,
    pub kind: &'a str,
}

#[derive(Serialize)]
pub struct JsonModel<'a> {
    pub path: String,
    pub items: usize,
    pub error: Option<&'a str>,
    pub image_hosts: &'a BTreeMap<String, usize>,
    pub link_hosts: &'a BTreeMap<String, usize>,
}

#[derive(Serialize)]
pub struct JsonPage {
    pub importmap: String,
    pub csp_script_source: String,
    pub html: String,
}
